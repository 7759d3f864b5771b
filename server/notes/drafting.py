"""Drafting the note while the meeting runs, so that at stop only the last stretch is left.

``IncrementalNote`` collects finalised segments (``add_segments``, cheap, any thread) and
drafts them in chunks (``step``, blocking, bounded by ``NoteOptions.max_chunk_words`` and
``max_tokens``: call it from a low-priority worker thread, see ``NoteWorker``). Each
chunk's items are checked against their cited segments as soon as they are drafted.
``finish`` drafts what is left, before a deadline if one is given, merges and returns the
``CaseNote``. Segments still undrafted when the deadline passes are listed in
``undrafted_ids()`` so the caller can offer a redraft.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from server.notes.assemble import build_note, combine, content_words, coverage, merge_items
from server.notes.evidence import INVENTED, claim
from server.notes.facts import Facts, find_facts, known_people, suggested_people
from server.notes.names import NameSuggestion, present_people, suggest_names
from server.notes.prompt import (CONTEXT_LINES, DraftChunk, DraftItem, echoes_prompt,
                                 parse_json_prefix)
from server.notes.schema import (DRAFT_SCHEMA, MAX_ITEMS_PER_CHUNK, CaseNote, MeetingInfo,
                                 Person, Segment)
from server.notes.semantic import purpose_scorer, scorer_for


@dataclass(frozen=True)
class DraftRequest:
    messages: tuple[dict[str, str], ...]
    schema: dict[str, Any]
    max_tokens: int
    n_lines: int = 0          # transcript lines the prompt numbers (1..n_lines)
    max_items: int = MAX_ITEMS_PER_CHUNK  # a short chunk needs few items (guided writer only)
    urgent: bool = False      # drafted while the worker waits (at stop), not in the background
    should_stop: Callable[[], bool] = lambda: False  # polled between tokens / prompt batches


@dataclass(frozen=True)
class DraftReply:
    text: str                 # the JSON the model wrote (possibly cut short)
    prompt_tokens: int
    cached_tokens: int        # prompt tokens reused from the previous call's KV cache
    generated_tokens: int
    prompt_s: float
    generate_s: float
    stopped_early: bool       # ``should_stop`` fired before the JSON was complete


class Drafter(Protocol):
    model_name: str

    def draft(self, request: DraftRequest) -> DraftReply:
        """Constrained JSON for ``request``. Blocking; call off the event loop."""


class RulesDrafter:
    """No model: the note holds what the rules find (``facts.py``) and nothing in a
    model's words. Nothing is drafted chunk by chunk, so the note is ready the moment the
    meeting ends and depends on the transcript alone. The default (docs/benchmarks.md: the
    bundled 0.5B added no fact to the rules' and added unsupported statements)."""

    model_name = "rules"

    def draft(self, request: DraftRequest) -> DraftReply:
        return DraftReply('{"items": []}', 0, 0, 0, 0.0, 0.0, False)


class Checker(Protocol):
    def align(self, item: DraftItem, candidates: Sequence[Segment],
              speakers: Mapping[str, Person]) -> DraftItem:
        """The item with its evidence re-anchored on the ``candidates`` that support it."""

    def check(self, item: DraftItem, segments: Mapping[str, Segment],
              speakers: Mapping[str, Person]) -> tuple[DraftItem, str | None]:
        """The item with its evidence cleaned, and why it is unsupported (None: supported)."""

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two sentences (for merging near-duplicates)."""


@dataclass(frozen=True)
class NoteOptions:
    min_chunk_words: int = 110    # ~40 s of speech at 160 words/min before a chunk is drafted
    max_chunk_words: int = 420    # bounds one call's prompt (~700 tokens with line prefixes)
    max_tokens: int = 420         # bounds one call's output (about 8 items)
    words_per_item: int = 20      # a chunk of n new words asks for at most n / this items
    rule_facts: bool = True       # the rules' facts (``facts.py``) beside the model's items


@dataclass
class ChunkStats:
    segments: int
    words: int
    prompt_tokens: int
    cached_tokens: int
    generated_tokens: int
    seconds: float
    items: int
    stopped_early: bool


@dataclass
class _State:
    segments: list[Segment] = field(default_factory=list)
    drafted: int = 0                      # segments[:drafted] have been drafted
    items: list[DraftItem] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    chunks: list[ChunkStats] = field(default_factory=list)


class IncrementalNote:
    def __init__(self, drafter: Drafter, checker: Checker | None = None,
                 options: NoteOptions = NoteOptions(), title: str = "",
                 date: dt.date | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.drafter = drafter
        self.checker = checker
        self.options = options
        self.title, self.date = title, date
        self.speakers: dict[str, Person] = {}
        self._clock = clock
        self._lock = threading.Lock()          # guards the state; held briefly
        self._step_lock = threading.Lock()     # one chunk drafted at a time
        self._state = _State()
        self._deadline: float | None = None

    # --- feeding (cheap, any thread) -------------------------------------------------
    def add_segments(self, segments: Iterable[Segment]) -> None:
        with self._lock:
            self._state.segments.extend(segments)

    def set_speakers(self, speakers: Mapping[str, Person]) -> None:
        with self._lock:
            self.speakers = dict(speakers)

    def relabel(self, changes: Mapping[str, str]) -> None:
        """Apply a ``speakers`` frame's changes (segment id -> new label)."""
        with self._lock:
            self._state.segments = [
                Segment(s.segment_id, changes.get(s.segment_id, s.speaker), s.start_s,
                        s.end_s, s.text) for s in self._state.segments]

    def hurry(self, deadline: float | None) -> None:
        """Ask a draft in flight to stop at ``deadline`` (a ``clock`` time), keeping its items."""
        self._deadline = deadline

    def suggestions(self) -> dict[str, NameSuggestion]:
        """Names and roles the talk so far suggests for labels nobody has named."""
        with self._lock:
            segments, confirmed = list(self._state.segments), dict(self.speakers)
        return suggest_names(segments, confirmed)

    def pending_words(self) -> int:
        with self._lock:
            return sum(len(s.text.split()) for s in self._state.segments[self._state.drafted:])

    def undrafted_ids(self) -> list[str]:
        with self._lock:
            return [s.segment_id for s in self._state.segments[self._state.drafted:]]

    @property
    def chunks(self) -> list[ChunkStats]:
        return list(self._state.chunks)

    # --- drafting (blocking, one thread at a time) -------------------------------------
    def step(self, force: bool = False) -> int:
        """Draft the next chunk if enough speech is pending (any, with ``force``).

        Returns how many new segments it drafted."""
        with self._step_lock:
            if isinstance(self.drafter, RulesDrafter):
                return self._rehearse(force)
            return self._step(force)

    def _rehearse(self, force: bool) -> int:
        """No model to run: the pending segments are done. In the background (not at stop)
        the rules read the meeting so far, so the sentences and items they embed are cached
        and ``finish`` is left with the last stretch: a 60-minute meeting's note costs
        seconds from nothing, a fraction of one from a warm cache (docs/benchmarks.md)."""
        with self._lock:
            state = self._state
            pending = state.segments[state.drafted:]
            words = sum(len(s.text.split()) for s in pending)
            if not pending or (words < self.options.min_chunk_words and not force):
                return 0
            state.drafted = len(state.segments)
            segments, speakers = list(state.segments), dict(self.speakers)
        if not force and self.checker is not None and self.checker.embedder is not None:
            end = segments[-1].end_s
            self._rule_facts(segments, MeetingInfo("", self.title, self.date or dt.date.today(),
                                                   end, speakers), [])
        return len(pending)

    def _step(self, force: bool) -> int:
        chunk = self._next_chunk(force)
        if chunk is None:
            return 0
        started = self._clock()
        new_words = sum(len(s.text.split()) for s in chunk.lines[chunk.new_from:])
        max_items = min(MAX_ITEMS_PER_CHUNK, max(1, new_words // self.options.words_per_item))
        speakers = self._people(chunk)
        reply = self.drafter.draft(DraftRequest(
            tuple(chunk.messages(self.title, self.date, speakers)), DRAFT_SCHEMA,
            self.options.max_tokens, len(chunk.lines), max_items, urgent=force,
            should_stop=self._past_deadline))
        if reply.stopped_early:
            # Drafted again whole later: a chunk's items never depend on when it was cut
            # short, so the note is the same on a busy machine as on an idle one.
            return 0
        items = [i for i in chunk.items_from(parse_json_prefix(reply.text))
                 if _cites_new(i, chunk)]
        done = len(chunk.lines) - chunk.new_from
        self._accept(items, chunk.lines, done, speakers, ChunkStats(
            done, sum(len(s.text.split()) for s in chunk.lines[chunk.new_from:]),
            reply.prompt_tokens, reply.cached_tokens, reply.generated_tokens,
            self._clock() - started, len(items), reply.stopped_early))
        return done

    def finish(self, meeting: MeetingInfo, deadline: float | None = None) -> CaseNote:
        """Draft what is left (until ``deadline``, a ``clock`` time), merge, build the note."""
        self.hurry(deadline)
        self.title, self.date = meeting.title, meeting.date
        with self._lock:
            self.speakers = dict(meeting.speakers) or self.speakers
        while self.pending_words() and not self._past_deadline():
            if not self.step(force=True):
                break
        with self._lock:
            state = self._state
            segments = list(state.segments)
            items, unsupported = list(state.items), list(state.unsupported)
        by_id = {s.segment_id: s for s in segments}
        order = {s.segment_id: i for i, s in enumerate(segments)}
        meeting = replace(meeting, suggested=suggested_people(segments, meeting.speakers))
        meeting = replace(meeting, present=present_people(segments, meeting.people()))
        facts = self._rule_facts(segments, meeting, items)
        similarity = self.checker.similarity if self.checker is not None else None
        drafted = combine(merge_items(facts.items, similarity, order),
                          merge_items(items, similarity, order), order)
        return build_note(meeting, drafted, unsupported, by_id, self.drafter.model_name,
                          coverage(segments, drafted, facts.small_talk))

    def _rule_facts(self, segments: list[Segment], meeting: MeetingInfo,
                    items: Sequence[DraftItem]) -> Facts:
        embedder = self.checker.embedder if self.checker is not None else None
        if not meeting.suggested:
            meeting = replace(meeting, suggested=suggested_people(segments, meeting.speakers))
        facts = find_facts(segments if self.options.rule_facts else [], meeting.people(),
                           meeting.date,
                           scorer_for(embedder).scores if embedder is not None else None,
                           purpose_scorer(embedder).scores if embedder is not None else None)
        texts = list(dict.fromkeys(i.text for i in [*facts.items, *items]))
        if embedder is not None and texts:  # one batch, so merging compares cached vectors
            embedder.encode(texts)
        return facts

    def _past_deadline(self) -> bool:
        return self._deadline is not None and self._clock() >= self._deadline

    def _next_chunk(self, force: bool) -> DraftChunk | None:
        with self._lock:
            state = self._state
            pending = state.segments[state.drafted:]
            words = sum(len(s.text.split()) for s in pending)
            if not pending or (words < self.options.min_chunk_words and not force):
                return None
            # A chunk is the shortest run of pending segments reaching min_chunk_words (or
            # the rest, at finish): its bounds follow from the transcript alone, never from
            # how far recognition had got when the drafter looked.
            take, total = 0, 0
            for seg in pending:
                if take and (total >= self.options.min_chunk_words or
                             total + len(seg.text.split()) > self.options.max_chunk_words):
                    break
                take, total = take + 1, total + len(seg.text.split())
            if total < self.options.min_chunk_words and not force:
                return None
            context = state.segments[max(0, state.drafted - CONTEXT_LINES):state.drafted]
            return DraftChunk(tuple(context) + tuple(pending[:take]), len(context))

    def _people(self, chunk: DraftChunk) -> dict[str, Person]:
        """Names for the chunk's labels: the worker's, else those the talk up to the chunk's
        end suggests (so a chunk is drafted alike whenever it is drafted)."""
        with self._lock:
            last = chunk.lines[-1].segment_id
            upto = []
            for seg in self._state.segments:
                upto.append(seg)
                if seg.segment_id == last:
                    break
            confirmed = dict(self.speakers)
        return known_people(upto, confirmed)

    def _accept(self, items: list[DraftItem], lines: Sequence[Segment], done: int,
                speakers: Mapping[str, Person], stats: ChunkStats) -> None:
        with self._lock:
            by_id = {s.segment_id: s for s in self._state.segments}
        kept, rejected = [], []
        for item in items:
            if self.checker is None:
                (kept if item.evidence else rejected).append(item)
                continue
            aligned = self.checker.align(item, lines, speakers)
            checked, problem = self.checker.check(aligned, by_id, speakers)
            support = " ".join(by_id[sid].text for sid in checked.evidence if sid in by_id)
            # An item naming what its lines do not hold, or repeating the prompt, is the
            # model's noise, not a doubtful statement for the worker: it is dropped.
            if echoes_prompt(checked.text, support) or _transcript_again(
                    checked.text, [by_id[sid].text for sid in checked.evidence if sid in by_id]):
                continue
            if problem is None:
                kept.append(checked)
            elif (not problem.startswith(INVENTED) and checked.evidence
                  and len(content_words(claim(checked.text))) >= MIN_DOUBTFUL_WORDS):
                rejected.append(checked)   # a doubtful statement the worker may confirm
        with self._lock:
            self._state.items.extend(kept)
            self._state.unsupported.extend(item.text for item in rejected)
            self._state.drafted += done
            self._state.chunks.append(stats)


MIN_DOUBTFUL_WORDS = 3  # "S3, S2, S1." or a refusal is noise, not a statement to confirm
COPY_SHARE = 0.9  # an item sharing this much of a line's content words is the line again


def _transcript_again(text: str, lines: Sequence[str]) -> bool:
    """A model item that is its lines again ("S2: Not properly, I keep meaning to ..."), or
    that loops on itself: the rules already quote what matters, so this is noise."""
    words = re.findall(r"[a-z0-9']+", text.lower())
    grams = [tuple(words[i:i + 5]) for i in range(len(words) - 4)]
    if len(grams) != len(set(grams)):
        return True
    if re.match(r"^\W*[\w' -]{1,30}:\s", text):   # "Prisha Ali: Right, I'll ..."
        return True
    said = content_words(claim(text))
    return any(said and len(said & content_words(line)) >= COPY_SHARE * len(said)
               for line in [*lines, " ".join(lines)])


def _cites_new(item: DraftItem, chunk: DraftChunk) -> bool:
    """Items resting only on the context lines were drafted with the previous chunk."""
    new_ids = {s.segment_id for s in chunk.lines[chunk.new_from:]}
    return not item.evidence or any(sid in new_ids for sid in item.evidence)

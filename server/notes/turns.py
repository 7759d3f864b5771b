"""Turns: one speaker's consecutive segments, read as one text by the note's rules.

Recognition cuts one person's talk at pauses, often inside a sentence ("... and this is" |
"Kai's check-in on his referral order"), and gives a greeting or a "yeah" a segment of its
own. The rules read what a person said in one go, and cite the segments its words came from.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from server.engines.sentences import split_sentences
from server.notes.prompt import DraftItem
from server.notes.schema import Segment

_SMALL_TALK = re.compile(
    r"^(?:(?:hi|hello|hiya|hey|morning|afternoon|good (?:morning|afternoon|evening)|"
    r"thanks?|thank you|cheers|bye|goodbye|see you|take care|ok|okay|oh|ah|yeah|yes|yep|"
    r"no|nope|right|sure|great|lovely|brilliant|perfect|fine|good|cool|alright|all right|"
    r"come in|come on in|nice to (?:meet|see) you|how are you|you too|me too|not bad|"
    r"i'm fine|i'm good|i'm ok|mm+|hmm+|uh+|um+|er+|so|well|anyway|(?:so|very) much|"
    r"both|all|again|for coming|for having me|sit down|have a seat|cup of tea|kettle'?s on|"
    r"(?:it's|isn't it) (?:cold|warm|wet|raining|lovely) (?:out|outside|today)?)"
    r"[\s,.!?'-]*)+$", re.I)


def is_small_talk(text: str) -> bool:
    stripped = text.strip()
    return not stripped or bool(_SMALL_TALK.match(stripped))


STOP_WORDS = frozenset("""the and for with that this them they their there then than from into onto
over about your yours have will would could should just also what when them those these it's
back again today tomorrow week next""".split())


TURN_ID = "turn:"   # the id a joined turn goes by until its items cite its segments
SHORT_PIECE_WORDS = 3   # an unpunctuated segment this short ends its sentence
_ENDED = re.compile(r"[.!?…,;:][\"')\]]*$")
TURN_WORDS = 70        # consecutive segments of one speaker are read together up to this
SPLIT_TURN_WORDS = 120  # ... or this, while a segment ends inside a sentence


@dataclass(frozen=True)
class Turn:
    """Consecutive segments of one speaker, read as one text."""
    segments: tuple[Segment, ...]

    def joined(self) -> Segment:
        """One text, under the turn's own id (``TURN_ID`` and the first segment's); a short
        piece recognition left unpunctuated ("I will", "Honestly") is a sentence of its
        own, a long one runs on into the next segment."""
        first, last = self.segments[0], self.segments[-1]
        return Segment(TURN_ID + first.segment_id, first.speaker, first.start_s, last.end_s,
                       self.text_of(self.substantive()))

    @staticmethod
    def text_of(members: Sequence[Segment]) -> str:
        """What ``members`` said, as one text (see ``joined``)."""
        parts = [s.text.strip() for s in members]
        return " ".join(f"{p}." if i < len(parts) - 1 and len(p.split()) <= SHORT_PIECE_WORDS
                        and not _ENDED.search(p) else p for i, p in enumerate(parts))

    def sentences(self) -> list[tuple[str, tuple[Segment, ...]]]:
        """The joined text's sentences, each with the segments it was said in."""
        members = self.substantive()
        bounds, at = [], 0
        for seg in members:
            at += len(self.text_of([seg]))
            bounds.append(at)
            at += 1
        text, out, pos = self.joined().text, [], 0
        for sentence in split_sentences(text):
            start = text.find(sentence, pos)
            start = pos if start < 0 else start
            end = pos = start + len(sentence)
            first = next(i for i, b in enumerate(bounds) if start < b or b == bounds[-1])
            last = next(i for i, b in enumerate(bounds) if end <= b + 1 or b == bounds[-1])
            out.append((sentence, tuple(members[first:last + 1])))
        return out

    def substantive(self) -> list[Segment]:
        """The segments with something to say ("Lovely, thanks." before "The rent is
        £1,240.50 behind" is not quoted with it), or all when none has."""
        said = [s for s in self.segments if not is_small_talk(s.text)]
        return said or [s for s in self.segments if s.text.strip()]

    def cite(self, item: DraftItem, previous: Turn | None) -> tuple[str, ...]:
        """The item's evidence with each turn's id replaced by the segments its words are
        in (all of the turn's when none can be told apart)."""
        out: list[str] = []
        for sid in item.evidence:
            if sid == TURN_ID + self.segments[0].segment_id:
                out.extend(self._sources(item.text))
            elif previous is not None and sid == TURN_ID + previous.segments[0].segment_id:
                out.extend(previous._sources(item.text))
            else:
                out.append(sid)
        return tuple(dict.fromkeys(out))

    def _sources(self, text: str) -> list[str]:
        """The segments whose words the item holds: a quote's own, or most of a short
        segment's, or two of a long one's."""
        members = self.substantive()
        if len(members) == 1:
            return [members[0].segment_id]
        said = _words(text)
        hits = []
        for seg in members:
            own = _words(seg.text)
            shared = len(own & said)
            if seg.text.strip() and seg.text.strip() in text or (
                    own and (shared >= 2 or shared >= 0.5 * len(own))):
                hits.append(seg.segment_id)
        return hits or [s.segment_id for s in members]


def _words(text: str) -> set[str]:
    """Content-word stems: "calls" meets "call", "referral" meets "referring"."""
    return {w[:4] for w in re.findall(r"[a-z0-9£']+", text.lower())
            if len(w) >= 4 and w not in STOP_WORDS}


def speaker_turns(segments: Sequence[Segment]) -> list[Turn]:
    """Segments grouped into turns: one speaker's consecutive segments, up to TURN_WORDS
    (SPLIT_TURN_WORDS while the text so far stops inside a sentence)."""
    turns: list[list[Segment]] = []
    words = 0
    for seg in segments:
        n = len(seg.text.split())
        if turns and turns[-1][-1].speaker == seg.speaker:
            open_sentence = not _ENDED.search(turns[-1][-1].text.strip())
            if words + n <= (SPLIT_TURN_WORDS if open_sentence else TURN_WORDS):
                turns[-1].append(seg)
                words += n
                continue
        turns.append([seg])
        words = n
    return [Turn(tuple(t)) for t in turns]

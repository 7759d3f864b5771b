"""The drafting prompt for one chunk of transcript, and the parse of what the LLM returns.

The prompt has no worked example: a small model copied the example's people and events
into real notes. The guided writer forces the JSON shape, so no example is needed for it,
and ``echoes_prompt`` rejects an item that repeats the prompt's own words.

Transcript lines are numbered 1..n within the chunk ("[3] Sarah (social worker): …"): small
numbers cost one token and a small model cites them far more reliably than segment ids.
``DraftChunk.items_from`` maps the numbers back to segment ids.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from server.notes.schema import KIND_TO_SECTION, Person, Segment

SYSTEM_PROMPT = """\
You write a UK social-work case note from part of a meeting transcript. Each transcript \
line starts with its number in square brackets and the speaker.
Reply with JSON: {"items": [...]}. Every item has "kind", "text" and "lines" (the numbers \
of the transcript lines it rests on). Go through the transcript in order and write one \
item for every topic worth recording.
Kinds:
- discussion: a topic discussed and what each person said about it.
- purpose: why the visit or meeting took place.
- voice: what the person said they want, feel or wish.
- observation: only what the worker saw or heard directly at the visit.
- risk: a risk or safeguarding concern someone raised, with "severity".
- action: a task someone agreed to do, with "owner" and "due" (the words used, or null).
- next_step: what happens next.
Rules: use only what these transcript lines say. Use the speakers' names or labels exactly \
as the lines give them, and only the names, numbers and dates the lines contain. Say who \
said what. One fact per item, in one short sentence in the third person. Leave out \
greetings and small talk."""

CONTEXT_LINES = 2  # earlier segments repeated at the top of a chunk, for continuity


@dataclass(frozen=True)
class DraftItem:
    """One item a drafter proposed, with its evidence already mapped to segment ids."""

    section: str
    text: str
    evidence: tuple[str, ...]
    severity: str | None = None
    owner: str | None = None
    due_text: str | None = None
    due: dt.date | None = None    # already resolved (the rules' actions); else from due_text


@dataclass(frozen=True)
class DraftChunk:
    """A stretch of transcript to draft, with the lines the prompt numbers."""

    lines: tuple[Segment, ...]
    new_from: int  # index in ``lines`` of the first segment not drafted before

    def messages(self, title: str, date: dt.date | None,
                 speakers: Mapping[str, Person]) -> list[dict[str, str]]:
        return [{"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": self.user_prompt(title, date, speakers)}]

    def user_prompt(self, title: str, date: dt.date | None,
                    speakers: Mapping[str, Person]) -> str:
        when = f" on {date.strftime('%A %d %B %Y')}" if date else ""
        people = ", ".join(_person(label, speakers) for label in self._labels())
        body = "\n".join(f"[{i}] {_name(seg.speaker, speakers)}: {seg.text.strip()}"
                         for i, seg in enumerate(self.lines, 1))
        earlier = ""
        if self.new_from:
            earlier = (f"Lines 1-{self.new_from} were covered before; draft items for lines "
                       f"{self.new_from + 1}-{len(self.lines)}.\n")
        return (f"Meeting: {title or 'meeting'}{when}.\nPeople: {people}.\n{earlier}"
                f"Transcript:\n{body}")

    def _labels(self) -> list[str]:
        seen: dict[str, None] = {}
        for seg in self.lines:
            seen.setdefault(seg.speaker, None)
        return list(seen)

    def items_from(self, data: Any) -> list[DraftItem]:
        """The valid items of a drafter's JSON; lines outside the chunk are dropped."""
        raw_items = data.get("items", []) if isinstance(data, dict) else []
        items = []
        for raw in raw_items if isinstance(raw_items, list) else []:
            item = self._item(raw)
            if item is not None:
                items.append(item)
        return items

    def _item(self, raw: Any) -> DraftItem | None:
        if not isinstance(raw, dict):
            return None
        section = KIND_TO_SECTION.get(str(raw.get("kind", "")))
        text = str(raw.get("text") or "").strip()
        numbers = raw.get("lines") or []
        evidence = tuple(dict.fromkeys(
            self.lines[n - 1].segment_id for n in numbers
            if isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= len(self.lines)))
        if section is None or not text:
            return None
        severity = raw.get("severity") if raw.get("severity") in ("low", "medium", "high") else None
        if section == "risks" and severity is None:
            severity = "medium"
        return DraftItem(section, text, evidence, severity,
                         _clean(raw.get("owner")), _clean(raw.get("due")))


def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return None if value.lower() in ("", "null", "none", "n/a", "unknown") else value


def _name(label: str, speakers: Mapping[str, Person]) -> str:
    person = speakers.get(label)
    return person.name if person is not None and person.name else (label or "Unknown")


def _person(label: str, speakers: Mapping[str, Person]) -> str:
    person = speakers.get(label)
    if person is None or not person.name:
        return label or "Unknown"
    return f"{person.name} ({person.role})" if person.role else person.name


def parse_json_prefix(text: str) -> Any:
    """Parse a drafter's JSON; if generation stopped early, keep the complete items.

    ``{"items": [{…}, {…}, {"kind": "ri`` becomes ``{"items": [{…}, {…}]}``."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    cut = _last_complete_item_end(text)
    if cut is None:
        return {"items": []}
    try:
        return json.loads(text[:cut] + "]}")
    except json.JSONDecodeError:
        return {"items": []}


def _last_complete_item_end(text: str) -> int | None:
    depth, in_string, escaped, last = 0, False, False, None
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
            if depth == 2 and ch == "}":
                last = i + 1
    return last


def chunk_text_words(segments: Sequence[Segment]) -> int:
    return sum(len(seg.text.split()) for seg in segments)


def echoes_prompt(text: str, support: str, prompt: str = SYSTEM_PROMPT, n: int = 4) -> bool:
    """Whether ``text`` repeats ``n`` consecutive words of the prompt that its cited lines
    (``support``) do not contain: the model copying its instructions, not the meeting."""
    words = re.findall(r"[a-z0-9']+", text.lower())
    prompt_grams = _grams(re.findall(r"[a-z0-9']+", prompt.lower()), n)
    support_grams = _grams(re.findall(r"[a-z0-9']+", support.lower()), n)
    return any(g in prompt_grams and g not in support_grams for g in _grams(words, n))


def _grams(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}

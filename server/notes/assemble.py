"""From checked draft items to the case note: merge near-duplicates, resolve owners and dates.

Incremental drafting sees the meeting in chunks, so the same fact often comes back (a summary
at the end repeats the actions agreed earlier). Items of one section whose words mostly
coincide are merged: the earlier wording stays, the evidence is the union, an action keeps
any owner and due date either had, a risk keeps the higher severity.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from server.notes.dates import resolve_date
from server.notes.prompt import DraftItem
from server.notes.schema import (SECTIONS, ActionItem, CaseNote, Coverage, MeetingInfo,
                                 NoteItem, Person, RiskItem, Segment)

DUPLICATE_JACCARD = 0.6   # share of content words two items must have in common
DUPLICATE_COSINE = 0.88   # sentence-embedding cosine above which two items say the same
_SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2}
_STOP = frozenset("""a an the and or but of to in on at for with by from as is are was were be
been has have had he she they it his her their them him i you we our your my me this that
said says told will would should could can about also just so very""".split())
_SELF_WORDS = frozenset({"i", "me", "myself", "worker", "social worker", "sw", "the worker",
                         "the social worker"})

Similarity = Callable[[str, str], float]


def content_words(text: str) -> set[str]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {w[:-1] if w.endswith("s") and len(w) > 3 else w for w in words if w not in _STOP}


def jaccard(a: str, b: str) -> float:
    wa, wb = content_words(a), content_words(b)
    return len(wa & wb) / len(wa | wb) if wa and wb else 0.0


def merge_items(items: Sequence[DraftItem], similarity: Similarity | None = None,
                order: Mapping[str, int] | None = None) -> list[DraftItem]:
    """Near-duplicates of one section merged, first wording kept, evidence united."""
    merged: list[DraftItem] = []
    for item in items:
        for i, kept in enumerate(merged):
            if kept.section == item.section and _same(kept.text, item.text, similarity):
                merged[i] = _combine(kept, item, order or {})
                break
        else:
            merged.append(item)
    return merged


def _same(a: str, b: str, similarity: Similarity | None) -> bool:
    if a.strip().lower() == b.strip().lower() or jaccard(a, b) >= DUPLICATE_JACCARD:
        return True
    return similarity is not None and similarity(a, b) >= DUPLICATE_COSINE


def _combine(kept: DraftItem, other: DraftItem, order: Mapping[str, int]) -> DraftItem:
    evidence = tuple(sorted(dict.fromkeys(kept.evidence + other.evidence),
                            key=lambda sid: order.get(sid, 1 << 30)))
    severity = kept.severity
    if kept.severity and other.severity:
        severity = max(kept.severity, other.severity, key=_SEVERITY_RANK.__getitem__)
    return replace(kept, evidence=evidence, severity=severity,
                   owner=kept.owner or other.owner, due_text=kept.due_text or other.due_text,
                   due=kept.due or other.due)


def resolve_owner(owner: str | None, item: DraftItem, segments: Mapping[str, Segment],
                  speakers: Mapping[str, Person]) -> str | None:
    """A speaker label, a pronoun or a role becomes the person's name where it can; with no
    owner given, an item that begins with a person's name ("Sarah to refer ...") names them."""
    if owner is None:
        first = item.text.split(maxsplit=1)[0].strip(".,:;'") if item.text.split() else ""
        names = {p.name.lower(): p.name for p in speakers.values() if p.name}
        return names.get(first.lower())
    key = owner.strip().lower()
    for label, person in speakers.items():
        if person.name and key in (label.lower(), person.name.lower(), person.role.lower()):
            return person.name
    for person in speakers.values():
        if person.name and re.search(rf"\b{re.escape(person.name.lower())}\b", key):
            return person.name
    if key in _SELF_WORDS and item.evidence and item.evidence[0] in segments:
        first = speakers.get(segments[item.evidence[0]].speaker)
        if first is not None and first.name:
            return first.name
    return owner.strip()


def resolve_due(item: DraftItem, meeting_date: dt.date) -> dt.date | None:
    if item.due is not None:
        return item.due
    return resolve_date(item.due_text, meeting_date) or resolve_date(item.text, meeting_date)


def combine(facts: Sequence[DraftItem], drafted: Sequence[DraftItem],
            order: Mapping[str, int]) -> list[DraftItem]:
    """The rules' facts, and the model's items that add to them, in transcript order.

    A model item is left out where a fact of its section rests on a line it cites (the fact
    quotes the line, with owner and date from its words), and every model risk is left
    out: a risk in a note must be a cue someone voiced, which the rules find."""
    taken = {(item.section, sid) for item in facts for sid in item.evidence}
    extra = [item for item in drafted if item.section != "risks"
             and not any((item.section, sid) in taken for sid in item.evidence)]
    first = {id(item): min((order.get(sid, 1 << 30) for sid in item.evidence),
                           default=1 << 30) for item in (*facts, *extra)}
    return sorted([*facts, *extra], key=lambda item: first[id(item)])


def coverage(segments: Sequence[Segment], items: Sequence[DraftItem],
             small_talk: Sequence[str]) -> Coverage:
    """How many substantive segments some item cites, and which were small talk."""
    small = set(small_talk)
    cited = {sid for item in items for sid in item.evidence}
    substantive = [s.segment_id for s in segments if s.segment_id not in small]
    return Coverage(segments=len(substantive),
                    cited=sum(sid in cited for sid in substantive),
                    small_talk=[s.segment_id for s in segments if s.segment_id in small])


def build_note(meeting: MeetingInfo, items: Sequence[DraftItem], unsupported: Sequence[str],
               segments: Mapping[str, Segment], model: str,
               coverage: Coverage | None = None) -> CaseNote:
    sections: dict[str, list[NoteItem]] = {name: [] for name in SECTIONS}
    for item in items:
        evidence = list(item.evidence)
        if item.section == "risks":
            sections["risks"].append(RiskItem(text=item.text, evidence=evidence,
                                              severity=item.severity or "medium"))
        elif item.section == "actions":
            sections["actions"].append(ActionItem(
                text=item.text, evidence=evidence,
                owner=resolve_owner(item.owner, item, segments, meeting.people()),
                due=resolve_due(item, meeting.date)))
        else:
            sections[item.section].append(NoteItem(text=item.text, evidence=evidence))
    return CaseNote(
        meeting_id=meeting.meeting_id, title=meeting.title, date=meeting.date,
        duration_s=meeting.duration_s, attendees=meeting.attendees(), model=model,
        drafted_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        unsupported=list(dict.fromkeys(unsupported)), coverage=coverage,
        **sections)  # type: ignore[arg-type]

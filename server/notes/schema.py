"""The case note of PROTOCOL.md as a validated model, and the small schema the LLM fills.

The LLM never writes the whole note: it drafts items (kind, text, the transcript lines they
rest on, and severity / owner / due where they apply) against ``DRAFT_SCHEMA``; the server
fills ``meeting_id``, ``title``, ``date``, ``duration_s``, ``attendees``, ``model``,
``drafted_at`` and ``unsupported``. Keeping the constrained schema this small is what lets a
0.5B model follow it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer

Severity = Literal["low", "medium", "high"]
SECTIONS: tuple[str, ...] = ("purpose", "discussion", "voice_of_person", "observations",
                             "risks", "actions", "next_steps")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NoteItem(_Frozen):
    text: str = Field(min_length=1)
    evidence: list[str] = Field(min_length=1)


class RiskItem(NoteItem):
    severity: Severity


class ActionItem(NoteItem):
    owner: str | None
    due: dt.date | None

    @field_serializer("due")
    def _iso_due(self, due: dt.date | None) -> str | None:
        return None if due is None else due.isoformat()


class Attendee(_Frozen):
    speaker: str
    name: str
    role: str
    suggested: bool = False  # from the talk ("it's Sam from housing"), not yet confirmed


class Coverage(_Frozen):
    """How much of the meeting the note's items rest on (PROTOCOL.md additions)."""

    segments: int = Field(ge=0)      # substantive segments: all but small talk
    cited: int = Field(ge=0)         # of those, how many some item cites
    small_talk: list[str]            # segment ids judged small talk


class CaseNote(_Frozen):
    """The note exactly as PROTOCOL.md's "Case note (JSON)"; ``to_wire()`` gives that JSON."""

    meeting_id: str
    title: str
    date: dt.date
    duration_s: float = Field(ge=0)
    attendees: list[Attendee]
    purpose: list[NoteItem]
    discussion: list[NoteItem]
    voice_of_person: list[NoteItem]
    observations: list[NoteItem]
    risks: list[RiskItem]
    actions: list[ActionItem]
    next_steps: list[NoteItem]
    model: str
    drafted_at: str
    unsupported: list[str]
    coverage: Coverage | None = None

    @field_serializer("date")
    def _iso_date(self, date: dt.date) -> str:
        return date.isoformat()

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> CaseNote:
        return cls.model_validate(data)

    def items(self) -> list[tuple[str, NoteItem]]:
        """Every item with its section name, in section order."""
        return [(section, item) for section in SECTIONS for item in getattr(self, section)]


# --- what crosses the drafting boundary -------------------------------------------------

@dataclass(frozen=True)
class Segment:
    """One final transcript segment (PROTOCOL.md ``final`` frame; times in meeting seconds)."""

    segment_id: str
    speaker: str
    start_s: float
    end_s: float
    text: str

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Segment:
        return cls(str(data["segment_id"]), str(data.get("speaker") or ""),
                   float(data["start"]), float(data["end"]), str(data["text"]))


@dataclass(frozen=True)
class Person:
    name: str
    role: str = ""


@dataclass(frozen=True)
class MeetingInfo:
    """What the server knows about the meeting when the note is finished."""

    meeting_id: str
    title: str
    date: dt.date
    duration_s: float
    speakers: Mapping[str, Person] = field(default_factory=dict)
    # Names and roles the talk suggests for labels the worker has not named (yet).
    suggested: Mapping[str, Person] = field(default_factory=dict)
    # People the talk shows were there whose voice no label carries ("Thanks, Mo.").
    present: Sequence[Person] = ()

    def people(self) -> dict[str, Person]:
        return merge_people(self.speakers, self.suggested)

    def attendees(self) -> list[Attendee]:
        people = self.people()
        by_label = [Attendee(speaker=label, name=person.name, role=person.role,
                             suggested=label not in self.speakers or not self.speakers[label].name)
                    for label, person in sorted(people.items(), key=lambda kv: _label_key(kv[0]))
                    if person.name]
        # speaker "": present, but which voice was theirs is not known
        return by_label + [Attendee(speaker="", name=p.name, role=p.role, suggested=True)
                           for p in self.present if p.name]


def merge_people(confirmed: Mapping[str, Person],
                 suggested: Mapping[str, Person]) -> dict[str, Person]:
    """Everyone known by label: the worker's names, else the talk's suggestions."""
    known = {label: p for label, p in confirmed.items() if p.name or p.role}
    return {**{k: v for k, v in suggested.items() if k not in known}, **known}


def _label_key(label: str) -> tuple[int, str]:
    digits = "".join(ch for ch in label if ch.isdigit())
    return (int(digits) if digits else 1 << 30, label)


# --- the constrained-decoding schema --------------------------------------------------------

KIND_TO_SECTION: dict[str, str] = {
    "purpose": "purpose", "discussion": "discussion", "voice": "voice_of_person",
    "observation": "observations", "risk": "risks", "action": "actions",
    "next_step": "next_steps",
}
PLAIN_KINDS: tuple[str, ...] = ("purpose", "discussion", "voice", "observation", "next_step")
MAX_ITEMS_PER_CHUNK = 10

_LINES = {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1,
          "maxItems": 4}
_NULLABLE_STRING = {"anyOf": [{"type": "string"}, {"type": "null"}]}

DRAFT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "items": {
            "type": "array",
            "maxItems": MAX_ITEMS_PER_CHUNK,
            "items": {"anyOf": [
                {"type": "object",
                 "properties": {"kind": {"enum": list(PLAIN_KINDS)}, "text": {"type": "string"},
                                "lines": _LINES},
                 "required": ["kind", "text", "lines"], "additionalProperties": False},
                {"type": "object",
                 "properties": {"kind": {"const": "risk"}, "text": {"type": "string"},
                                "lines": _LINES,
                                "severity": {"enum": ["low", "medium", "high"]}},
                 "required": ["kind", "text", "lines", "severity"],
                 "additionalProperties": False},
                {"type": "object",
                 "properties": {"kind": {"const": "action"}, "text": {"type": "string"},
                                "lines": _LINES, "owner": _NULLABLE_STRING,
                                "due": _NULLABLE_STRING},
                 "required": ["kind", "text", "lines", "owner", "due"],
                 "additionalProperties": False},
            ]},
        },
    },
    "required": ["items"],
    "additionalProperties": False,
}

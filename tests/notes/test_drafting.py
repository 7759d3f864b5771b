"""IncrementalNote, merging and the note's JSON, with a scripted drafter (no model)."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading

import pytest
from pydantic import ValidationError

from server.notes.drafting import DraftReply, DraftRequest, IncrementalNote, NoteOptions
from server.notes.prompt import DraftChunk, parse_json_prefix
from server.notes.schema import SECTIONS, CaseNote, Segment
from server.notes.worker import NoteWorker

LINE = re.compile(r"^\[(\d+)\] ([^:]+): (.*)$", re.M)


class ScriptedDrafter:
    """Drafts one item per line that mentions a keyword; records every request."""

    model_name = "scripted"

    def __init__(self, cut_after_items: int | None = None) -> None:
        self.requests: list[DraftRequest] = []
        self.cut_after_items = cut_after_items
        self.threads: set[str] = set()
        self.drafted = threading.Event()

    def draft(self, request: DraftRequest) -> DraftReply:
        self.requests.append(request)
        self.threads.add(threading.current_thread().name)
        items = []
        for number, who, text in LINE.findall(request.messages[-1]["content"]):
            lower = text.lower()
            if "boiler" in lower:
                items.append({"kind": "risk", "text": f"{who} said the boiler is broken.",
                              "lines": [int(number)], "severity": "high"})
            if "refer" in lower and "housing" in lower:
                items.append({"kind": "action", "text": "Sarah to refer to the housing team.",
                              "lines": [int(number)], "owner": "I", "due": "by Friday"})
            if "stay here" in lower:
                items.append({"kind": "voice", "text": "Jayden wants to stay with his mum.",
                              "lines": [int(number), 99], "owner": None})
        stopped = self.cut_after_items is not None and len(items) > self.cut_after_items
        if stopped:
            items = items[:self.cut_after_items]
        text = json.dumps({"items": items})
        if stopped:
            text = text[:-2] + ', {"kind": "discussion", "te'
        self.drafted.set()
        return DraftReply(text, 100, 0, 10, 0.1, 0.1, stopped)


def test_chunks_are_drafted_as_speech_arrives_and_merged_at_the_end(meeting) -> None:
    drafter = ScriptedDrafter()
    note = IncrementalNote(drafter, None, NoteOptions(min_chunk_words=100, max_chunk_words=200,
                                                      rule_facts=False))
    note.set_speakers(meeting.info.speakers)
    drafted = 0
    for seg in meeting.segments:
        note.add_segments([seg])
        drafted += note.step()
    assert len(drafter.requests) >= 2 and drafted < len(meeting.segments)
    assert all(r.urgent is False for r in drafter.requests)
    result = note.finish(meeting.info)
    assert note.undrafted_ids() == []
    assert drafter.requests[-1].urgent is True
    wire = result.to_wire()
    assert list(wire) == ["meeting_id", "title", "date", "duration_s", "attendees", *SECTIONS,
                          "model", "drafted_at", "unsupported", "coverage"]
    assert wire["date"] == "2026-11-26"
    assert wire["attendees"][0] == {"speaker": "S1", "name": "Sarah", "role": "social worker",
                                    "suggested": False}
    # "refer ... housing" is said twice (s_31 and the summary s_36): merged, evidence united
    (action,) = wire["actions"]
    assert action == {"text": "Sarah to refer to the housing team.", "evidence": ["s_31", "s_36"],
                      "owner": "Sarah", "due": "2026-11-27"}
    assert wire["risks"] == []   # a model's risk never stands alone: the rules find risks
    assert wire["voice_of_person"][0]["evidence"] == ["s_28"]   # line 99 does not exist
    CaseNote.from_wire(wire)


def test_context_lines_are_shown_but_not_drafted_twice(meeting) -> None:
    drafter = ScriptedDrafter()
    note = IncrementalNote(drafter, None, NoteOptions(min_chunk_words=60, max_chunk_words=80))
    note.add_segments(meeting.segments)
    while note.step():
        pass
    second = drafter.requests[1].messages[-1]["content"]
    assert "Lines 1-2 were covered before" in second
    drafted = [(i.section, i.evidence) for i in note._state.items]  # noqa: SLF001
    assert len(drafted) == len(set(drafted))


def test_a_draft_cut_short_is_drafted_again_whole(meeting) -> None:
    """Nothing of a chunk cut short is kept: it is drafted again whole, so the note does
    not depend on when the cut came (a busy machine gives the same note as an idle one)."""
    options = NoteOptions(min_chunk_words=10_000, rule_facts=False)
    cut = IncrementalNote(ScriptedDrafter(cut_after_items=1), None, options)
    cut.add_segments(meeting.segments)
    assert cut.step(force=True) == 0
    assert cut.undrafted_ids() == [s.segment_id for s in meeting.segments]
    assert cut.chunks == [] and cut._state.items == []  # noqa: SLF001
    cut.drafter = ScriptedDrafter()                     # the machine is idle again
    whole = IncrementalNote(ScriptedDrafter(), None, options)
    whole.add_segments(meeting.segments)
    first, second = cut.finish(meeting.info).to_wire(), whole.finish(meeting.info).to_wire()
    for note in (first, second):
        note.pop("drafted_at")
    assert first == second and first["actions"]


def test_chunk_bounds_follow_the_transcript_not_the_timing(meeting) -> None:
    """Segments fed one by one, or all at once, give the same chunks."""
    options = NoteOptions(min_chunk_words=60, max_chunk_words=200, rule_facts=False)
    drip, bulk = ScriptedDrafter(), ScriptedDrafter()
    one = IncrementalNote(drip, None, options, title=meeting.info.title, date=meeting.info.date)
    one.set_speakers(meeting.info.speakers)
    for seg in meeting.segments:
        one.add_segments([seg])
        one.step()
    one.finish(meeting.info)
    other = IncrementalNote(bulk, None, options, title=meeting.info.title, date=meeting.info.date)
    other.set_speakers(meeting.info.speakers)
    other.add_segments(meeting.segments)
    other.finish(meeting.info)
    assert [r.messages for r in drip.requests] == [r.messages for r in bulk.requests]


def test_past_the_deadline_nothing_more_is_drafted(meeting) -> None:
    now = [0.0]
    drafter = ScriptedDrafter()
    note = IncrementalNote(drafter, None, clock=lambda: now[0])
    note.add_segments(meeting.segments)
    now[0] = 10.0
    result = note.finish(meeting.info, deadline=5.0)
    assert note.undrafted_ids() == [s.segment_id for s in meeting.segments]
    assert drafter.requests == []
    # what the note holds then is the rules' facts alone, found in every segment
    assert result.actions and result.risks
    assert all(item.text != "Sarah to refer to the housing team." for item in result.actions)


def test_the_worker_drafts_in_the_background_and_finishes_in_the_caller(meeting) -> None:
    drafter = ScriptedDrafter()
    worker = NoteWorker(IncrementalNote(drafter, None, NoteOptions(min_chunk_words=50))).start()
    for start in range(0, len(meeting.segments), 5):
        worker.add_segments(meeting.segments[start:start + 5])
    assert drafter.drafted.wait(timeout=30)
    result = worker.finish(meeting.info, budget_s=None)
    assert worker.error is None
    assert result.actions and result.risks
    assert "note-drafting" in drafter.threads


def test_json_cut_mid_item_keeps_the_complete_items() -> None:
    text = '{"items": [{"kind": "risk", "text": "a", "lines": [1], "severity": "low"}, {"kind": "di'
    assert parse_json_prefix(text) == {"items": [
        {"kind": "risk", "text": "a", "lines": [1], "severity": "low"}]}
    assert parse_json_prefix('{"items": [{"kind"') == {"items": []}
    assert parse_json_prefix("not json") == {"items": []}


def test_chunk_maps_line_numbers_to_segment_ids() -> None:
    segs = tuple(Segment(f"s_{i}", "S1", i, i + 1, f"line {i}") for i in (7, 8, 9))
    chunk = DraftChunk(segs, 1)
    items = chunk.items_from({"items": [
        {"kind": "action", "text": "x", "lines": [2, 3, 4, True], "owner": "null", "due": ""},
        {"kind": "nonsense", "text": "y", "lines": [1]},
        {"kind": "risk", "text": "z", "lines": [1]},
    ]})
    assert [(i.section, i.evidence, i.owner, i.due_text, i.severity) for i in items] == [
        ("actions", ("s_8", "s_9"), None, None, None),
        ("risks", ("s_7",), None, None, "medium"),
    ]


def test_the_note_refuses_items_without_evidence() -> None:
    with pytest.raises(ValidationError):
        CaseNote.from_wire({
            "meeting_id": "m", "title": "t", "date": "2026-11-26", "duration_s": 1.0,
            "attendees": [], "purpose": [{"text": "x", "evidence": []}], "discussion": [],
            "voice_of_person": [], "observations": [], "risks": [], "actions": [],
            "next_steps": [], "model": "m", "drafted_at": "now", "unsupported": []})


def test_a_risk_needs_a_known_severity() -> None:
    base = {"meeting_id": "m", "title": "t", "date": dt.date(2026, 11, 26), "duration_s": 1.0,
            "attendees": [], "purpose": [], "discussion": [], "voice_of_person": [],
            "observations": [], "actions": [], "next_steps": [], "model": "m",
            "drafted_at": "now", "unsupported": []}
    with pytest.raises(ValidationError):
        CaseNote(**base, risks=[{"text": "x", "evidence": ["s_1"], "severity": "grave"}])

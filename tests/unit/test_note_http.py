"""The worker's version of a note: what PUT accepts, which version GET serves, exports."""

import io

import pytest
from docx import Document

from server.note_exports import note_docx, note_markdown
from server.note_routes import validate_edit
from server.store import NoteRow, SegmentRow


def note(**changes):
    body = {"meeting_id": "m_1", "title": "Home visit", "date": "2026-11-27",
            "duration_s": 125.0,
            "attendees": [{"speaker": "S1", "name": "Sarah", "role": "social worker"}],
            "purpose": [{"text": "Review visit.", "evidence": ["s_1"]}],
            "discussion": [], "voice_of_person": [], "observations": [],
            "risks": [{"text": "No heating for two nights.", "evidence": ["s_2"],
                       "severity": "high"}],
            "actions": [{"text": "Ask housing to repair the boiler.", "owner": "Sarah",
                         "due": "2026-12-04", "evidence": ["s_3"]}],
            "next_steps": [], "model": "m", "drafted_at": "2026-11-27T10:00:00+00:00",
            "unsupported": ["The family has a dog."]}
    body.update(changes)
    return body


SEGMENTS = [SegmentRow("s_1", "S1", 1.0, 4.0, "I am here for the review visit.", []),
            SegmentRow("s_2", "S2", 65.0, 70.0, "We had no heating for two nights.", []),
            SegmentRow("s_3", "S1", 71.0, 75.0, "I will ask housing to fix the boiler.", [])]
IDS = {s.segment_id for s in SEGMENTS}


def test_the_workers_own_statement_may_have_no_evidence():
    edited = note(next_steps=[{"text": "Call the school.", "evidence": []}])
    saved = validate_edit(edited, "m_1", IDS)
    assert saved["next_steps"] == [{"text": "Call the school.", "evidence": []}]
    assert saved["risks"][0]["severity"] == "high"


@pytest.mark.parametrize("change, complaint", [
    ({"purpose": [{"text": "x", "evidence": ["s_99"]}]}, "s_99"),
    ({"risks": [{"text": "x", "evidence": ["s_1"], "severity": "dire"}]}, "severity"),
    ({"actions": [{"text": "", "owner": None, "due": None, "evidence": ["s_1"]}]}, "text"),
    ({"actions": [{"text": "x", "owner": None, "due": "next week", "evidence": ["s_1"]}]},
     "due"),
    ({"discussion": "not a list"}, "discussion"),
    ({"surprise": 1}, "surprise"),
])
def test_a_bad_note_is_refused_with_what_is_wrong(change, complaint):
    with pytest.raises(ValueError, match=complaint):
        validate_edit(note(**change), "m_1", IDS)


def test_the_path_decides_the_meeting_not_the_body():
    assert validate_edit(note(meeting_id="m_other"), "m_1", IDS)["meeting_id"] == "m_1"


def test_the_newer_of_draft_and_edit_is_the_note_as_it_stands():
    draft, edit = note(), note(title="Edited")
    assert NoteRow("ready", None, draft, "2026-11-27T10:00", None, None).current() == \
        ("draft", draft)
    assert NoteRow("ready", None, draft, "2026-11-27T10:00", edit, "2026-11-27T10:05"
                   ).current() == ("edited", edit)
    # A redraft after the edit replaces it as the current note; the edit stays stored.
    assert NoteRow("ready", None, draft, "2026-11-27T10:09", edit, "2026-11-27T10:05"
                   ).current() == ("draft", draft)
    assert NoteRow("drafting", None, None, None, None, None).current() is None


def test_markdown_cites_times_and_names_and_escapes_what_was_said():
    body = note(discussion=[{"text": "Said *loudly* <b>no</b> [link](x)", "evidence": ["s_2"]}])
    md = note_markdown(body, SEGMENTS)
    assert "## Risks" in md and "High risk: No heating for two nights." in md
    assert "_[transcript 00:01 Sarah]_" in md          # s_1 by S1, named Sarah
    assert "transcript 01:05 S2" in md                 # unnamed speakers keep their label
    assert "Friday 4 December 2026" in md
    assert "\\*loudly\\*" in md and "<b>" not in md and "\\[link\\]" in md
    assert "The family has a dog." in md.split("Not supported by the transcript")[1]


def test_docx_has_the_headings_items_and_evidence():
    document = Document(io.BytesIO(note_docx(note(), SEGMENTS, "edited")))
    text = [p.text for p in document.paragraphs]
    assert "Purpose" in text and "Next steps" in text
    assert any(t.startswith("Ask housing to repair the boiler. (who: Sarah; by: Friday 4")
               and "transcript 01:11 Sarah" in t for t in text)
    assert any("edited by the worker" in t for t in text)

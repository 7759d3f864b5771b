"""Letters and referrals from a note: templates as files, the model's words checked."""

import json

import pytest

from server import documents
from server.notes.drafting import DraftReply
from server.notes.evidence import EvidenceChecker
from server.notes.schema import Segment

SEGMENTS = [
    Segment("s_1", "S1", 1.0, 4.0, "I'm here to review how things are going."),
    Segment("s_2", "S2", 5.0, 9.0, "We had no heating for two nights last week."),
    Segment("s_3", "S1", 10.0, 14.0, "I will ask housing to repair the boiler by Friday."),
    Segment("s_4", "S2", 15.0, 18.0, "Yes please, I'm happy for you to talk to housing."),
]
NOTE = {
    "meeting_id": "m_1", "title": "Home visit", "date": "2026-11-27", "duration_s": 20.0,
    "attendees": [{"speaker": "S1", "name": "Sarah", "role": "social worker"},
                  {"speaker": "S2", "name": "Donna", "role": "parent"}],
    "purpose": [{"text": "Review visit.", "evidence": ["s_1"]}],
    "discussion": [{"text": "Donna had no heating for two nights.", "evidence": ["s_2"]}],
    "voice_of_person": [], "observations": [],
    "risks": [{"text": "No heating for two nights.", "evidence": ["s_2"], "severity": "high"}],
    "actions": [{"text": "Ask housing to repair the boiler.", "owner": "Sarah",
                 "due": "2026-12-04", "evidence": ["s_3"]}],
    "next_steps": [{"text": "Sarah to visit again soon.", "evidence": []}],
    "model": "m", "drafted_at": "2026-11-27T10:00:00+00:00", "unsupported": []}


class Scripted:
    """A drafter that answers each request with the next scripted text."""

    model_name = "scripted"

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests = []

    def draft(self, request):
        self.requests.append(request)
        text = json.dumps({"text": self.answers.pop(0)}) if self.answers else "{}"
        return DraftReply(text, 0, 0, 0, 0.0, 0.0, False)


def build(kind, to=None, drafter=None, folder=None):
    template = documents.load_template(documents.template_path(kind, to, folder))
    return documents.DocumentDraft(NOTE, SEGMENTS, drafter, EvidenceChecker(None)).build(
        template, kind, to)


def test_a_letter_keeps_supported_rewrites_and_sets_aside_invented_ones():
    drafter = Scripted(
        "I came to see how things are going.",                       # purpose
        "You told me you had no heating for two nights. You owe 300 pounds.",  # half invented
        "I will ask housing to repair the boiler.")                  # action
    letter = build("letter", drafter=drafter)
    assert letter["kind"] == "letter" and letter["greeting"] == "Dear Donna,"
    by_heading = {s["heading"]: s for s in letter["sections"]}
    assert by_heading["Why we met"]["text"] == "I came to see how things are going."
    talked = by_heading["What we talked about"]
    assert talked["text"] == "You told me you had no heating for two nights."
    assert talked["evidence"] == ["s_2"]
    assert letter["unsupported"] == ["You owe 300 pounds."]
    assert "Sarah" in letter["closing"] and "Social worker" in letter["closing"]
    # The worker's own statement (no evidence) is not rewritten: their words stand.
    assert by_heading["What happens next"]["text"] == "Sarah to visit again soon."
    assert len(drafter.requests) == 3


def test_without_a_model_the_notes_own_words_are_used():
    letter = build("letter")
    talked = next(s for s in letter["sections"] if s["heading"] == "What we talked about")
    assert talked["text"] == "Donna had no heating for two nights."
    assert letter["unsupported"] == [] and letter["model"] is None


def test_a_referral_quotes_consent_from_the_person_not_the_worker():
    referral = build("referral", "housing", Scripted("No heating for two nights last week."))
    assert referral["title"] == "Referral to housing"
    views = next(s for s in referral["sections"] if s["heading"].startswith("The person"))
    assert "Donna said at 00:15" in views["text"] and views["evidence"] == ["s_4"]
    reason = referral["sections"][0]
    assert reason["heading"] == "Reason for referral" and set(reason["evidence"]) == {"s_1", "s_2"}


def test_no_consent_said_is_flagged_in_the_referral():
    quiet = [s for s in SEGMENTS if s.segment_id != "s_4"]
    template = documents.load_template(documents.template_path("referral", "health", None))
    referral = documents.DocumentDraft(NOTE, quiet, None, None).build(template, "referral",
                                                                      "health")
    views = next(s for s in referral["sections"] if s["heading"].startswith("The person"))
    assert documents.NO_CONSENT_TEXT in views["text"]


def test_a_councils_template_changes_the_headings(tmp_path):
    own = (documents.BUILTIN_TEMPLATES / "letter.toml").read_text()
    own = own.replace('heading = "What we agreed"', 'heading = "Actions we agreed together"')
    own = own.replace('title = "Our meeting on {date}"', 'title = "Visit of {date}"')
    (tmp_path / "letter.toml").write_text(own)
    (tmp_path / "referral-early-help.toml").write_text(
        'title = "Early help request"\n[[sections]]\nheading = "Why"\nfrom = ["risks"]\n')
    letter = build("letter", folder=tmp_path)
    headings = [s["heading"] for s in letter["sections"]]
    assert "Actions we agreed together" in headings and "What we agreed" not in headings
    assert letter["title"] == "Visit of Friday 27 November 2026"
    assert build("referral", "Early Help", folder=tmp_path)["title"] == "Early help request"
    assert build("referral", "housing", folder=tmp_path)["title"] == "Referral to housing"


@pytest.mark.parametrize("text, complaint", [
    ('[[sections]]\nheading = "x"\nfrom = ["feelings"]\n', "not a note section"),
    ('[[sections]]\nheading = "x"\nfrom = ["risks"]\ntext = "y"\n', "either"),
    ('[[sections]]\nheading = "x"\nfrom = ["risks"]\nstyle = "poem"\n', "style"),
    ('title = "x"\n', "no \\[\\[sections\\]\\]"),
    ('title = \n', "letter.toml"),
])
def test_a_broken_template_is_named_with_its_problem(tmp_path, text, complaint):
    (tmp_path / "letter.toml").write_text(text)
    with pytest.raises(documents.TemplateError, match=complaint):
        documents.load_template(tmp_path / "letter.toml")


@pytest.mark.parametrize("body, complaint", [
    ({"kind": "poem"}, "kind"), ({"kind": "referral"}, "needs 'to'"),
    ({"kind": "referral", "to": "  "}, "name of a service"), ([], "send"),
])
def test_bad_requests_say_what_is_wrong(body, complaint):
    with pytest.raises(ValueError, match=complaint):
        documents.validate_request(body)


def test_an_edit_keeps_to_the_documents_evidence():
    letter = build("letter")
    sections = [dict(s) for s in letter["sections"]]
    sections[1]["text"] = "Reworded."
    edited = documents.validate_edit({"sections": sections}, letter)
    assert edited["sections"][1]["text"] == "Reworded." and "edited_at" in edited
    sections[1]["evidence"] = ["s_99"]
    with pytest.raises(ValueError, match="s_99"):
        documents.validate_edit({"sections": sections}, letter)
    assert "Reworded." in documents.document_markdown(edited)


def test_a_long_note_gets_a_bounded_number_of_model_rewrites(monkeypatch):
    """Each rewrite is a model call the worker waits for: past the bound, the note's own
    words, in the template's order, so the same note always gives the same letter."""
    monkeypatch.setattr(documents, "MAX_REWRITES", 2)
    drafter = Scripted("I came to see how things are going.",
                       "You told me you had no heating for two nights.",
                       "I will ask housing to repair the boiler.")
    letter = build("letter", drafter=drafter)
    by_heading = {s["heading"]: s["text"] for s in letter["sections"]}
    assert len(drafter.requests) == 2
    assert by_heading["Why we met"] == "I came to see how things are going."
    assert by_heading["What we talked about"] == "You told me you had no heating for two nights."
    # The third item with evidence keeps the note's words.
    assert "Ask housing to repair the boiler." in by_heading["What we agreed"]

"""The case-note scorer (scripts/note_score.py) on small hand-written notes, and the
fixture meetings (scripts/note_meetings) it scores against."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from scripts import note_score as ns

ROOT = Path(__file__).resolve().parents[2]
MEETINGS = sorted((ROOT / "scripts" / "note_meetings").glob("*.json"))

MEETING: dict[str, Any] = {
    "title": "Home visit", "service": "children's services", "date": "2026-11-24",
    "voices": {"worker": "slt", "mum": "rms"},
    "turns": [
        ["worker", "Hi, I'm Sarah, the social worker. I'm here to check how the move has gone."],
        ["mum", "Come in. It's Donna, by the way, Jayden's mum."],
        ["mum", "The rent is £450 a month and I'm two weeks behind."],
        ["worker", "I'll ring the housing office on Friday about the rent."],
        ["mum", "I want Jayden to stay at the same school."],
        ["worker", "I can see the flat is warm and there is food in the fridge."],
        ["worker", "I'll visit again on the 8th of December."],
    ],
    "checklist": [
        {"id": "a1", "kind": "attendee", "section": "attendees", "turn": 0,
         "keywords": ["social worker|social"], "name": "Sarah", "role": "social worker",
         "speaker": "worker"},
        {"id": "a2", "kind": "attendee", "section": "attendees", "turn": 1,
         "keywords": ["mum|mother|parent"], "name": "Donna", "role": "mother",
         "speaker": "mum"},
        {"id": "p1", "kind": "purpose", "section": "purpose", "turn": 0, "keywords": ["move"]},
        {"id": "d1", "kind": "discussion", "section": "discussion", "turn": 2,
         "keywords": ["rent", "450"]},
        {"id": "x1", "kind": "action", "section": "actions", "turn": 3,
         "keywords": ["housing", "ring|call|phone"], "owner": "Sarah", "due": "2026-11-27"},
        {"id": "v1", "kind": "voice", "section": "voice_of_person", "turn": 4,
         "keywords": ["school", "stay|same"]},
        {"id": "o1", "kind": "observation", "section": "observations", "turn": 5,
         "keywords": ["warm|food"]},
        {"id": "n1", "kind": "next_step", "section": "next_steps", "turn": 6,
         "keywords": ["visit", "date:2026-12-08"]},
    ],
}
LABEL = {"worker": "S1", "mum": "S2"}


def segments_of(meeting: dict[str, Any]) -> list[dict[str, Any]]:
    """One segment per turn, 5 s apart, labelled as make_meeting labels the roles."""
    labels = {role: f"S{i + 1}" for i, role in enumerate(meeting["voices"])}
    return [{"segment_id": f"s_{i + 1}", "speaker": labels[role], "start": 5.0 * i,
             "end": 5.0 * i + 4.0, "text": text}
            for i, (role, text) in enumerate(meeting["turns"])]


def truth_of(meeting: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"start_s": 5.0 * i, "end_s": 5.0 * i + 4.0, "turn": i}
            for i in range(len(meeting["turns"]))]


def item(text: str, *evidence: str, **extra: Any) -> dict[str, Any]:
    return {"text": text, "evidence": list(evidence), **extra}


def perfect_note() -> dict[str, Any]:
    return {
        "meeting_id": "m_test", "title": "Home visit", "date": "2026-11-24", "duration_s": 35.0,
        "attendees": [{"speaker": "S1", "name": "Sarah", "role": "social worker"},
                      {"speaker": "S2", "name": "Donna", "role": "mother"}],
        "purpose": [item("Sarah visited to check how the move has gone.", "s_1")],
        "discussion": [item("Donna said the rent is £450 a month and she is two weeks behind.",
                            "s_3")],
        "voice_of_person": [item("Donna wants Jayden to stay at the same school.", "s_5")],
        "observations": [item("The flat was warm, with food in the fridge.", "s_6")],
        "risks": [],
        "actions": [item("Sarah will phone the housing office about the rent.", "s_4",
                         owner="Sarah", due="2026-11-27")],
        "next_steps": [item("Sarah will visit again on 8 December.", "s_7")],
        "model": "hand", "drafted_at": "2026-11-24T12:00:00Z", "unsupported": [],
    }


def score(note: dict[str, Any], meeting: dict[str, Any] = MEETING, truth: bool = True
          ) -> dict[str, Any]:
    return ns.score(note, segments_of(meeting), meeting, truth_of(meeting) if truth else None)


def fact(report: dict[str, Any], fact_id: str) -> dict[str, Any]:
    return next(r for r in report["per_fact"] if r["id"] == fact_id)


def test_a_perfect_note_scores_full_marks() -> None:
    report = score(perfect_note())
    assert report["facts"] == {"found": 8, "total": 8, "share": 1.0, "found_anywhere": 8,
                               "cited": 6}
    assert all(v["share"] == 1.0 for v in report["by_kind"].values())
    assert report["ungrounded"]["items"] == 0, report["ungrounded"]["details"]
    assert report["misattributed"]["items"] == 0
    assert report["misattributed_truth"]["items"] == 0
    assert report["unsupported"] == {"count": 0, "per_item": 0.0}
    assert 0 < report["words"]["ratio"] < 1


def test_a_note_without_the_owner_loses_that_action() -> None:
    note = perfect_note()
    note["actions"][0]["owner"] = None
    report = score(note)
    assert report["facts"]["found"] == 7
    assert report["by_kind"]["action"] == {"found": 0, "total": 1, "share": 0.0}
    row = fact(report, "x1")
    assert not row["found"] and row["found_anywhere"] and "owner" in row["why"]


def test_an_owner_given_as_a_speaker_label_is_read_through_the_attendees() -> None:
    note = perfect_note()
    note["actions"][0]["owner"] = "S1"
    assert fact(score(note), "x1")["found"]


def test_a_wrong_or_missing_due_date_loses_the_action() -> None:
    for due in ("2026-11-28", None):
        note = perfect_note()
        note["actions"][0]["due"] = due
        row = fact(score(note), "x1")
        assert not row["found"] and "due" in row["why"]


def test_a_fact_in_the_wrong_section_is_found_only_anywhere() -> None:
    note = perfect_note()
    note["discussion"].append(note["voice_of_person"].pop())
    row = fact(score(note), "v1")
    assert not row["found"] and row["found_anywhere"]


def test_keyword_alternatives_and_spoken_dates() -> None:
    for verb, found in (("call", True), ("ring", True), ("phone", True), ("email", False)):
        note = perfect_note()
        note["actions"][0]["text"] = f"Sarah will {verb} the housing office about the rent."
        assert fact(score(note), "x1")["found"] is found, verb
    for when, found in (("on Tuesday 8th December", True), ("in two weeks", True),
                        ("on 2026-12-08", True), ("next week", False)):
        note = perfect_note()
        note["next_steps"][0]["text"] = f"Sarah will visit again {when}."
        assert fact(score(note), "n1")["found"] is found, when


def test_a_number_not_in_the_cited_line_is_ungrounded() -> None:
    note = perfect_note()
    note["discussion"][0]["text"] = "Donna said the rent is £540 a month."
    report = score(note)
    assert report["ungrounded"]["items"] == 1
    detail = report["ungrounded"]["details"][0]
    assert detail["item"] == "discussion[0]" and detail["ungrounded"] == ["number:540"]
    assert report["ungrounded"]["fabricated"] == 1


def test_a_specific_from_another_segment_is_ungrounded_but_not_fabricated() -> None:
    note = perfect_note()
    note["purpose"][0]["text"] = "Sarah visited about the £450 rent and the move."
    report = score(note)
    detail = report["ungrounded"]["details"][0]
    assert detail["ungrounded"] == ["number:450"] and detail["not_in_transcript"] == []
    assert report["ungrounded"]["fabricated"] == 0


def test_invented_names_dates_and_safeguarding_words_are_ungrounded() -> None:
    note = perfect_note()
    note["observations"][0]["text"] = "The flat was warm; Kevin was there on Monday."
    note["risks"] = [item("Jayden disclosed suicidal thoughts.", "s_5", severity="high")]
    report = score(note)
    flagged = {d["item"]: d["ungrounded"] for d in report["ungrounded"]["details"]}
    assert flagged == {"observations[0]": ["name:Kevin", "weekday:monday"],
                       "risks[0]": ["safeguarding:suicide"]}


def test_an_indirect_disclosure_grounds_the_safeguarding_word() -> None:
    meeting = copy.deepcopy(MEETING)
    meeting["turns"][4][1] = "Some nights I think everyone would be better off without me."
    note = perfect_note()
    note["risks"] = [item("Donna disclosed suicidal thoughts.", "s_5", severity="high")]
    note["voice_of_person"] = []
    report = score(note, meeting)
    assert report["ungrounded"]["items"] == 0, report["ungrounded"]["details"]


def test_an_acronym_is_grounded_by_the_words_it_stands_for() -> None:
    evidence = ns.evidence_of(["I'll refer him to occupational therapy today."],
                              dt.date(2026, 11, 26))
    assert ns.grounded("name", "OT", evidence)
    assert not ns.grounded("name", "GP", evidence)


def test_a_misattributed_item_is_counted() -> None:
    note = perfect_note()
    note["voice_of_person"][0]["text"] = "Sarah wants Jayden to stay at the same school."
    report = score(note)
    assert report["misattributed"]["items"] == 1
    assert report["misattributed"]["details"][0]["names"] == ["Sarah"]
    assert report["misattributed_truth"]["items"] == 1


def test_attribution_follows_the_note_labels_and_the_truth_separately() -> None:
    note = perfect_note()
    note["attendees"] = [{"speaker": "S1", "name": "Donna", "role": "mother"},
                         {"speaker": "S2", "name": "Sarah", "role": "social worker"}]
    report = score(note)
    # Against the note's own (swapped) labels, "Donna said" citing S2 is misattributed; the
    # truth says Donna did speak it.
    assert report["misattributed"]["items"] == 2
    assert report["misattributed_truth"]["items"] == 0


def test_a_name_that_is_no_attendee_is_reported_apart() -> None:
    note = perfect_note()
    note["voice_of_person"][0]["text"] = "Jayden wants to stay at the same school."
    report = score(note)
    assert report["misattributed"]["items"] == 0
    assert report["misattributed"]["non_attendee"][0]["names"] == ["Jayden"]


def test_attendees_match_on_name_and_role_words() -> None:
    note = perfect_note()
    note["attendees"][1] = {"speaker": "S2", "name": "donna", "role": "tenant"}
    row = fact(score(note), "a2")
    assert not row["found"] and "role" in row["why"]
    note["attendees"][1] = {"speaker": "S2", "name": "Donna Price", "role": "Jayden's mum",
                            "suggested": True}
    row = fact(score(note), "a2")
    assert row["found"] and row["why"] == "suggested"


def test_unsupported_statements_per_item() -> None:
    note = perfect_note()
    note["unsupported"] = ["Donna has a new partner.", "The school has concerns."]
    assert score(note)["unsupported"] == {"count": 2, "per_item": round(2 / 6, 3)}


@pytest.mark.parametrize(("said", "on", "want"), [
    ("Tuesday", "2026-11-30", "2026-12-01"),
    ("next Tuesday", "2026-11-30", "2026-12-08"),
    ("Tuesday week", "2026-11-30", "2026-12-08"),
    ("by Friday", "2026-11-27", "2026-12-04"),  # a bare weekday is after the meeting day
    ("this Saturday", "2026-11-24", "2026-11-28"),
    ("within 28 days", "2026-11-30", "2026-12-28"),
    ("within ten working days", "2026-11-30", "2026-12-14"),
    ("by the 12th", "2026-11-30", "2026-12-12"),
    ("the eighth of December", "2026-11-24", "2026-12-08"),
    ("first thing tomorrow", "2026-11-24", "2026-11-25"),
    ("in three months", "2026-11-26", "2027-02-26"),
    ("last Friday", "2026-12-03", "2026-11-27"),
    ("on Tuesday the 8th of December", "2026-11-24", "2026-12-08"),  # one date, not two
])
def test_spoken_dates_follow_uk_conventions(said: str, on: str, want: str) -> None:
    assert ns.spoken_dates(said, dt.date.fromisoformat(on)) == {dt.date.fromisoformat(want)}


def test_number_words_meet_digits() -> None:
    assert ns.canonical("About a hundred and twenty mils, four point nine kilos") == \
        "about 120 mils, 4.9 kilos"
    assert ns.canonical("£1,240.50 arrears, twenty-five pounds") == "£1240.50 arrears, 25 pounds"
    assert ns.canonical("no one came; her first jab") == "no one came; her first jab"


def test_turns_map_to_segments_by_time_overlap() -> None:
    segments = ns.load_segments([
        {"segment_id": "a", "speaker": "S1", "start": 0.1, "end": 2.0, "text": "Hi, I'm"},
        {"segment_id": "b", "speaker": "S1", "start": 2.1, "end": 4.0, "text": "Sarah."},
        {"segment_id": "c", "speaker": "S2", "start": 5.0, "end": 13.9, "text": "Come in."},
    ])
    mapping = ns.map_by_time(truth_of(MEETING)[:3], segments)
    assert mapping == {0: ["a", "b"], 1: ["c"], 2: ["c"]}


def test_turns_map_to_segments_by_words_without_truth() -> None:
    turns = [t[1] for t in MEETING["turns"][:3]]
    segments = ns.load_segments([
        {"segment_id": "a", "speaker": "S1", "start": 0, "end": 1,
         "text": "Hi I'm Sarah the social worker."},
        {"segment_id": "b", "speaker": "S1", "start": 1, "end": 2,
         "text": "I'm here to check how the move has gone. Come in."},
        {"segment_id": "c", "speaker": "S2", "start": 2, "end": 3,
         "text": "It's Donna by the way, Jayden's mum. The rent is 450 pounds a month and "
                 "I'm two weeks behind."},
    ])
    assert ns.map_by_text(turns, segments) == {0: ["a", "b"], 1: ["c"], 2: ["c"]}


def test_the_command_line_prints_a_json_report(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    paths = {}
    for name, data in (("note", perfect_note()), ("segments", segments_of(MEETING)),
                       ("meeting", MEETING), ("truth", {"utterances": truth_of(MEETING)})):
        paths[name] = tmp_path / f"{name}.json"
        paths[name].write_text(json.dumps(data), encoding="utf-8")
    assert ns.main([str(paths["note"]), str(paths["segments"]), str(paths["meeting"]),
                    "--truth", str(paths["truth"])]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["facts"]["share"] == 1.0 and "misattributed_truth" in report
    assert ns.main([str(paths["note"]), str(paths["segments"]), str(paths["meeting"]),
                    "--brief"]) == 0
    brief = json.loads(capsys.readouterr().out)
    assert "per_fact" not in brief and brief["facts"]["found"] == 8


# --- the fixture meetings ---------------------------------------------------------------

SECTION_OF = {"attendee": "attendees", "purpose": "purpose", "discussion": "discussion",
              "voice": "voice_of_person", "observation": "observations", "risk": "risks",
              "action": "actions", "next_step": "next_steps"}


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def test_there_are_varied_fixture_meetings() -> None:
    services = {load(p)["service"] for p in MEETINGS}
    assert len(MEETINGS) >= 4 and len(services) == len(MEETINGS)
    lines = [t[1] for p in MEETINGS for t in load(p)["turns"]]
    assert len(lines) == len(set(lines)), "a sentence is reused"


@pytest.mark.parametrize("path", MEETINGS, ids=lambda p: p.stem)
def test_a_fixture_meeting_is_well_formed(path: Path) -> None:
    m = load(path)
    on = dt.date.fromisoformat(m["date"])
    roles = {role for role, _ in m["turns"]}
    assert 30 <= len(m["turns"]) <= 45 and 3 <= len(roles) <= 4
    assert roles <= set(m["voices"]) and set(m["voices"].values()) <= {"slt", "rms", "awb",
                                                                         "kal"}
    facts = m["checklist"]
    assert 10 <= len(facts) <= 16 and len({f["id"] for f in facts}) == len(facts)
    names = {f["name"] for f in facts if f["kind"] == "attendee"}
    assert {f["speaker"] for f in facts if f["kind"] == "attendee"} == roles
    for f in facts:
        assert SECTION_OF[f["kind"]] == f["section"], f["id"]
        assert 0 <= f["turn"] < len(m["turns"]), f["id"]
        assert 1 <= len(f["keywords"]) <= 4, f["id"]
        assert all(k == k.lower() and k.strip() for k in f["keywords"]), f["id"]
        near = " ".join(t[1] for t in m["turns"][max(0, f["turn"] - 1):f["turn"] + 2])
        if f["kind"] == "action":
            assert f["owner"] in names, f["id"]
            # The due date follows from what was said at the fact's turn or beside it.
            assert dt.date.fromisoformat(f["due"]) in ns.spoken_dates(near, on), f["id"]
    kinds = {f["kind"] for f in facts}
    assert {"attendee", "purpose", "action", "risk", "voice", "observation",
            "next_step"} <= kinds


def copied_note(m: dict[str, Any]) -> dict[str, Any]:
    """A note whose items quote the script around each fact's turn: it must score 100%.

    This checks each fact's keywords, owner and due date against the words of the script
    (the due date must follow from what was said, by the scorer's UK conventions).
    """
    labels = {role: f"S{i + 1}" for i, role in enumerate(m["voices"])}
    people = {f["speaker"]: f for f in m["checklist"] if f["kind"] == "attendee"}
    note: dict[str, Any] = {
        "date": m["date"], "unsupported": [],
        "attendees": [{"speaker": labels[r], "name": p["name"], "role": p["role"]}
                      for r, p in people.items()]}
    for section in ns.ITEM_SECTIONS:
        note[section] = []
    for f in m["checklist"]:
        if f["kind"] == "attendee":
            continue
        window = range(max(0, f["turn"] - 3), min(len(m["turns"]), f["turn"] + 2))
        speaker = people[m["turns"][f["turn"]][0]]["name"]
        text = f"{speaker} said: " + " ".join(m["turns"][t][1] for t in window)
        entry = item(text, *[f"s_{t + 1}" for t in window])
        if f["kind"] == "action":
            entry |= {"owner": f["owner"], "due": f["due"]}
        note[f["section"]].append(entry)
    return note


@pytest.mark.parametrize("path", MEETINGS, ids=lambda p: p.stem)
def test_a_note_quoting_the_script_finds_every_fact(path: Path) -> None:
    m = load(path)
    report = ns.score(copied_note(m), segments_of(m), m, truth_of(m))
    missed = [r for r in report["per_fact"] if not r["found"]]
    assert not missed, missed
    assert report["facts"]["cited"] == len([f for f in m["checklist"]
                                            if f["kind"] != "attendee"])
    assert report["ungrounded"]["items"] == 0, report["ungrounded"]["details"]
    assert report["misattributed"]["items"] == 0
    assert report["misattributed_truth"]["items"] == 0


def test_a_speaker_label_is_not_a_number_to_ground() -> None:
    from scripts.note_score import specifics
    assert specifics("S2 to nip to the shop for nappies.", dt.date(2026, 12, 1), set()) == []
    assert specifics("S2 said she has 2 children.", dt.date(2026, 12, 1), set()) == [
        ("number", ("2", 2.0))]

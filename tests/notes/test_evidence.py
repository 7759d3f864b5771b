"""The evidence checker with the real all-MiniLM-L6-v2 (from its package, verified, offline)."""

from __future__ import annotations

import pytest

from server.notes.evidence import EvidenceChecker, load_minilm, missing_facts
from server.notes.prompt import DraftItem


@pytest.fixture(scope="module")
def checker(notes_store) -> EvidenceChecker:
    return EvidenceChecker(load_minilm(notes_store))


def item(text: str, *evidence: str, section: str = "discussion") -> DraftItem:
    return DraftItem(section, text, tuple(evidence))


def test_a_supported_statement_is_kept(checker, meeting) -> None:
    for text, cited in [
        ("Donna said the boiler has been broken for three weeks and there is no heating.", "s_9"),
        ("Jayden said he wants to stay living with his mum.", "s_28"),
        ("Sarah saw black mould on the wall by the window and the front room was cold.", "s_10"),
        ("Donna said Jayden has missed six days of school this half term.", "s_17"),
    ]:
        _, problem = checker.check(item(text, cited), meeting.by_id, meeting.info.speakers)
        assert problem is None, (text, problem)


def test_a_planted_unsupported_statement_is_flagged(checker, meeting) -> None:
    for text, cited in [
        ("Donna said Jayden's father has been sent to prison.", "s_17"),        # invented
        ("Donna said Jayden has missed twelve days of school.", "s_17"),        # wrong number
        ("Sarah will refer Jayden to Barnardo's.", "s_23"),                      # wrong service
        ("Jayden said he wants to live with his dad.", "s_28"),                 # contradicted
        ("Jayden said the boiler has been broken for three weeks.", "s_9"),     # wrong speaker
    ]:
        _, problem = checker.check(item(text, cited), meeting.by_id, meeting.info.speakers)
        assert problem is not None, text


def test_unknown_ids_are_dropped_and_none_left_is_unsupported(checker, meeting) -> None:
    kept, problem = checker.check(item("No heating at home.", "s_9", "s_999"), meeting.by_id,
                                  meeting.info.speakers)
    assert kept.evidence == ("s_9",) and problem is None
    _, problem = checker.check(item("No heating at home.", "s_999"), meeting.by_id,
                               meeting.info.speakers)
    assert problem == "cites no transcript segment"


def test_alignment_moves_a_wrong_citation_to_the_segment_that_says_it(checker, meeting) -> None:
    wrong = item("Jayden said he wants to go back to football on Saturdays.", "s_3",
                 section="voice_of_person")
    aligned = checker.align(wrong, meeting.segments[20:32], meeting.info.speakers)
    assert aligned.evidence == ("s_28",)
    assert checker.check(aligned, meeting.by_id, meeting.info.speakers)[1] is None


def test_alignment_adds_the_segment_with_a_missing_date(checker, meeting) -> None:
    action = item("Donna will take Jayden to the GP next Tuesday.", "s_25", section="actions")
    aligned = checker.align(action, meeting.segments[22:30], meeting.info.speakers)
    assert "s_26" in aligned.evidence
    assert checker.check(aligned, meeting.by_id, meeting.info.speakers)[1] is None


def test_names_numbers_and_dates_must_appear(meeting) -> None:
    speakers = meeting.info.speakers
    support = "Donna (mother): I'll ring the surgery and take him next Tuesday."
    assert missing_facts("Donna will take Jayden to the GP next Tuesday.", support,
                         speakers) == ["GP"]
    assert missing_facts("Donna will take him on Friday at 3.", support, speakers) == [
        "number 3", "Friday"]
    assert missing_facts("Donna will take him next Tuesday.", support, speakers) == []


def test_unnamed_speaker_labels_are_speakers_not_numbers():
    from server.notes.evidence import EvidenceChecker, numbers_in, said_by
    from server.notes.prompt import DraftItem
    from server.notes.schema import Segment

    assert numbers_in("S2 said they have 2 children") == {2.0}
    assert numbers_in("S12 said so") == set()
    assert said_by("S2 said the boiler is broken", {}) == "S2"
    segments = {"s_1": Segment("s_1", "S1", 0, 2, "How long has the boiler been broken?"),
                "s_2": Segment("s_2", "S2", 2, 4, "The boiler has been broken since Monday.")}
    checker = EvidenceChecker(None)
    ok = DraftItem("discussion", "S2 said the boiler has been broken since Monday.", ("s_2",))
    assert checker.check(ok, segments, {})[1] is None
    wrong = DraftItem("discussion", "S1 said the boiler has been broken since Monday.",
                      ("s_2",))
    assert checker.check(wrong, segments, {})[1] == "S1 does not say this in the cited segments"

"""The rules' facts and what the note does with them: every item quoted from its own line,
attributed to its speaker, owners and dates from the words, coverage accounted for, and
nothing from the prompt or from nowhere."""

from __future__ import annotations

import datetime as dt

import pytest

from server.notes.drafting import DraftReply, DraftRequest, IncrementalNote, NoteOptions
from server.notes.evidence import EvidenceChecker
from server.notes.facts import find_facts, known_people, worker_labels
from server.notes.prompt import SYSTEM_PROMPT, DraftItem, echoes_prompt
from server.notes.schema import SECTIONS, MeetingInfo, Person, Segment

TUESDAY = dt.date(2026, 12, 1)
VISIT = [
    ("S1", "Hi, I'm Priya, the social worker from children's services."),
    ("S2", "Come in. I'm Kelly, Mason's mum."),
    ("S1", "Thanks Kelly. I'm here to review the plan since the last core group."),
    ("S2", "Lovely, thanks."),
    ("S2", "The rent is £1,240.50 behind and the landlord has given us a notice to quit."),
    ("S3", "I want to stay at my school. I miss my dad."),
    ("S1", "I can see the kitchen has food in the cupboards and the heating is on."),
    ("S3", "Sometimes I think about hurting myself when they argue."),
    ("S1", "Have you ever felt like hurting yourself before?"),
    ("S1", "I'll ring the school on Monday morning about Mason's attendance."),
    ("S2", "And I will take him to the GP by the 12th."),
    ("S1", "I'll come back in two weeks to see how things are."),
    ("S2", "OK. Bye."),
]


def segments(script=VISIT) -> list[Segment]:
    return [Segment(f"s_{i}", who, 2.0 * i, 2.0 * i + 1.5, text)
            for i, (who, text) in enumerate(script, 1)]


def facts_by_section(script=VISIT, confirmed=None):
    segs = segments(script)
    people = known_people(segs, confirmed or {})
    found = find_facts(segs, people, TUESDAY)
    by_section: dict[str, list[DraftItem]] = {}
    for item in found.items:
        by_section.setdefault(item.section, []).append(item)
    return segs, people, found, by_section


def test_names_come_from_the_meeting_and_the_worker_from_their_role():
    segs, people, _, _ = facts_by_section()
    assert people["S1"] == Person("Priya", "social worker")
    assert people["S2"].name == "Kelly" and people["S2"].role == "mother"
    assert worker_labels(segs, people) == {"S1"}


def test_each_kind_of_fact_is_found_and_quotes_its_own_line():
    segs, _, _, found = facts_by_section()
    text = {seg.segment_id: seg.text for seg in segs}
    assert [i.evidence for i in found["purpose"]] == [("s_3",)]
    assert [i.evidence for i in found["observations"]] == [("s_7",)]
    assert [i.evidence for i in found["voice_of_person"]] == [("s_6",)]  # quoted whole
    risks = {i.evidence[0]: i.severity for i in found["risks"]}
    assert risks == {"s_5": "high", "s_8": "high"}   # eviction, self-harm
    for item in found["purpose"] + found["risks"] + found["voice_of_person"]:
        quoted = item.text.split(': "', 1)[1].rstrip('"')
        assert quoted in text[item.evidence[0]]      # the line's own words, never new ones


def test_a_screening_question_is_not_a_disclosure():
    _, _, _, found = facts_by_section()
    assert all(i.evidence != ("s_9",) for items in found.values() for i in items)


def test_owner_and_due_come_from_the_words_resolved_against_the_meeting_date():
    _, _, _, found = facts_by_section()
    actions = {i.evidence[0]: i for i in found["actions"]}
    assert actions["s_10"].owner == "Priya" and actions["s_10"].due_text
    assert actions["s_11"].owner == "Kelly" and actions["s_11"].due_text
    (visit,) = found["next_steps"]
    assert visit.evidence == ("s_12",)


def test_the_note_resolves_dates_and_marks_suggested_attendees():
    segs = segments()
    note = IncrementalNote(NoModel(), None, NoteOptions(rule_facts=True))
    note.add_segments(segs)
    wire = note.finish(MeetingInfo("m_1", "Visit", TUESDAY, 30.0, {})).to_wire()
    dues = {a["evidence"][0]: a["due"] for a in wire["actions"]}
    assert dues["s_10"] == "2026-12-07" and dues["s_11"] == "2026-12-12"
    owners = {a["evidence"][0]: a["owner"] for a in wire["actions"]}
    assert owners == {"s_10": "Priya", "s_11": "Kelly"}
    attendees = {a["speaker"]: a for a in wire["attendees"]}
    assert attendees["S1"] == {"speaker": "S1", "name": "Priya", "role": "social worker",
                               "suggested": True}
    assert wire["next_steps"][0]["evidence"] == ["s_12"]


def test_a_confirmed_name_wins_over_the_suggestion_and_is_not_marked():
    segs = segments()
    note = IncrementalNote(NoModel(), None)
    note.add_segments(segs)
    wire = note.finish(MeetingInfo("m_1", "Visit", TUESDAY, 30.0,
                                   {"S1": Person("Priya Shah", "social worker")})).to_wire()
    first = next(a for a in wire["attendees"] if a["speaker"] == "S1")
    assert first["name"] == "Priya Shah" and first["suggested"] is False
    assert any(a["owner"] == "Priya Shah" for a in wire["actions"])


def test_unnamed_speakers_are_named_by_label_never_guessed():
    script = [("S1", "I'm here to check how the new carers are getting on."),
              ("S2", "I feel a lot better since they started."),
              ("S1", "I'll phone the agency on Friday.")]
    segs = segments(script)
    found = find_facts(segs, known_people(segs, {}), TUESDAY)
    voice = next(i for i in found.items if i.section == "voice_of_person")
    assert voice.text.startswith('S2 said: "I feel')
    action = next(i for i in found.items if i.section == "actions")
    assert action.owner == "S1"


def test_coverage_counts_substantive_segments_and_names_the_small_talk():
    note = IncrementalNote(NoModel(), None)
    note.add_segments(segments())
    wire = note.finish(MeetingInfo("m_1", "Visit", TUESDAY, 30.0, {})).to_wire()
    coverage = wire["coverage"]
    assert "s_4" in coverage["small_talk"] and "s_13" in coverage["small_talk"]
    assert coverage["segments"] == len(VISIT) - len(coverage["small_talk"])
    cited = {sid for section in SECTIONS for item in wire[section] for sid in item["evidence"]}
    assert coverage["cited"] == len(cited - set(coverage["small_talk"]))


def test_the_prompt_has_no_worked_example_to_copy():
    assert "Example" not in SYSTEM_PROMPT and "[1]" not in SYSTEM_PROMPT


def test_an_item_repeating_the_prompt_is_an_echo():
    assert echoes_prompt("Kelly said a topic discussed and what each person said.",
                         "Kelly: the rent is behind")
    assert not echoes_prompt("Kelly said the rent is £1,240.50 behind.",
                             "Kelly: The rent is £1,240.50 behind and the landlord")


class EchoingModel:
    """A model that copies its instructions, invents a sum, and puts one person's words in
    another's mouth, beside one sound item."""

    model_name = "echoing"

    def draft(self, request: DraftRequest) -> DraftReply:
        import json
        items = [
            {"kind": "discussion", "text": "Priya said one fact per item in one short sentence.",
             "lines": [3]},
            {"kind": "discussion", "text": "Kelly said the rent is £2,000 behind.", "lines": [5]},
            {"kind": "discussion", "text": "Priya said the rent is behind and there is a "
             "notice to quit.", "lines": [5]},
            {"kind": "discussion", "text": "Kelly said the landlord has given a notice to "
             "quit because the rent is behind.", "lines": [5]},
        ]
        return DraftReply(json.dumps({"items": items}), 10, 0, 10, 0.0, 0.0, False)


class NoModel:
    model_name = "none"

    def draft(self, request: DraftRequest) -> DraftReply:
        return DraftReply('{"items": []}', 10, 0, 1, 0.0, 0.0, False)


class WordsOnly:
    """An embedder stand-in: cosine from shared words, enough to run the checker."""

    def encode(self, texts):
        import numpy as np
        vocab = sorted({w for t in texts for w in t.lower().split()})
        rows = np.array([[t.lower().split().count(w) for w in vocab] for t in texts], float)
        return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-9)


def test_echoes_invented_sums_and_misattribution_never_reach_the_note():
    note = IncrementalNote(EchoingModel(), EvidenceChecker(WordsOnly()),
                           NoteOptions(min_chunk_words=10_000, rule_facts=False))
    note.set_speakers({"S1": Person("Priya", "social worker"), "S2": Person("Kelly", "mother")})
    note.add_segments(segments())
    wire = note.finish(MeetingInfo("m_1", "Visit", TUESDAY, 30.0,
                                   {"S1": Person("Priya", "social worker"),
                                    "S2": Person("Kelly", "mother")})).to_wire()
    texts = [item["text"] for section in SECTIONS for item in wire[section]]
    assert not any("one fact per item" in t for t in texts + wire["unsupported"])
    assert not any("2,000" in t for t in texts + wire["unsupported"])
    assert not any(t.startswith("Priya said the rent") for t in texts)
    assert any(t.startswith("Kelly said the landlord") for t in texts)


def test_a_safeguarding_word_its_lines_do_not_hold_is_invented():
    checker = EvidenceChecker(WordsOnly())
    segs = {s.segment_id: s for s in segments()}
    item = DraftItem("discussion", "Kelly said she has been hurting herself.", ("s_5",))
    _, problem = checker.check(item, segs, {"S2": Person("Kelly", "mother")})
    assert problem is not None and "safeguarding" in problem


def test_a_model_item_that_is_its_line_again_or_loops_is_dropped():
    from server.notes.drafting import _transcript_again
    line = "Not properly, I keep meaning to, but I'm on nights at the warehouse four times a week."
    assert _transcript_again(f"S2: {line}", [line])
    assert _transcript_again("Hi Priya, I'm sorry, I'm late. I'm sorry, I'm late. "
                             "I'm sorry, I'm late.", ["Sorry I'm late."])
    assert not _transcript_again("Marcus said he works nights and has not spoken to the "
                                 "school.", [line, "Has anyone spoken to the school?"])


class NoisyModel:
    """A model whose items cite nothing, or say nothing."""

    model_name = "noisy"

    def draft(self, request: DraftRequest) -> DraftReply:
        import json
        items = [{"kind": "discussion", "text": "S3, S2, S1.", "lines": [5]},
                 {"kind": "discussion", "text": "The visit took place because of a risk.",
                  "lines": [99]}]
        return DraftReply(json.dumps({"items": items}), 10, 0, 10, 0.0, 0.0, False)


def test_noise_is_not_offered_to_the_worker_as_unsupported():
    note = IncrementalNote(NoisyModel(), EvidenceChecker(WordsOnly()),
                           NoteOptions(min_chunk_words=10_000, rule_facts=False))
    note.add_segments(segments())
    wire = note.finish(MeetingInfo("m_1", "Visit", TUESDAY, 30.0, {})).to_wire()
    assert wire["unsupported"] == []


def test_a_figure_that_fits_no_other_section_is_discussion_with_the_question_it_answers():
    script = [("S1", "Hi, I'm Priya, the social worker."),
              ("S1", "Let's start with school. How has her attendance been?"),
              ("S2", "She's missed nine days since half-term, mornings are the worst."),
              ("S1", "On money, your assessed contribution is £48.20 a week, and it will rise "
                     "by about 3.8% in April with the pension, which the letter explains in "
                     "more detail than I can now."),
              ("S2", "Tired, mostly.")]
    _, _, _, found = facts_by_section(script)
    first, second = found["discussion"]
    assert first.evidence == ("s_2", "s_3")
    assert first.text == ('Asked "How has her attendance been?", S2 said: "She\'s missed nine '
                          'days since half-term, mornings are the worst."')
    assert second.evidence == ("s_4",) and "£48.20" in second.text and second.text.endswith('…"')
    assert len(second.text.split()) < 25


def test_a_recap_restating_a_task_is_one_action_citing_both_lines():
    script = [("S1", "Hi, I'm Priya, the social worker."),
              ("S2", "I'm Marcus, Ellie's dad."),
              ("S1", "Would you ring the surgery and ask for an urgent appointment?"),
              ("S2", "Yeah, I'll call them first thing tomorrow."),
              ("S1", "I'll phone Mrs Okafor at the school on Friday."),
              ("S1", "So to recap, I'll speak to the school on Friday, Marcus calls the GP "
                     "tomorrow."),
              ("S1", "And I'll ring the housing office on Friday about the repairs.")]
    _, _, _, found = facts_by_section(script)
    actions = [(a.owner, a.text, a.evidence) for a in found["actions"]]
    assert actions == [
        # the request it answers, the answer, the recap
        ("Marcus", "Marcus to call the GP tomorrow.", ("s_3", "s_4", "s_6")),
        ("Priya", "Priya to phone Mrs Okafor at the school on Friday.", ("s_5", "s_6")),
        ("Priya", "Priya to ring the housing office about the repairs on Friday.", ("s_7",))]


def test_risks_said_indirectly_are_risks():
    script = [("S1", "Hi, I'm Euan, your care coordinator."),
              ("S2", "Some nights I think it'd be simpler for everybody if I just went to sleep "
                     "and did not wake up."),
              ("S3", "She says the landlord came in with his own key, without knocking."),
              ("S2", "I keep thinking I'm going to lose the flat on top of everything else."),
              ("S1", "What you've described, that's what we call criminal exploitation.")]
    _, _, _, found = facts_by_section(script)
    assert [(r.evidence, r.severity) for r in found["risks"]] == [
        (("s_2",), "high"), (("s_3",), "high"), (("s_4",), "medium"), (("s_5",), "high")]


@pytest.mark.parametrize("said", [
    "He's not been taking his insulin.",
    "I haven't eaten properly in days.",
    "He's been hearing voices again.",
    "She's been drinking a bottle of vodka a day.",
    "There's stuff piled up to the ceiling, I can't get to the bed.",
    "She's been wandering out at night in her nightie.",
    "She left the gas on again and the pan burned.",
    "Her carers keep not turning up.",
    "The landlord said he'll throw us out if we complain.",
    "The ceiling came down in the bathroom.",
    "We've got no money left till payday.",
    "She hasn't been to school for three weeks.",
    "The dog bit the toddler last week.",
    "I'm sofa surfing at my mate's.",
])
def test_practical_risks_as_people_say_them_are_risks(said):
    _, _, _, found = facts_by_section([("S1", "Hi, I'm Euan, your care coordinator."),
                                       ("S2", said)])
    assert [r.evidence for r in found["risks"]] == [("s_2",)]


@pytest.mark.parametrize("said", [
    "The dog went for a walk with Dad.",
    "We stayed out late at the fair on Saturday, it was lovely.",
    "I couldn't afford to miss the bus.",
    "He's off school for half term next week.",
    "She wanders around the garden in the afternoon, she loves it.",
    "He's been taking his medication every morning, no problems.",
    "The carers come four times a day and they're brilliant.",
])
def test_everyday_lines_with_the_same_words_are_no_risk(said):
    _, _, _, found = facts_by_section([("S1", "Hi, I'm Euan, your care coordinator."),
                                       ("S2", said)])
    assert found.get("risks", []) == []


def test_a_workers_worry_is_a_risk_but_not_their_plan():
    _, _, _, found = facts_by_section([
        ("S1", "Hi, I'm Euan, your care coordinator."),
        ("S1", "What worries me is the stairs, with her hip the way it is."),
        ("S1", "I'm worried about the stairs, so I'll ask the OT to come out.")])
    assert [r.evidence for r in found["risks"]] == [("s_2",)]


def test_purpose_and_relayed_wishes_said_other_ways():
    script = [("S1", "Hello, I'm Maya from the housing options team."),
              ("S1", "So, today is about the notice your landlord has given you."),
              ("S3", "She says the best thing is to stay in this house, near the school.")]
    _, _, _, found = facts_by_section(script)
    assert found["purpose"][0].evidence == ("s_2",)
    assert found["voice_of_person"][0].evidence == ("s_3",)


def test_the_rules_drafter_needs_no_model_and_gives_the_rules_note():
    from server.notes import DrafterConfig, load_drafter

    drafter = load_drafter(DrafterConfig(engine="rules"), None)
    note = IncrementalNote(drafter, None)
    note.add_segments(segments())
    wire = note.finish(MeetingInfo("m_1", "Visit", TUESDAY, 30.0, {})).to_wire()
    assert wire["model"] == "rules"
    assert {a["owner"] for a in wire["actions"]} == {"Priya", "Kelly"}
    assert wire["risks"] and wire["purpose"] and not wire["unsupported"]


def test_what_the_worker_notices_measures_or_sees_the_child_do_is_observed():
    script = [("S1", "Hi, I'm Owen, the health visitor."),
              ("S1", "Let's pop her on the scales. She's 4.9 kilos, up from 3.6 at birth."),
              ("S1", "And she's smiling back at me, which is just what we want."),
              ("S1", "I couldn't help noticing the curtains are still drawn."),
              ("S1", "I've noticed your phone hasn't stopped buzzing.")]
    _, _, _, found = facts_by_section(script)
    assert [o.evidence for o in found["observations"]] == [("s_2",), ("s_3",), ("s_4",), ("s_5",)]


def test_asking_that_he_is_not_told_is_the_persons_voice():
    script = [("S1", "Hi, I'm Owen, the health visitor."),
              ("S2", "Please don't say anything to him. He'd go mad if he knew I'd told you."),
              ("S2", "If there's ever a two-bed on the ground floor, I'd move tomorrow.")]
    _, _, _, found = facts_by_section(script)
    assert [v.evidence for v in found["voice_of_person"]] == [("s_2",), ("s_3",)]


def test_a_clipped_discussion_quote_keeps_its_dates_and_sums_whole():
    from server.notes.facts import _clip

    said = ("Thanks, I can see it's dated the second of November, and it says you have to "
            "leave by the 11th of January, which is not long at all for you both really.")
    clipped = _clip(said, said.index("second"))
    assert "11th of January" in clipped or "11th" not in clipped
    assert "the second of November" in clipped
    money = "Honestly the rent is about 875 pounds every month and Universal Credit gives 640 for it."
    assert "875 pounds every month" in _clip(money, money.index("875"))


def test_a_sentence_recognition_split_over_two_segments_is_read_whole_and_cites_both():
    script = [("S1", "Hi, I'm Jonah Price from the youth justice service, and this is"),
              ("S1", "Kai's check-in on his referral order."),
              ("S2", "Right."),
              ("S1", "I will"),            # left unpunctuated: a sentence of its own
              ("S1", "It'll be in by Friday, the 4th at the latest.")]
    _, _, found, by_section = facts_by_section(script)
    assert [p.evidence for p in by_section["purpose"]] == [("s_1", "s_2")]
    assert "referral order" in by_section["purpose"][0].text
    assert not any("I will It'll" in i.text for i in found.items)


def test_greetings_in_a_turn_are_small_talk_and_not_quoted_with_the_fact():
    script = [("S1", "Hi, I'm Priya, the social worker."),
              ("S2", "Lovely, thanks."),
              ("S2", "The rent is £1,240.50 behind and we've had a notice to quit.")]
    _, _, found, by_section = facts_by_section(script)
    risk = by_section["risks"][0]
    assert risk.evidence == ("s_3",) and "Lovely" not in risk.text
    assert "s_2" in found.small_talk


def test_an_action_answering_a_request_quotes_it_and_takes_its_date():
    script = [("S1", "Hi, I'm Priya, the social worker."),
              ("S3", "I'm Tom, the family support worker."),
              ("S2", "I'm Marcus, Ellie's dad."),
              ("S3", "Could you get me your last two bills by the 1st of December?"),
              ("S2", "Yeah, I'll dig them out and drop them at the centre before then.")]
    _, _, _, by_section = facts_by_section(script)
    (action,) = by_section["actions"]
    assert action.owner == "Marcus" and action.due == dt.date(2026, 12, 1)
    assert "bills" in action.text and action.evidence == ("s_4", "s_5")


def test_a_second_sentence_that_only_dates_the_first_task_is_one_action():
    script = [("S1", "Hi, I'm Ravi, the family support worker."),
              ("S1", "I'll write a letter to the council's housing team backing your "
                     "application. I'll have it done by Wednesday.")]
    _, _, _, by_section = facts_by_section(script)
    (action,) = by_section["actions"]
    assert "letter" in action.text and action.due == dt.date(2026, 12, 2)


def test_wishes_given_as_the_answer_to_what_do_you_want_are_the_persons_voice():
    script = [("S1", "Hi, I'm Ravi, the family support worker."),
              ("S1", "And what do you want, for you and the kids?"),
              ("S2", "A proper house. Where the kids have their own beds."),
              ("S1", "How was the drive?"),
              ("S2", "A proper nightmare, the ring road.")]
    _, _, _, by_section = facts_by_section(script)
    assert [v.evidence for v in by_section["voice_of_person"]] == [("s_3",)]


def test_the_next_meeting_proposed_as_a_question_is_a_dated_next_step():
    script = [("S1", "Hi, I'm Dom, your personal adviser."),
              ("S1", "Shall we say Tuesday the 22nd for the next one, just before Christmas?"),
              ("S2", "Tuesday's fine.")]
    _, _, _, by_section = facts_by_section(script)
    (step,) = by_section["next_steps"]
    assert step.due == dt.date(2026, 12, 22) and step.evidence == ("s_2",)


def test_an_aim_stated_in_other_words_is_the_purpose_and_a_later_one_is_not():
    script = [("S1", "Hi, I'm Mark, the social worker."),
              ("S2", "Come in."),
              ("S1", "So, what we need to sort out today, Declan, is the enquiry about your "
                     "bank card.")]
    _, _, _, by_section = facts_by_section(script)
    assert [p.evidence for p in by_section["purpose"]] == [("s_3",)]
    late = script[:2] + [("S1", "Right."), ("S2", "Yes.")] * 5 + script[2:]
    assert "purpose" not in facts_by_section(late)[3]


def test_a_worker_naming_a_risk_they_see_is_a_risk_but_not_one_they_plan_for():
    script = [("S1", "Hi, I'm Niall, the discharge coordinator."),
              ("S1", "She's at high risk of falling again, especially at night."),
              ("S1", "I'll get the falls team to see her about that risk of falling.")]
    _, _, _, by_section = facts_by_section(script)
    assert [r.evidence for r in by_section["risks"]] == [("s_2",)]


def test_i_can_inside_a_relative_clause_is_no_task():
    script = [("S1", "Hi, I'm Ravi, the family support worker."),
              ("S2", "I want a door I can shut at night."),
              ("S2", "And I can take him to the bank on Thursday.")]
    _, _, _, by_section = facts_by_section(script)
    assert [a.text for a in by_section["actions"]] == [
        "S2 to take him to the bank on Thursday."]


def test_a_task_said_of_someone_by_name_is_theirs():
    script = [("S1", "Hi, I'm Dom, your personal adviser."),
              ("S1", "Gemma's going to ring the school on Monday."),
              ("S1", "And we can talk about the rest later.")]   # no task: no work, no day
    _, _, _, by_section = facts_by_section(script)
    assert [(a.owner, a.due) for a in by_section["actions"]] == [("Gemma", dt.date(2026, 12, 7))]


def test_relapse_and_feeling_unsafe_are_risks_and_how_someone_looks_is_observed():
    script = [("S1", "Hi, I'm Dom, the recovery worker."),
              ("S2", "I'll be honest, I was using again over the weekend."),
              ("S3", "He turned up outside the school on Friday and I didn't feel safe."),
              ("S1", "You look shattered, to be fair."),
              ("S2", "I'm just tired.")]
    _, _, _, by_section = facts_by_section(script)
    assert [r.evidence for r in by_section["risks"]] == [("s_2",), ("s_3",)]
    assert [o.evidence for o in by_section["observations"]] == [("s_4",)]


def test_a_task_with_nothing_to_do_and_no_day_is_not_an_action():
    script = [("S1", "Hi, I'm Jonah, the youth justice worker."),
              ("S1", "No promises, but I'll ask."),
              ("S1", "I'll ask them on Monday.")]
    _, _, _, by_section = facts_by_section(script)
    assert [a.evidence for a in by_section["actions"]] == [("s_3",)]


def test_a_purpose_is_quoted_with_the_sentences_that_explain_it():
    script = [("S1", "Hi, I'm Mark, the social worker."),
              ("S1", "So, what we need to sort out today is the enquiry I told you about. "
                     "It's called a Section 42 enquiry. It's how we look into it when someone "
                     "might be taking money off a person. I'll explain more later.")]
    _, _, _, by_section = facts_by_section(script)
    (purpose,) = by_section["purpose"]
    assert "Section 42" in purpose.text and "taking money" in purpose.text
    assert "explain more" not in purpose.text


def test_a_firm_intention_is_the_persons_voice_and_a_worker_naming_eviction_a_risk():
    script = [("S1", "Hi, I'm Dom, your personal adviser."),
              ("S2", "I'm finishing that course, baby or no baby."),
              ("S1", "That's the first step towards eviction, though.")]
    _, _, _, by_section = facts_by_section(script)
    assert [v.evidence for v in by_section["voice_of_person"]] == [("s_2",)]
    assert [r.evidence for r in by_section["risks"]] == [("s_3",)]


def test_someone_there_whose_voice_no_label_holds_is_listed_present_without_a_label():
    """Diarisation merged two people under S1: neither is named on it, both are present."""
    segs = [Segment("s_1", "S1", 0.0, 2.0, "Hi, I'm Priya, the social worker."),
            Segment("s_2", "S2", 2.0, 4.0, "Hello."),
            Segment("s_3", "S1", 4.0, 6.0, "I'm Kelly, his mum."),
            Segment("s_4", "S2", 6.0, 8.0, "That's my brother Kieran, he's been stopping here.")]
    note = IncrementalNote(NoModel(), None, NoteOptions(rule_facts=True))
    note.add_segments(segs)
    wire = note.finish(MeetingInfo("m_1", "Visit", TUESDAY, 8.0, {})).to_wire()
    assert wire["attendees"] == [
        {"speaker": "", "name": "Priya", "role": "social worker", "suggested": True},
        {"speaker": "", "name": "Kelly", "role": "mother", "suggested": True},
        {"speaker": "", "name": "Kieran", "role": "brother", "suggested": True}]
    # the worker names S1 Priya: she is listed once, on her label
    named = note.finish(MeetingInfo("m_1", "Visit", TUESDAY, 8.0,
                                    {"S1": Person("Priya", "social worker")})).to_wire()
    assert [(a["speaker"], a["name"]) for a in named["attendees"]] == [
        ("S1", "Priya"), ("", "Kelly"), ("", "Kieran")]


def test_in_a_multi_agency_meeting_a_professional_reporting_a_risk_is_a_risk():
    script = [("S1", "Hi, I'm Paul, the social worker chairing today."),
              ("S2", "Hi, I'm Ann, the district nurse."),
              ("S2", "She told me she's not had a hot meal in weeks, just toast."),
              ("S2", "From our side the fire risk is the worry, with the heater by the bed."),
              ("S2", "Her rent arrears are 400 pounds now.")]       # the case, not a risk
    _, _, _, found = facts_by_section(script)
    assert [r.evidence for r in found["risks"]] == [("s_3",), ("s_4",)]


def test_a_worker_passing_on_the_persons_own_words_gives_their_voice():
    script = [("S1", "Hi, I'm Paul, the social worker."),
              ("S2", "Hi, I'm Ann, the district nurse."),
              ("S2", "I asked him. He said, it's my house and it's my choice. "
                     "I don't want anyone moving my things.")]
    _, _, _, found = facts_by_section(script)
    voice = found["voice_of_person"]
    assert [v.evidence for v in voice] == [("s_3",)]
    assert voice[0].text.startswith("Ann passed on:")


def test_what_a_worker_found_when_they_went_round_is_observed():
    script = [("S1", "Hi, I'm Paul, the social worker."),
              ("S1", "When I went round on Friday the kitchen door was shut and the hall "
                     "was blocked solid with bags.")]
    _, _, _, found = facts_by_section(script)
    assert [o.evidence for o in found["observations"]] == [("s_2",)]


def test_a_short_point_with_a_figure_is_quoted_with_what_it_is_about():
    _, _, _, found = facts_by_section([
        ("S1", "Hi, I'm Euan, your social worker."),
        ("S2", "Six hundred pound, every month. Housing benefit only covers the rent on a "
               "one bed.")])
    (point,) = found["discussion"]
    assert point.text == ('S2 said: "Six hundred pound, every month. Housing benefit only '
                          'covers the rent on a one bed."')
    assert point.evidence == ("s_2",)


def test_a_task_that_leans_back_quotes_what_it_is_about():
    script = [("S1", "Hi, I'm Imran from the carers' centre."),
              ("S1", "There's a sitting service, someone sits with Ken for three hours so "
                     "you can get out. I'll get the referral done tomorrow."),
              ("S2", "Is there anything for the breakfast club?"),
              ("S1", "I'll put him on the list for Monday."),
              ("S1", "I'll ring the surgery about his tablets on Friday.")]
    _, _, _, by_section = facts_by_section(script)
    actions = {a.text.split(" (after ")[0].rstrip("."): a for a in by_section["actions"]}
    referral = actions["Imran to get the referral done tomorrow"]
    assert 'after Imran: "There\'s a sitting service' in referral.text
    listed = actions["Imran to put him on the list for Monday"]
    assert '"Is there anything for the breakfast club?"' in listed.text
    assert listed.evidence == ("s_3", "s_4")
    # a task that names what it is about stands alone
    assert "Imran to ring the surgery about his tablets on Friday." in [
        a.text for a in by_section["actions"]]


def test_the_day_given_when_asked_dates_the_task_before():
    script = [("S1", "Hi, I'm Daniel, the supervising social worker."),
              ("S2", "I'll ring Mrs Daley at the school, she does all that."),
              ("S1", "When do you think you'll manage it?"),
              ("S2", "Tomorrow, first thing. I'm not in work till ten."),
              ("S1", "I'll email the team. When are you free?"),
              ("S2", "Last Monday was the last time I was free.")]
    _, _, _, by_section = facts_by_section(script)
    rung = next(a for a in by_section["actions"] if "Mrs Daley" in a.text)
    assert rung.due == dt.date(2026, 12, 2) and rung.evidence == ("s_2", "s_3", "s_4")
    assert 'asked when: "Tomorrow' in rung.text
    emailed = next(a for a in by_section["actions"] if "email" in a.text)
    assert emailed.due is None     # a day in the past answers nothing


def test_figures_in_the_chat_before_the_purpose_are_not_discussion_and_quotes_lose_their_erms():
    script = [("S2", "Come in. I've had about four coffees already this morning."),
              ("S1", "Hi, I'm Priya, the social worker."),
              ("S1", "So, erm, the reason I'm here today is to review the child in need plan."),
              ("S2", "She's missed nine days since half-term.")]
    _, _, _, by_section = facts_by_section(script)
    assert [d.evidence for d in by_section["discussion"]] == [("s_4",)]
    assert by_section["purpose"][0].text == (
        'Priya said: "The reason I\'m here today is to review the child in need plan."')


def test_a_task_put_as_a_question_is_taken_with_its_day_and_its_object():
    script = [("S1", "Hi, I'm Neil, housing options at the council."),
              ("S2", "I'm Darren, her uncle."),
              ("S1", "Right, so, Darren, you're going to ring Clarion on Monday, yeah, just to "
                     "check they're okay with her staying?"),
              ("S2", "Yeah. Monday. I'll ring them first thing.")]
    _, _, _, by_section = facts_by_section(script)
    rung = by_section["actions"][0]
    assert (rung.owner, rung.due) == ("Darren", dt.date(2026, 12, 7))
    assert "Clarion" in rung.text and rung.evidence == ("s_3", "s_4")


def test_a_task_quotes_what_its_own_sentence_said_before_it_and_takes_its_day():
    script = [("S1", "Hi, I'm Neil, housing options at the council."),
              ("S1", "There's a panel for the supported housing, it sits on the 14th, and "
                     "I'll get you on it."),
              ("S1", "Right, leave that with me. They can do a new door and better locks. "
                     "I'll put you in for it.")]
    _, _, _, by_section = facts_by_section(script)
    panel, door = by_section["actions"]
    assert panel.due == dt.date(2026, 12, 14)
    assert 'after Neil: "There\'s a panel for the supported housing' in panel.text
    assert 'after Neil: "They can do a new door and better locks."' in door.text


def test_a_next_meeting_takes_its_day_from_the_short_question_after_it():
    script = [("S1", "Hi, I'm Neil, housing options at the council."),
              ("S1", "So let's get back together after the panel, when we know more. Same "
                     "place, if that's alright? Thursday the 17th?"),
              ("S2", "Yeah, fine.")]
    _, _, _, by_section = facts_by_section(script)
    step = by_section["next_steps"][0]
    assert step.due == dt.date(2026, 12, 17) and "Thursday the 17th?" in step.text


def test_an_introduction_is_no_risk_and_a_quote_drops_the_questions_put_in_passing():
    script = [("S1", "Hi, I'm Gareth, the social worker."),
              ("S2", "Hiya. So I'm Idris, I'm an independent domestic violence adviser."),
              ("S3", "Can I come in there, Idris? He had me by the throat. Do you remember?")]
    _, _, _, by_section = facts_by_section(script)
    risks = by_section["risks"]
    assert [r.evidence for r in risks] == [("s_3",)]
    assert risks[0].text.endswith('said: "He had me by the throat."')


def test_the_answer_keeps_the_short_questions_it_answers():
    script = [("S1", "Hi, I'm Gareth, the social worker."),
              ("S1", "And how's Mason been? Since Saturday?"),
              ("S2", "He's wet the bed twice since the 28th of November.")]
    _, _, _, by_section = facts_by_section(script)
    assert by_section["discussion"][0].text.startswith(
        'Asked "And how\'s Mason been? Since Saturday?", ')


def test_the_day_another_gives_for_the_next_meeting_dates_it():
    script = [("S1", "Hi, I'm Neil, housing options at the council."),
              ("S1", "We should meet again once the panel's sat. When's good for you?"),
              ("S2", "Thursday the 17th, after school. Is that okay?"),
              ("S1", "When can we talk about the bills?"),
              ("S2", "Last Monday was easier.")]
    _, _, _, by_section = facts_by_section(script)
    step, = by_section["next_steps"]
    assert step.due == dt.date(2026, 12, 17) and step.evidence == ("s_2", "s_3")
    assert '"Thursday the 17th, after school."' in step.text

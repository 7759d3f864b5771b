import datetime as dt

import pytest

from server.notes.actions import Commitment, find_commitments
from server.notes.evidence import missing_facts
from server.notes.schema import Person, Segment

TUESDAY = dt.date(2026, 12, 1)
SPEAKERS = {"S1": Person("Sarah", "social worker"), "S2": Person("Donna", "mother"),
            "S3": Person("Jayden", "young person")}


def said(text: str, speaker: str = "S1", previous: Segment | None = None,
         speakers: dict[str, Person] = SPEAKERS) -> list[Commitment]:
    return find_commitments(Segment("s_9", speaker, 10.0, 14.0, text), previous, speakers,
                            TUESDAY)


def one(text: str, speaker: str = "S1", previous: Segment | None = None) -> Commitment:
    found = said(text, speaker, previous)
    assert len(found) == 1, found
    return found[0]


def test_first_person_commitment_is_owned_by_the_named_speaker_with_its_date() -> None:
    assert said("I'll ring the school on Monday morning.") == [Commitment(
        "s_9", "action", "Sarah to ring the school on Monday morning.", "Sarah",
        dt.date(2026, 12, 7), "on Monday morning")]


def test_an_unnamed_speaker_owns_by_label() -> None:
    found = said("I'll ring the school on Monday.", speaker="S4")
    assert [(c.owner, c.text) for c in found] == [("S4", "S4 to ring the school on Monday.")]


@pytest.mark.parametrize(("line", "text"), [
    ("I will send you the leaflet.", "Sarah to send you the leaflet."),
    ("I'm going to speak to the head teacher.", "Sarah to speak to the head teacher."),
    ("I'm gonna chase the repair.", "Sarah to chase the repair."),
    ("I can give you a lift to the dentist.", "Sarah to give you a lift to the dentist."),
    ("Let me ring the landlord after this.", "Sarah to ring the landlord after this."),
    ("I'll make sure to email the school.", "Sarah to email the school."),
    ("I need to update my manager.", "Sarah to update their manager."),
    ("What I'll do is write to the council.", "Sarah to write to the council."),
    ("Thank you, I'll ring them.", "Sarah to ring them."),
])
def test_first_person_forms(line: str, text: str) -> None:
    c = one(line)
    assert (c.kind, c.text, c.owner, c.due, c.due_words) == ("action", text, "Sarah", None, None)


def test_we_and_lets_are_owned_by_the_speaker_with_the_phrase_as_said() -> None:
    c = one("We'll sort out our rent arrears next week.", speaker="S2")
    assert (c.text, c.owner, c.due) == ("Donna to sort out our rent arrears next week.", "Donna",
                                        dt.date(2026, 12, 8))
    c = one("Let's book the review for the 3rd.")
    assert (c.kind, c.text, c.due) == ("action", "Sarah to book the review for the 3rd.",
                                       dt.date(2026, 12, 3))


@pytest.mark.parametrize(("line", "speaker", "owner", "text", "due"), [
    ("Mum will take me to the GP on Friday.", "S3", "Mum",
     "Mum to take Jayden to the GP on Friday.", dt.date(2026, 12, 4)),
    ("Sam from housing will send the form by the 12th.", "S1", "Sam",
     "Sam from housing to send the form by the 12th.", dt.date(2026, 12, 12)),
    ("Jo is going to call the nursery.", "S2", "Jo", "Jo to call the nursery.", None),
    ("Donna will send me the photos tonight.", "S1", "Donna",
     "Donna to send Sarah the photos tonight.", TUESDAY),
    ("The school will ring you this afternoon.", "S1", "The school",
     "The school to ring you this afternoon.", TUESDAY),
    ("My manager will ring you tomorrow.", "S1", "Sarah's manager",
     "Sarah's manager to ring you tomorrow.", dt.date(2026, 12, 2)),
    ("Mum has agreed to take him to the dentist on the 14th.", "S1", "Mum",
     "Mum to take him to the dentist on the 14th.", dt.date(2026, 12, 14)),
])
def test_third_person_commitments_are_owned_by_whoever_is_named(
        line: str, speaker: str, owner: str, text: str, due: dt.date | None) -> None:
    c = one(line, speaker)
    assert (c.kind, c.owner, c.text, c.due) == ("action", owner, text, due)


@pytest.mark.parametrize("line", [
    "He'll ring you tomorrow.",             # a pronoun names no one
    "It'll be fine.",
    "Universal Credit will be cut again.",
    "The GP will want to see him.",
])
def test_third_person_without_an_owner_or_a_task_is_nothing(line: str) -> None:
    assert said(line) == []


@pytest.mark.parametrize("line", [
    "I'll be honest with you, it's not great.", "I'll let you go now.",
    "I'll tell you what, that boiler is a disgrace.", "I'm going to be honest.",
    "I'll just sit here.", "Let me think.", "Let me see.",
    "Let me just check that I have understood.", "I'll see what I can do.",
    "I can see the mould on the wall.", "I can hear you're upset.", "I can imagine.",
    "We'll see how it goes.", "Let's talk about school.", "We'll come back to that.",
    "I'll do my best.", "Yeah, I'll try.", "I need to go soon.", "I'll put the kettle on.",
])
def test_politeness_and_talk_about_the_meeting_are_not_commitments(line: str) -> None:
    assert said(line) == []


@pytest.mark.parametrize("line", [
    "I'd like to move somewhere warmer.", "I could if they paid for it.",
    "I wish I could ring them.", "If I can get a slot that would help.",
    "I won't go back there.", "I can't afford the bus.", "I cannot do Mondays.",
    "I will not be able to come on Monday.", "I'm not going to ring them.",
    "I rang them last week.", "I was going to ring them on Monday.", "I needed to sleep.",
    "Did you ring them on Monday?", "Will I need to bring anything?",
    "I'm going to school tomorrow.", "I'm going to Tesco later.",
    "I'm going to my nan's on Friday.",
])
def test_hypotheticals_negations_the_past_questions_and_places_are_not(line: str) -> None:
    assert said(line, speaker="S2") == []


def test_tell_you_what_does_not_hide_the_commitment_after_it() -> None:
    c = one("I'll tell you what, I'll ring them tomorrow.")
    assert c.text == "Sarah to ring them tomorrow."


@pytest.mark.parametrize(("line", "due", "words"), [
    ("I'll ring you on Monday.", dt.date(2026, 12, 7), "on Monday"),
    ("I'll send it by the 12th.", dt.date(2026, 12, 12), "by the 12th"),
    ("I'll send it by the twelfth.", dt.date(2026, 12, 12), "by the twelfth"),
    ("I'll make the referral within 28 days.", dt.date(2026, 12, 29), "within 28 days"),
    ("I'll ring you next Tuesday.", dt.date(2026, 12, 8), "next Tuesday"),   # dates.py: next week's
    ("I'll ring you on Tuesday.", dt.date(2026, 12, 8), "on Tuesday"),   # same weekday: a week on
    ("I'll ring you in two weeks.", dt.date(2026, 12, 15), "in two weeks"),
    ("I'll ring you tomorrow.", dt.date(2026, 12, 2), "tomorrow"),
    ("I'll ring you by the end of the week.", dt.date(2026, 12, 4), "by the end of the week"),
    ("I'll ring you on the eighth of December.", dt.date(2026, 12, 8), "on the eighth of December"),
    ("I'll write on Tuesday week.", dt.date(2026, 12, 15), "on Tuesday week"),
    ("I'll ring you on Monday the 7th.", dt.date(2026, 12, 7), "on Monday the 7th"),
    ("I'll ring you first thing tomorrow morning.", dt.date(2026, 12, 2),
     "first thing tomorrow morning"),
    ("I'll ring the GP on the 30th.", dt.date(2026, 12, 30), "on the 30th"),
])
def test_due_dates_resolve_against_the_meeting_date(line: str, due: dt.date, words: str) -> None:
    c = one(line)
    assert (c.due, c.due_words) == (due, words)
    assert c.text.endswith(f" {words}.")


def test_a_day_of_the_month_already_past_is_next_months() -> None:
    found = find_commitments(Segment("s_1", "S1", 0, 1, "I'll ring you on the 3rd."), None,
                             SPEAKERS, dt.date(2026, 12, 15))
    assert found[0].due == dt.date(2027, 1, 3)


def test_no_time_said_means_no_due_date() -> None:
    c = one("I'll look into whether the fund can cover the football subs.")
    assert (c.due, c.due_words) == (None, None)
    assert c.text == "Sarah to look into whether the fund can cover the football subs."


def test_date_words_in_the_middle_move_to_the_end_once() -> None:
    c = one("I'll ring the school on Monday about his uniform.")
    assert c.text == "Sarah to ring the school about his uniform on Monday."
    assert c.text.count("Monday") == 1


def test_two_verb_phrases_give_two_commitments_and_the_date_stays_with_its_own() -> None:
    found = said("I'll apply to the fund and make the referral by Friday.")
    assert [(c.text, c.due) for c in found] == [
        ("Sarah to apply to the fund.", None),
        ("Sarah to make the referral by Friday.", dt.date(2026, 12, 4))]


def test_a_new_subject_ends_the_phrase_and_its_date_for_the_work_dates_the_task() -> None:
    # "you'll get a copy within 10 days" is not the listener's task, but it says when the
    # write-up is due; "they'll see you on Monday" says nothing of the call
    c = one("OK, so I'll write this up and you'll get a copy within 10 days.")
    assert (c.text, c.due) == ("Sarah to write this up within 10 days.",
                               TUESDAY + dt.timedelta(days=10))
    c = one("I'll ring the school, and they'll see you on Monday.")
    assert (c.text, c.due) == ("Sarah to ring the school.", None)


def test_a_noun_after_and_is_not_a_second_commitment() -> None:
    c = one("I will make a referral about the boiler and the mould.")
    assert c.text == "Sarah to make a referral about the boiler and the mould."


def test_and_ill_do_that_by_friday_dates_the_commitment_before_it() -> None:
    c = one("I will make a referral to housing, and I'll do that by Friday.")
    assert (c.text, c.due) == ("Sarah to make a referral to housing by Friday.",
                               dt.date(2026, 12, 4))


@pytest.mark.parametrize(("line", "owner", "text", "due"), [
    ("I'll come back in two weeks.", "Sarah", "Sarah to come back in two weeks.",
     dt.date(2026, 12, 15)),
    ("I'll see you on Thursday then, Donna.", "Sarah", "Sarah to see you on Thursday.",
     dt.date(2026, 12, 3)),
    ("We'll meet again next month.", "Sarah", "Sarah to meet again next month.",
     dt.date(2027, 1, 1)),
    ("The review is on the 3rd.", None, "The review is on the 3rd.", dt.date(2026, 12, 3)),
    ("Next visit on Thursday.", None, "Next visit on Thursday.", dt.date(2026, 12, 3)),
    ("The case conference is on the twelfth.", None, "The case conference is on the twelfth.",
     dt.date(2026, 12, 12)),
    ("Our next meeting will be on Monday.", None, "Our next meeting will be on Monday.",
     dt.date(2026, 12, 7)),
])
def test_next_steps(line: str, owner: str | None, text: str, due: dt.date) -> None:
    c = one(line)
    assert (c.kind, c.owner, c.text, c.due) == ("next_step", owner, text, due)


@pytest.mark.parametrize("line", [
    "I'll come back to that in a minute.", "The last review was on the 3rd.",
    "The review on Monday went well.",
])
def test_what_is_not_a_next_step(line: str) -> None:
    assert said(line) == []


def test_booking_the_next_visit_is_one_action_not_also_a_next_step() -> None:
    found = said("I'll book the next visit for Thursday and I'll ring the school.")
    assert [(c.kind, c.text) for c in found] == [
        ("action", "Sarah to book the next visit for Thursday."),
        ("action", "Sarah to ring the school.")]


@pytest.mark.parametrize(("line", "due"), [
    ("The child in need review is booked for the 18th.", dt.date(2026, 12, 18)),
    ("We'll have the review meeting on the 14th of December at the school.",
     dt.date(2026, 12, 14)),
    ("We'll get everyone back round the table in six weeks.", dt.date(2027, 1, 12)),
    ("We'll review it all at the next meeting in four weeks.", dt.date(2026, 12, 29)),
])
def test_the_next_meeting_said_other_ways_is_a_next_step(line, due) -> None:
    (found,) = said(line)
    assert (found.kind, found.due) == ("next_step", due)


def test_a_next_step_and_an_action_in_one_sentence_come_in_the_order_said() -> None:
    found = said("Next visit on Thursday, and I'll ring the school before then.")
    assert [(c.kind, c.text, c.owner) for c in found] == [
        ("next_step", "Next visit on Thursday.", None),
        ("action", "Sarah to ring the school before then.", "Sarah")]


def test_an_accepted_request_is_owned_by_the_one_who_accepts() -> None:
    ask = Segment("s_8", "S1", 5.0, 9.0, "Can you send me the form by Friday?")
    found = said("Yes, OK.", speaker="S2", previous=ask)
    assert found == [Commitment("s_9", "action", "Donna to send Sarah the form by Friday.",
                                "Donna", dt.date(2026, 12, 4), "by Friday")]


@pytest.mark.parametrize(("reply", "text", "due"), [
    ("Will do.", "Donna to bring their tenancy agreement to the office.", None),
    ("Sure, I can do that by Thursday.",
     "Donna to bring their tenancy agreement to the office by Thursday.", dt.date(2026, 12, 3)),
    ("Yeah, no problem, Sarah.", "Donna to bring their tenancy agreement to the office.", None),
])
def test_acceptances_take_the_request_and_their_own_date(
        reply: str, text: str, due: dt.date | None) -> None:
    ask = Segment("s_8", "S1", 5.0, 9.0,
                  "Donna, could you bring your tenancy agreement to the office?")
    c = one(reply, speaker="S2", previous=ask)
    assert (c.segment_id, c.owner, c.text, c.due) == ("s_9", "Donna", text, due)


def test_an_unnamed_requester_keeps_me() -> None:
    ask = Segment("s_8", "S5", 5.0, 9.0, "Could you ring me on Monday?")
    c = one("OK.", speaker="S2", previous=ask)
    assert (c.owner, c.text, c.due) == ("Donna", "Donna to ring me on Monday.",
                                        dt.date(2026, 12, 7))


@pytest.mark.parametrize(("ask", "reply", "speaker"), [
    ("Can you send me the form by Friday?", "No, sorry.", "S2"),
    ("Can you send me the form by Friday?", "Yes, OK.", "S1"),        # the asker agreeing
    ("Can you tell me about school?", "Yeah.", "S2"),                # asking, not a task
    ("Would you like a referral?", "Yes please.", "S2"),
    ("Will you be in on Friday?", "Yes.", "S2"),
    ("The boiler is broken again.", "OK.", "S2"),                    # nothing asked
    ("Can you send me the form?", "OK, thanks, I think that's everything.", "S2"),
])
def test_no_accepted_request(ask: str, reply: str, speaker: str) -> None:
    assert said(reply, speaker=speaker, previous=Segment("s_8", "S1", 5.0, 9.0, ask)) == []


def test_a_reply_with_its_own_commitment_keeps_its_own_words() -> None:
    ask = Segment("s_8", "S1", 5.0, 9.0, "Could you send me photos of the mould?")
    assert [c.text for c in said("Yeah, I'll send them tonight.", "S2", ask)] == [
        "Donna to send them tonight."]


HOUSING = {"S1": Person("Priya", "housing support worker"), "S2": Person("Mark", "tenant")}
VISIT = [  # (speaker, line) of a housing visit on Tuesday 1 December 2026
    ("S1", "Thanks for having me, Mark. I'm here to look at the damp and talk about the rent "
           "arrears."),
    ("S2", "I rang the council three times last month and nobody came out."),
    ("S1", "I can see the damp in the bathroom, and the window frame is rotten."),
    ("S1", "I'll be honest, the arrears worry me more than the damp."),
    ("S1", "I'll ring environmental health on Monday morning and ask them to inspect the flat."),
    ("S2", "I'd like to move somewhere smaller, if I'm honest."),
    ("S1", "Could you bring your tenancy agreement to the office by the 12th?"),
    ("S2", "Yeah, no problem."),
    ("S3", "Jo from the food bank is going to drop off a parcel tomorrow."),
    ("S3", "I'll fill in the discretionary housing payment form within 28 days, I promise."),
    ("S1", "Let me just check I've got this right: the boiler was fixed in October?"),
    ("S1", "We'll meet again next Tuesday. The case conference is on the twelfth, and I'll let "
           "you know what they decide."),
]
EXPECTED = [
    # "ask them": one task with the call before it, and its date
    ("h5", "action", "Priya to ring environmental health and ask them to inspect the flat on "
     "Monday morning.", "Priya", dt.date(2026, 12, 7), "on Monday morning"),
    ("h8", "action", "Mark to bring their tenancy agreement to the office by the 12th.", "Mark",
     dt.date(2026, 12, 12), "by the 12th"),
    ("h9", "action", "Jo from the food bank to drop off a parcel tomorrow.", "Jo",
     dt.date(2026, 12, 2), "tomorrow"),
    ("h10", "action", "S3 to fill in the discretionary housing payment form within 28 days.",
     "S3", dt.date(2026, 12, 29), "within 28 days"),
    ("h12", "next_step", "Priya to meet again next Tuesday.", "Priya", dt.date(2026, 12, 8),
     "next Tuesday"),
    ("h12", "next_step", "The case conference is on the twelfth.", None, dt.date(2026, 12, 12),
     "on the twelfth"),
    ("h12", "action", "Priya to let you know what they decide.", "Priya", None, None),
]


def _visit() -> list[tuple[Segment, Segment | None, list[Commitment]]]:
    segments = [Segment(f"h{i}", who, i * 6.0, i * 6.0 + 5, text)
                for i, (who, text) in enumerate(VISIT, start=1)]
    return [(seg, prev, find_commitments(seg, prev, HOUSING, TUESDAY))
            for seg, prev in zip(segments, [None, *segments[:-1]], strict=True)]


def test_a_housing_visit_gives_exactly_the_commitments_said() -> None:
    found = [c for _, _, items in _visit() for c in items]
    assert [(c.segment_id, c.kind, c.text, c.owner, c.due, c.due_words) for c in found] == EXPECTED


def test_every_name_number_and_date_in_the_text_is_in_its_lines() -> None:
    for seg, prev, items in _visit():   # the lines as the checker sees them: "who: text"
        support = " ".join(f"{HOUSING[s.speaker].name if s.speaker in HOUSING else s.speaker}: "
                           f"{s.text}" for s in (seg, prev) if s is not None)
        for c in items:
            assert missing_facts(c.text, support, HOUSING) == [], c.text


def test_the_home_visit_fixture_gives_its_planted_actions(meeting) -> None:
    by_line: dict[str, list[Commitment]] = {}
    previous = None
    for seg in meeting.segments:
        by_line[seg.segment_id] = find_commitments(seg, previous, meeting.info.speakers,
                                                   meeting.info.date)
        previous = seg
    assert [(c.owner, c.due) for c in by_line["s_31"]] == [("Sarah", dt.date(2026, 11, 27))]
    assert ("Donna", dt.date(2026, 12, 1)) in [(c.owner, c.due) for c in by_line["s_26"]]
    assert [(c.kind, c.owner, c.due) for c in by_line["s_37"]] == [
        ("next_step", "Sarah", dt.date(2026, 12, 10))]
    assert "Sarah to refer Jayden to CAMHS." in [c.text for c in by_line["s_36"]]
    for quiet in ("s_3", "s_9", "s_10", "s_14", "s_17", "s_28", "s_38"):
        assert by_line[quiet] == [], quiet


def test_a_recap_hands_each_task_to_the_person_named() -> None:
    people = {"S1": Person("Priya"), "S2": Person("Marcus"), "S3": Person("Tom Reid"),
              "S4": Person("Callum")}
    recap = Segment("s_9", "S1", 0, 1, "So, to recap: I'll speak to the school on Friday, "
                    "Marcus calls the GP tomorrow, Tom sends the grant off by the 4th, and "
                    "Callum has Ellie on Saturdays.")
    got = [(c.owner, c.text, c.due) for c in find_commitments(recap, None, people, TUESDAY)]
    assert got == [
        ("Priya", "Priya to speak to the school on Friday.", dt.date(2026, 12, 4)),
        ("Marcus", "Marcus to call the GP tomorrow.", dt.date(2026, 12, 2)),
        ("Tom Reid", "Tom to send the grant off by the 4th.", dt.date(2026, 12, 4)),
        ("Callum", "Callum to have Ellie on Saturdays.", dt.date(2026, 12, 5)),
    ]


def test_a_list_of_tasks_by_name_in_a_summary() -> None:
    people = {"S1": Person("Hannah"), "S4": Person("Ade Mensah"), "S3": Person("Douglas")}
    line = Segment("s_9", "S1", 0, 1, "Ade, the call record by Monday and the charts from "
                   "tomorrow. Douglas, the falls detector on Saturday.")
    got = [(c.owner, c.text) for c in find_commitments(line, None, people, TUESDAY)]
    assert got == [("Ade Mensah", "Ade: the call record by Monday."),
                   ("Ade Mensah", "Ade: the charts from tomorrow."),
                   ("Douglas", "Douglas: the falls detector on Saturday.")]


def test_a_name_not_of_the_meeting_is_no_recap_owner() -> None:
    line = Segment("s_9", "S1", 0, 1, "Jayden loves it there, Mia sends her love.")
    assert find_commitments(line, None, {"S1": Person("Priya")}, TUESDAY) == []


def test_ringing_someone_to_ask_is_one_task() -> None:
    c = one("Right. I'll ring the school on Monday and ask about a college placement.")
    assert c.text == "Sarah to ring the school and ask about a college placement on Monday."
    assert c.due == dt.date(2026, 12, 7)


@pytest.mark.parametrize(("line", "text", "due"), [
    ("So this afternoon I'm putting a referral in to the exploitation team.",
     "Sarah to put a referral in to the exploitation team this afternoon.", TUESDAY),
    ("I'm sending the form off tomorrow.", "Sarah to send the form off tomorrow.",
     dt.date(2026, 12, 2)),
])
def test_a_plan_in_the_present_tense_is_an_action(line: str, text: str, due: dt.date) -> None:
    c = one(line)
    assert (c.text, c.due) == (text, due)


@pytest.mark.parametrize("line", ["I'm making a cup of tea, do you want one?",
                                  "I'm calling it a day.", "I'm writing this up after."])
def test_what_someone_is_doing_now_is_no_action(line: str) -> None:
    assert said(line) == []


def test_a_date_that_opens_the_sentence_is_the_due_date_only_when_nothing_stands_between() -> None:
    assert one("Tomorrow, I'll ring the surgery.").due == dt.date(2026, 12, 2)
    assert one("On Friday the boiler broke, and I'll ring the landlord.").due is None


@pytest.mark.parametrize("line", ["The letter explains it in more detail than I can now.",
                                  "As much as I can, honestly.", "I can now, yes."])
def test_a_modal_with_no_task_after_it_is_no_action(line: str) -> None:
    assert said(line) == []


def test_a_task_about_her_right_after_an_undated_one_is_the_same_task() -> None:
    c = one("I also need to let our safeguarding lead know. I'll speak to her before the end "
            "of tomorrow, and I'll tell you when I have.")
    assert c.text == ("Sarah to let our safeguarding lead know, and speak to her before the "
                      "end of tomorrow.")
    assert c.due == dt.date(2026, 12, 2)


def test_a_weekday_day_and_month_stay_together_in_the_task():
    import datetime as dt

    from server.notes.actions import find_commitments
    from server.notes.schema import Person, Segment

    said = Segment("s_1", "S1", 0.0, 3.0,
                   "I'll come back on Tuesday the 8th of December at four, after school.")
    (c,) = find_commitments(said, None, {"S1": Person("Priya", "social worker")},
                            dt.date(2026, 11, 24))
    assert c.due == dt.date(2026, 12, 8) and "back of December" not in c.text
    assert c.due_words == "on Tuesday the 8th of December at four"


def test_a_new_clause_after_a_comma_and_as_soon_as_keep_the_task_whole() -> None:
    assert one("I'll ring the surgery on Monday, mornings are easier anyway.").text == (
        "Sarah to ring the surgery on Monday.")
    assert one("I'll text her our email address as soon as we're off the call.").text == (
        "Sarah to text her our email address as soon as we're off the call.")


def test_a_fear_said_with_going_to_is_not_a_task() -> None:
    assert said("I keep thinking I'm going to lose the flat on top of everything else.") == []
    assert said("I'm worried I'll fail the course.") == []
    assert one("I think I'll ring them tomorrow.").text == "Sarah to ring them tomorrow."


def test_let_me_about_what_is_said_now_is_no_task() -> None:
    assert said("Let me read back what we've agreed, 11 pounds a week from the 7th.") == []
    assert said("Let me just see if I've got this right.") == []
    assert one("Let me check with my manager.").text == "Sarah to check with their manager."


def test_a_weekday_with_a_bare_ordinal_dates_the_task_by_the_ordinal() -> None:
    c = one("Paul's going to do the online safety course at the Civic Centre Tuesday 8th.")
    assert c.owner == "Paul" and c.due == dt.date(2026, 12, 8)


def test_going_to_them_on_a_day_after_an_undated_task_is_when_it_is_done():
    found = said("I'll do a carer's assessment with you. I'll visit you Monday week, the 14th.")
    assert [(c.kind, c.text, c.due) for c in found] == [
        ("action", "Sarah to do a carer's assessment with you, and visit you Monday week, "
                   "the 14th.", dt.date(2026, 12, 14))]


def test_reconvening_is_a_next_step():
    (found,) = said("Then let's reconvene in two weeks, same link.")
    assert (found.kind, found.due) == ("next_step", dt.date(2026, 12, 15))


@pytest.mark.parametrize(("line", "text", "due"), [
    # the task, then a short line naming its day (Tuesday 1 December 2026)
    ("I'll rebook the check myself. Thursday at ten, would that work?",
     "Sarah to rebook the check themselves (Thursday at ten).", dt.date(2026, 12, 3)),
    # a vague date refined by the day said after it
    ("I'll finish the assessment at the end of the month. Wednesday the thirtieth?",
     "Sarah to finish the assessment at the end of the month (Wednesday the thirtieth).",
     dt.date(2026, 12, 30)),
    # "that same day": the day said earlier in the sentence
    ("The rails come next Tuesday, and I'll come out that same day and fit them.",
     "Sarah to come out that same day and fit them next Tuesday.", dt.date(2026, 12, 8)),
    ("I'll bring a new gate when I visit on Thursday afternoon.",
     "Sarah to bring a new gate on Thursday afternoon.", dt.date(2026, 12, 3)),
])
def test_a_task_takes_the_day_said_next_to_it(line: str, text: str, due: dt.date) -> None:
    found = one(line)
    assert (found.text, found.due) == (text, due)


def test_a_line_after_a_task_that_is_long_or_past_does_not_date_it() -> None:
    assert one("I'll ring the GP. The surgery was closed when I went on Thursday last "
               "week and nobody picked up.").due is None
    assert one("I'll ring the GP. Last Monday?").due is None


@pytest.mark.parametrize(("line", "task"), [
    ("I'd like to refer you to the family support team.",
     "Sarah to refer you to the family support team."),
    ("One thing I'd like to do is refer you to the carers' centre.",
     "Sarah to refer you to the carers' centre."),
    ("What I'll do is rebook the appointment.", "Sarah to rebook the appointment."),
])
def test_a_wish_to_do_a_task_is_a_task(line: str, task: str) -> None:
    assert one(line).text == task


@pytest.mark.parametrize("line", ["I'd like to sing with the choir again.",
                                  "I would like to go home.",
                                  "I'd like to be left alone."])
def test_a_wish_that_is_no_task_is_not_an_action(line: str) -> None:
    assert said(line, speaker="S2") == []


@pytest.mark.parametrize("line", ["No heavy lifting for the first month.",
                                  "She lives on the third floor."])
def test_the_first_month_is_no_date(line: str) -> None:
    from server.notes.actions import date_in
    assert date_in(line, TUESDAY) == (None, None)


def test_a_day_said_first_governs_the_task_joined_after_it() -> None:
    found = said("So tomorrow at ten I'll come back and we'll ring the bank together.")
    assert [(c.kind, c.due) for c in found] == [("next_step", dt.date(2026, 12, 2)),
                                                 ("action", dt.date(2026, 12, 2))]
    assert said("I'll ring the bank, on Monday Alan's taking you to the branch.")[0].text == \
        "Sarah to ring the bank."


def test_a_task_reported_back_on_a_day_is_done_by_that_day() -> None:
    found = one("I'll do that search and let you know by Monday.")
    assert (found.text, found.due) == (
        "Sarah to do that search, and let you know by Monday.", dt.date(2026, 12, 7))


def test_a_day_said_again_pins_down_the_day_before_it() -> None:
    step = said("So I'll come back Tuesday week, after school. That's the 17th.")
    assert [(c.kind, c.due) for c in step] == [("next_step", dt.date(2026, 12, 17))]
    assert "That's the 17th" in step[0].text


def test_someone_elses_words_quoted_are_not_the_speakers_task() -> None:
    assert said("He keeps sending stuff like, you can't keep them from me, I'll take them.",
                "S2") == []
    assert said("He said, I'll be round tomorrow.", "S2") == []


def test_a_service_that_can_start_on_a_day_is_an_action() -> None:
    start = one("From our side, we can start on Thursday.")
    assert start.due == dt.date(2026, 12, 3) and start.owner == "Sarah"
    assert said("I'll start with the easy questions.") == []



@pytest.mark.parametrize(("line", "kind", "due"), [
    ("And then I'll come and see you at home, a week today.", "next_step", dt.date(2026, 12, 8)),
    ("We'll hold a strategy discussion on Tuesday the 15th.", "next_step", dt.date(2026, 12, 15)),
    ("Then I'll come back, three weeks today, so Tuesday the 22nd, about four?", "next_step",
     dt.date(2026, 12, 22)),
    ("I'll come back a fortnight tomorrow.", "next_step", dt.date(2026, 12, 16)),
    ("I'll ring the school, Monday.", "action", dt.date(2026, 12, 7)),
])
def test_the_next_visit_and_its_day_as_people_say_them(line: str, kind: str, due: dt.date) -> None:
    found = one(line)
    assert (found.kind, found.due) == (kind, due)

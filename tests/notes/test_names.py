"""Name and role suggestions from self-introductions and forms of address."""

from __future__ import annotations

import pytest

from server.notes.names import NameSuggestion, present_people, suggest_names
from server.notes.schema import Person, Segment


def lines(*spoken: tuple[str, str]) -> list[Segment]:
    """Segments s_1, s_2, ... from (speaker, text) pairs, four seconds apart."""
    return [Segment(f"s_{i}", speaker, 4.0 * i, 4.0 * i + 3.5, text)
            for i, (speaker, text) in enumerate(spoken, start=1)]


def one(text: str, speaker: str = "S1") -> dict[str, NameSuggestion]:
    return suggest_names(lines((speaker, text)))


@pytest.mark.parametrize(("text", "name", "role"), [
    ("Hi, I'm Sarah, the social worker from children's services.", "Sarah", "social worker"),
    ("Hello, it's Sam from housing.", "Sam", "housing officer"),
    ("My name's Donna, I'm Jayden's mum.", "Donna", "mother"),
    ("My name is Sarah Collins.", "Sarah Collins", ""),
    ("I am Priya, the interpreter.", "Priya", "interpreter"),
    ("This is Sam from housing, is Donna in?", "Sam", "housing officer"),
    ("Hi, Jo here, from the family support team.", "Jo", "family support worker"),
    ("Sam speaking.", "Sam", ""),
    ("It's Josephine really, but call me Jo.", "Jo", ""),
    ("I'm Tom, the school nurse.", "Tom", "school nurse"),
    ("I'm Mary-Jane, his aunt.", "Mary-Jane", "aunt"),
    ("I'm O'Neill, Jayden's GP.", "O'Neill", "GP"),
    ("I'm Sarah and I'm your social worker.", "Sarah", "social worker"),
    # on the phone
    ("Hello, it's Niall, the discharge coordinator on Elm Ward.", "Niall",
     "discharge coordinator"),
    ("And I'm Alasdair, the SENCO here at Rowan Hill.", "Alasdair", "SENCO"),
    ("Yeah, so I'm Idris, I'm an IDVA, with the Harbour Project.", "Idris", "IDVA"),
    ("And I'm Neil, housing options at the council.", "Neil", "housing officer"),
])
def test_self_introductions_name_the_speaker(text: str, name: str, role: str) -> None:
    assert one(text) == {"S1": NameSuggestion("S1", name, role, "s_1")}


@pytest.mark.parametrize(("text", "role"), [
    ("I'm the health visitor.", "health visitor"),
    ("I'm his dad.", "father"),
    ("I'm his mother, yes.", "mother"),
    ("I'm his nan, I have him at weekends.", "grandmother"),
    ("I'm his uncle.", "uncle"),
    ("I'm Jayden's foster carer.", "foster carer"),
    ("I'm a family support worker.", "family support worker"),
    ("I'm from housing.", "housing officer"),
    ("I'm the police officer who came out on Friday.", "police officer"),
    ("I work as a key worker at the hostel.", "key worker"),
    ("Right, as your personal adviser I've got to do your pathway plan review today.",
     "personal adviser"),
])
def test_a_role_said_of_oneself_is_a_suggestion_without_a_name(text: str, role: str) -> None:
    assert one(text) == {"S1": NameSuggestion("S1", "", role, "s_1")}


@pytest.mark.parametrize("text", [
    "I'm fine, thanks.",
    "I'm Fine.",
    "I'm from Leeds originally.",
    "I'm sorry, I didn't catch that.",
    "I'm Sorry about that.",
    "I'm Not sure.",
    "I'm Worried about him.",
    "I'm Going to the shop later.",
    "I'm here to help.",
    "It's Monday, isn't it?",
    "This is Jayden's room.",
    "This is Jayden, my son.",          # presents someone else
    "I'm Polish.",
    "I'm worried about his mum.",       # a relation, but not of the speaker
    "The social worker's here.",
    "She said I'm his mum.",            # reported speech
    "I'm a bit early.",
    "It's Niall's, the blue one.",      # whose it is, not who is speaking
    "As you know, I've got to go.",
    "I'm just, Erm, I'm on your side, basically.",   # a hesitation is nobody's name
])
def test_false_friends_suggest_nothing(text: str) -> None:
    assert one(text) == {}


@pytest.mark.parametrize(("text", "name"), [
    ("Come in, Jo.", "Jo"),
    ("Thanks, Sarah.", "Sarah"),
    ("Thanks Sarah.", "Sarah"),
    ("Hi Jo", "Jo"),
    ("Jo, can you pass me that form?", "Jo"),
    ("How are you, Mrs Okafor?", "Mrs Okafor"),
    ("Jayden! The social worker's here.", "Jayden"),
    ("See you next week, Donna!", "Donna"),
    ("Hello, is that Gavin? I've got your mum next to me.", "Gavin"),   # a phone call
    ("Alright, Tanya. Thanks for having me round again.", "Tanya"),   # a greeting
    ("Come in. Reece, get your feet off the sofa.", "Reece"),   # called, then told
    ("I've got you on the video, Elena, and the interpreter's on the line.", "Elena"),
])
def test_being_addressed_names_the_next_speaker(text: str, name: str) -> None:
    got = suggest_names(lines(("S1", text), ("S2", "Yes.")))
    assert got == {"S2": NameSuggestion("S2", name, "", "s_1")}


@pytest.mark.parametrize("text", [
    "Sorry, can you say that again?",
    "Honestly, do you think so?",
    "Lovely, thank you.",
    "Right, shall we start?",
    "Thanks, Mum.",
    "Jayden, he's been struggling.",    # talks about him, not to him
    "I went with my sister, Michelle.",
    "Did you ring my sister, Michelle?",
    "Hi, Sarah here.",                   # the speaker's own name, not the listener's
    "Sugar?",
])
def test_lines_that_do_not_call_anyone_name_nobody_else(text: str) -> None:
    assert "S2" not in suggest_names(lines(("S1", text), ("S2", "Yes.")))


def test_the_address_goes_to_the_next_different_speaker_within_two_lines() -> None:
    segs = lines(("S1", "Come in, Jo."), ("S1", "Sit wherever you like."), ("S3", "Thanks."),
                 ("S2", "Hello."))
    assert suggest_names(segs) == {"S3": NameSuggestion("S3", "Jo", "", "s_1")}


def test_an_address_with_no_other_speaker_in_the_next_two_lines_names_nobody() -> None:
    segs = lines(("S1", "Come in, Jo."), ("S1", "Sit down."), ("S1", "Tea?"), ("S2", "Yes."))
    assert suggest_names(segs) == {}


def test_a_self_introduction_beats_being_addressed() -> None:
    segs = lines(("S1", "Hi Jo, come in."), ("S2", "Actually I'm Joanne, from housing."))
    assert suggest_names(segs) == {"S2": NameSuggestion("S2", "Joanne", "housing officer", "s_2")}


def test_an_address_keeps_the_role_the_speaker_gave() -> None:
    segs = lines(("S2", "I'm his mum."), ("S1", "Thanks, Donna."), ("S2", "That's OK."))
    assert suggest_names(segs) == {"S2": NameSuggestion("S2", "Donna", "mother", "s_2")}


def test_one_label_introducing_two_people_gets_nothing() -> None:
    segs = lines(("S1", "I'm Sarah, the social worker."), ("S2", "Hello."),
                 ("S1", "And I'm Michelle from housing."))
    assert suggest_names(segs) == {}


def test_the_same_first_name_twice_is_one_person_and_the_fuller_name_wins() -> None:
    segs = lines(("S1", "I'm Sarah."), ("S2", "Hello."), ("S1", "Sorry, my name is Sarah Collins."))
    assert suggest_names(segs) == {"S1": NameSuggestion("S1", "Sarah Collins", "", "s_3")}


def test_two_labels_introducing_the_same_name_keep_it_for_the_earlier() -> None:
    segs = lines(("S1", "I'm Sarah."), ("S3", "I'm Sarah, the advocate."))
    assert suggest_names(segs) == {"S1": NameSuggestion("S1", "Sarah", "", "s_1"),
                                   "S3": NameSuggestion("S3", "", "advocate", "s_2")}


def test_a_name_addressed_to_one_label_and_introduced_by_another_goes_to_the_introducer() -> None:
    segs = lines(("S1", "Thanks, Sarah."), ("S2", "No problem."), ("S3", "I'm Sarah."))
    assert suggest_names(segs) == {"S3": NameSuggestion("S3", "Sarah", "", "s_3")}


def test_the_same_name_addressed_to_two_labels_stays_with_the_earlier_line() -> None:
    segs = lines(("S1", "Hi Jo."), ("S2", "Hi."), ("S1", "Thanks, Jo."), ("S3", "OK."))
    assert suggest_names(segs) == {"S2": NameSuggestion("S2", "Jo", "", "s_1")}


def test_two_different_names_addressed_to_one_label_name_nobody() -> None:
    segs = lines(("S1", "Hi Jo."), ("S2", "Hi."), ("S1", "Thanks, Sam."), ("S2", "OK."))
    assert suggest_names(segs) == {}


def test_confirmed_labels_get_no_suggestion_and_their_names_are_taken() -> None:
    segs = lines(("S1", "I'm Sarah, the social worker."), ("S2", "Thanks, Sarah."),
                 ("S3", "No problem."), ("S2", "I'm his mum."))
    got = suggest_names(segs, {"S1": Person("Sarah", "social worker")})
    assert got == {"S2": NameSuggestion("S2", "", "mother", "s_4")}
    assert suggest_names(segs) == {"S1": NameSuggestion("S1", "Sarah", "social worker", "s_1"),
                                   "S2": NameSuggestion("S2", "", "mother", "s_4")}


def test_names_keep_their_case_without_punctuation() -> None:
    assert one("Hi, I'm McKenzie!")["S1"].name == "McKenzie"
    assert one("I'm Mrs. Okafor.")["S1"].name == "Mrs. Okafor"


def test_to_wire_is_the_protocol_shape() -> None:
    suggestion = NameSuggestion("S2", "Sam", "housing officer", "s_4")
    assert suggestion.to_wire() == {"name": "Sam", "role": "housing officer", "segment_id": "s_4"}


def test_the_opening_of_a_home_visit() -> None:
    segs = lines(
        ("S1", "Hi, I'm Sarah, the social worker from children's services. You must be Donna?"),
        ("S2", "Yes, that's me. My name's Donna, I'm Jayden's mum. Come in."),
        ("S1", "Thank you. Sorry, I'm a bit early."),
        ("S2", "That's fine. I'm sorry about the mess, it's been a hard week."),
        ("S3", "Hiya."),
        ("S2", "Jayden, come and say hello to Sarah."),
        ("S3", "Do I have to stay?"),
        ("S1", "Only if you want to. It's nice to meet you."),
        ("S2", "He's been off school since Monday. It's Monday today, actually."),
        ("S1", "Okay. Is this Jayden's room, or shall we sit in here?"),
    )
    assert suggest_names(segs) == {
        "S1": NameSuggestion("S1", "Sarah", "social worker", "s_1"),
        "S2": NameSuggestion("S2", "Donna", "mother", "s_2"),
        "S3": NameSuggestion("S3", "Jayden", "", "s_6"),
    }
    confirmed = {"S1": Person("Sarah", "social worker")}
    assert set(suggest_names(segs, confirmed)) == {"S2", "S3"}


def test_someone_presented_with_their_relation_is_the_next_voice_with_that_role() -> None:
    got = suggest_names(lines(("S1", "This is my dad, Len."), ("S2", "Yes.")))
    assert got == {"S2": NameSuggestion("S2", "Len", "father", "s_1")}


@pytest.mark.parametrize("text", [
    "Massive. I'm nineteen weeks now.",       # how they are, not who
    "Rubbish. I'm sick every morning.",
    "Gemma. I'm not sure she'll come.",
])
def test_a_word_before_i_am_is_no_name_unless_i_am_says_who(text: str) -> None:
    segs = lines(("S1", text), ("S2", "Oh dear."))
    assert suggest_names(segs) == {}
    assert present_people(segs, {}) == []


def test_present_people_are_everyone_the_talk_shows_was_there_and_no_label_holds() -> None:
    segs = lines(("S2", "That's my brother Kieran, he's been stopping here."),
                 ("S1", "Hiya. I'm Euan, your care coordinator."),
                 ("S3", "Alright."),
                 ("S1", "Thanks, Mo. And Kieran, can you hold the tablets?"),
                 ("S2", "I'm on to Stuart tomorrow."))
    named = {label: Person(s.name, s.role) for label, s in suggest_names(segs).items()}
    assert named["S1"] == Person("Euan", "care coordinator") and named["S3"].name == "Mo"
    # Kieran, presented with his relation, was there; Stuart, only talked about, was not;
    # Euan and Mo are on their labels already
    assert present_people(segs, named) == [Person("Kieran", "brother")]


def test_names_called_that_no_label_can_take_are_still_present() -> None:
    segs = lines(("S1", "Thanks, Jo."), ("S2", "Okay."), ("S1", "Thanks, Sam."),
                 ("S2", "Right."))
    assert suggest_names(segs) == {}    # one voice called two names: which is whose?
    assert present_people(segs, {}) == [Person("Jo", ""), Person("Sam", "")]


def test_that_is_my_brother_names_no_label() -> None:
    """"That's my brother Kieran" says he is there, not that he speaks next."""
    segs = lines(("S2", "That's my brother Kieran. And Tunde's on his way."),
                 ("S4", "Sorry I'm late, parking was a nightmare."))
    assert "S4" not in suggest_names(segs)


def test_a_label_that_introduced_two_people_still_lists_both_as_present() -> None:
    segs = lines(("S1", "Hi, I'm Sarah, the social worker."), ("S2", "Hello."),
                 ("S1", "I'm Donna, his mum."))
    assert "S1" not in suggest_names(segs)
    assert present_people(segs, {}) == [Person("Sarah", "social worker"),
                                        Person("Donna", "mother")]


def test_a_confirmed_name_is_not_suggested_for_another_label() -> None:
    segs = lines(("S1", "Hello."), ("S3", "I'm Sarah, the advocate."))
    got = suggest_names(segs, {"S1": Person("Sarah")})
    assert got == {"S3": NameSuggestion("S3", "", "advocate", "s_2")}


@pytest.mark.parametrize(("text", "name", "role"), [
    # a round of introductions, where people give a name and then a job or a relation
    ("I am, thanks. Bernie Walsh, tenancy sustainment officer with Eastgate Housing.",
     "Bernie Walsh", "tenancy sustainment officer"),
    ("Hi Bernie. Rory Campbell, money adviser at the Citizens Advice.", "Rory Campbell",
     "money adviser"),
    ("Of course. Hiya, Kirsty. I'm Owen, one of the health visitors from the Beech Road team.",
     "Owen", "health visitor"),
    ("Callum. I'm Marcus's dad, so Ellie's grandad.", "Callum", "father"),
    ("Douglas, his son. I drive down most weekends.", "Douglas", "son"),
    ("Hi everyone, Ade Mensah. I coordinate the visits for Brightwell Home Care.", "Ade Mensah",
     "coordinator"),
    ("Hello Frank, it's Hannah Clarke from adult social care.", "Hannah Clarke",
     "social worker"),
])
def test_introductions_round_with_job_titles_and_relations(text, name, role):
    (suggestion,) = one(text).values()
    assert (suggestion.name, suggestion.role) == (name, role)


def test_a_name_called_before_a_request_is_not_an_introduction():
    found = suggest_names(lines(("S1", "Hello Frank, it's Hannah Clarke from adult social care."),
                                ("S2", "Hello."),
                                ("S1", "That's understandable. Ade, could the carers prompt each "
                                       "dose and write it down?")))
    assert found["S1"].name == "Hannah Clarke"   # not merged away by a claim to be Ade


def test_someone_seen_off_is_not_the_next_voice():
    segs = lines(("S3", "I'll leave you to it, I need to nip to the shop."),
                 ("S1", "No problem, see you in a bit, Dean."),
                 ("S2", "She's on formula now, about a hundred and twenty mils every three hours."))
    assert "S2" not in suggest_names(segs)


def test_a_name_called_more_often_before_one_voice_goes_to_that_voice():
    segs = lines(("S1", "Hiya, Kirsty."), ("S4", "Hello."), ("S1", "Kirsty, how is she feeding?"),
                 ("S2", "Fine, mostly."), ("S1", "Thanks, Kirsty. And you, Kirsty?"),
                 ("S2", "Tired."))
    assert suggest_names(segs)["S2"].name == "Kirsty" and "S4" not in suggest_names(segs)


def test_a_person_presented_by_another_is_the_next_voice_with_the_role_said() -> None:
    talk = lines(
        ("S1", "Of course. Hiya, Kirsty. I'm one of the health visitors from the Beech Road "
               "team, and this is Sam."),
        ("S1", "A student nurse who's shadowing me today, if that's alright with you."),
        ("S3", "Hello, lovely to meet you. I'll mostly just be listening."),
        ("S2", "That's fine. Sorry, I've not had a chance to get dressed."),
        ("S1", "Kirsty, how has your mood been since the birth?"),
        ("S2", "Tired. Tearful sometimes."),
    )
    got = suggest_names(talk)
    assert got["S1"] == NameSuggestion("S1", "", "health visitor", "s_1")
    assert (got["S3"].name, got["S3"].role) == ("Sam", "student nurse")
    assert got["S2"].name == "Kirsty"


def test_a_farewell_names_the_one_who_said_they_were_going() -> None:
    talk = lines(
        ("S2", "I'll leave you to it. I need to nip to the shop for nappies."),
        ("S1", "No problem, see you in a bit, Dean."),
        ("S1", "So, how's feeding going?"),
        ("S3", "She's on formula now."),
    )
    assert suggest_names(talk) == {"S2": NameSuggestion("S2", "Dean", "", "s_2")}


def test_a_farewell_to_nobody_leaving_names_nobody() -> None:
    talk = lines(("S2", "Right, the kettle's on."), ("S1", "See you, Dean."),
                 ("S3", "He's gone to work already, he left at eight."))
    assert suggest_names(talk) == {}   # S2 said nothing of going; S3 did not answer it


@pytest.mark.parametrize("text", [
    "And its palm read, from the Family Support Team.",     # recognition lost the name
    "And it's Tom Reid, from the family support team.",
])
def test_a_role_from_a_team_named_after_it_is(text: str) -> None:
    assert one(text)["S1"].role == "family support worker"


def test_it_is_a_letter_from_housing_is_no_role() -> None:
    assert one("It's a letter from the council housing, look.") == {}


def test_a_label_with_two_roles_keeps_the_one_said_with_its_name() -> None:
    talk = lines(("S4", "Douglas, his son. I drive down from Carlisle most weekends."),
                 ("S1", "Thanks for coming."),
                 ("S4", "I coordinate Frank's visits for Brightwell Homecare."))
    assert suggest_names(talk)["S4"] == NameSuggestion("S4", "Douglas", "son", "s_1")


@pytest.mark.parametrize(("text", "name", "role"), [
    ("Just so it's clear, it's Jonah Price from the youth justice service, and this is "
     "Kai's check-in.", "Jonah Price", "youth justice service"),
    ("Hi, I'm Euan, from the Larchfield community team.", "Euan", "Larchfield community team"),
    ("Euan. I'm your care coordinator.", "Euan", "care coordinator"),
])
def test_a_team_or_title_not_in_the_tables_is_kept_as_said(text: str, name: str,
                                                            role: str) -> None:
    assert one(text) == {"S1": NameSuggestion("S1", name, role, "s_1")}


def test_an_adverb_that_opens_a_line_is_no_name() -> None:
    assert one("Probably. I'm not that bothered about it.") == {}


def test_thanks_goes_to_the_one_who_spoke_before() -> None:
    talk = lines(("S1", "I'll come back and see you next Wednesday, about two o'clock."),
                 ("S2", "Two's fine. Thanks, Euan."),
                 ("S3", "I'll walk you down, mate."))
    assert suggest_names(talk) == {"S1": NameSuggestion("S1", "Euan", "", "s_2")}


def test_greeting_the_room_names_nobody() -> None:
    talk = lines(("S4", "Sorry, sorry. Traffic was a nightmare. Hiya Lorna, hiya everyone."),
                 ("S1", "No bother, we've only just sat down."))
    assert suggest_names(talk) == {}


def test_a_name_and_the_team_after_a_comma_is_an_introduction() -> None:
    got = one("Cheers. Lorna, hi. Euan, from the Larchfield community team, I'm your care "
              "coordinator.")
    assert got == {"S1": NameSuggestion("S1", "Euan", "care coordinator", "s_1")}


def test_a_job_title_in_the_next_sentence_after_the_name_is_the_role() -> None:
    got = one("Brilliant, thanks. I'm Ross Milne. Homelessness prevention officer at "
              "Montgomery Council.")
    assert got == {"S1": NameSuggestion("S1", "Ross Milne", "homelessness prevention officer",
                                        "s_1")}


def test_its_a_name_then_what_they_do_is_an_introduction():
    segs = lines(("S1", "Morning all."),
                 ("S4", "And it's Dev, I look after Ken's tenancy at Eastfield Homes."))
    assert suggest_names(segs)["S4"] == NameSuggestion("S4", "Dev", "housing officer", "s_2")


def test_two_people_with_the_same_title_are_two_people_present():
    segs = lines(("S1", "Thanks, Mrs Okafor."), ("S2", "Okay."), ("S1", "Thanks, Mrs Bell."),
                 ("S2", "Right."))
    assert present_people(segs, {}) == [Person("Mrs Okafor", ""), Person("Mrs Bell", "")]


@pytest.mark.parametrize(("text", "name", "role"), [
    ("So, for the minutes, I'm Gregor, I'm the children's social worker.", "Gregor",
     "social worker"),
    ("I'm Nadia, Mia and Alfie's social worker from children's services.", "Nadia",
     "social worker"),
    ("I'm Neil, I'm Daniel's care coordinator here at the community team.", "Neil",
     "care coordinator"),
])
def test_a_title_after_a_possessive_is_the_speakers_role(text: str, name: str,
                                                          role: str) -> None:
    found = one(text)["S1"]
    assert (found.name, found.role) == (name, role)


def test_a_presented_title_is_the_title_not_the_clause() -> None:
    found = suggest_names(lines(("S1", "And this is Martin, who's Lily-Mae's health visitor."),
                                ("S2", "Morning, I've brought the notes."),
                                ("S3", "And this is Dr Moffat, the consultant psychiatrist."),
                                ("S4", "Hello, nice to meet you.")))
    assert (found["S2"].name, found["S2"].role) == ("Martin", "health visitor")
    assert (found["S4"].name, found["S4"].role) == ("Dr Moffat", "consultant psychiatrist")


def test_one_presented_is_not_the_next_voice_when_that_voice_gives_its_own_name() -> None:
    found = suggest_names(lines(("S1", "This is my sister, Abena. She's come along."),
                                ("S2", "Hello, Abena. I'm Neil, the care coordinator.")))
    assert (found["S2"].name, found["S2"].role) == ("Neil", "care coordinator")


def test_this_is_someone_from_next_door_later_in_a_line_presents_them() -> None:
    found = suggest_names(lines(("S1", "I'm Simon, a social worker with adult social care."),
                                ("S2", "Sit yourself down. This is Alan from next door. "
                                       "He's been very good to me."),
                                ("S3", "Two years, at the most.")))
    assert "S2" not in found or found["S2"].name != "Alan"


@pytest.mark.parametrize(("text", "role"), [
    # as recognition writes them: words lost or added around the title
    ("I'm Gregor, in the children's social worker and the lead professional.",
     "social worker"),
    ("I'm Kim, in the school nurse team.", "school nurse"),
    ("I'm Neil, I'm Daniels care coordinator here.", "care coordinator"),
    # a relation or another's title after the name is not the speaker's
    ("I'm Sam, and my mum is coming later.", ""),
    ("I'm Jo, and my social worker is off today.", ""),
])
def test_a_title_near_the_name_is_the_speakers_own(text: str, role: str) -> None:
    assert one(text)["S1"].role == role


def test_a_name_with_an_s_that_is_another_name_said_is_a_possessive() -> None:
    found = suggest_names(lines(("S1", "Hello, Abena, I'm Neil."),
                                ("S1", "I'm Daniels Careco-ordinator here at the team."),
                                ("S2", "Good to see you, Daniel."),
                                ("S3", "Thanks.")))
    assert found["S1"].name == "Neil"


def test_a_question_about_who_helps_names_nobody() -> None:
    found = present_people(lines(("S1", "Is there anyone else helping? Family, neighbours?"),
                                 ("S2", "Not really, no.")), {})
    assert found == []

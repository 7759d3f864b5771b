import pytest

from server.notes.risks import RiskMonitor, find_cue
from server.notes.schema import Segment

DISCLOSURES = [
    ("I feel like hurting myself", "self-harm"),
    ("Sometimes at night I feel like hurting myself. I haven't done anything, but I think "
     "about it.", "self-harm"),
    ("He self-harms when he's upset.", "self-harm"),
    ("He has cuts on his arms.", "self-harm"),
    ("She says she wants to die.", "suicide"),
    ("I don't want to be here anymore.", "suicide"),
    ("He hit me last week.", "violence"),
    ("He threatened to kill me.", "violence"),
    ("I'm scared of him.", "domestic abuse"),
    ("My partner takes all my money and checks my phone.", "domestic abuse"),
    ("She's got an older boyfriend who picks her up from school.", "sexual harm"),
    ("Her mum leaves them home alone at night.", "neglect"),
    ("He went missing on Saturday and the police brought him back.", "missing episode"),
    ("Some days I skip meals so Jayden can eat.", "no food"),
    ("We've got no heating and no hot water.", "no heating"),
    ("The boiler's been broken for three weeks now.", "no heating"),
    ("He's been smoking weed every day.", "substance misuse"),
    ("They're holding drugs for some older lads.", "exploitation"),
    ("When the other children don't get him he gets cross and lashes out.", "violence"),
    ("He's hit two children this half term.", "violence"),
    ("He said if I grass on him his mates'll come round and put my windows through.", "violence"),
    ("Shane's got it. He minds my card for me.", "financial abuse"),
    ("She takes my pension every week.", "financial abuse"),
    # as people say it, not as a form names it
    ("Some days I don't see the point of carrying on.", "suicide"),
    ("What's the point of any of it.", "suicide"),
    ("I can't see a way out of this.", "suicide"),
    ("I've been saving up my tablets.", "suicide"),
    ("I can't keep going like this.", "suicide"),
    ("He's been scratching his arms till they bleed.", "self-harm"),
    ("He put his hands round my neck.", "violence"),
    ("I shake him when he won't stop crying.", "violence"),
    ("He gets angry when I go out and he shouts at me.", "domestic abuse"),
    ("I'm frightened to go home.", "domestic abuse"),
    ("Mum's boyfriend told me not to tell anyone.", "sexual harm"),
    ("He's been staying out with older lads.", "exploitation"),
    ("He's been taking my bank card and I never see the money.", "financial abuse"),
    ("My nephew keeps asking me for money and I can't say no.", "financial abuse"),
    ("When I was pregnant he had me up against the fridge by my throat.", "violence"),
    ("He pinned her to the wall.", "violence"),
    ("He keeps sending stuff like, you can't keep them from me.", "violence"),
    ("And last night one just said, you'll regret this.", "violence"),
    ("I found him after, hiding in the airing cupboard. He'd heard all of it.",
     "domestic abuse"),
]
EVERYDAY = [
    "She hurt her knee at football.",
    "His sister hurt her knee at football last year, so she stopped going.",
    "He kicked the ball over the fence.",
    "Have you ever felt like hurting yourself?",     # the worker's screening question
    "He has never hit her.",
    "He's been missing school a lot.",
    "She's been missing her dad since he moved.",
    "The heating is on now, it's lovely and warm.",
    "No food allergies.",
    "No sign of neglect in the home.",
    "He's not been drinking at all.",
    "I could murder a cup of tea.",
    "I'm dying to see the new film.",
    "They hit it off straight away.",
    "It was a killer game last night.",
    "I've got my card.",                 # one's own money is no one else's holding it
    "He has his money sorted now.",
    "I got my money back from the shop.",
    "I don't see the point of filling in the same form twice.",
    "What's the point of the meeting on Friday?",
    "She pulls her hair back into a ponytail for school.",
    "He shouted at the telly when the goal went in.",
    "I'll shake hands with the head teacher.",
    "We can't see a way to fit that in before Christmas.",
    "Shall we carry on with the plan?",
    "I've been keeping my receipts like you said.",
    "We put the window in last spring.",
    "I held the door to the car for her.",
    "I heard all of it on the radio this morning.",
    "You'll regret not coming to the quiz, it was brilliant.",
]


@pytest.mark.parametrize(("text", "cue"), DISCLOSURES)
def test_disclosures_raise_their_cue(text: str, cue: str) -> None:
    found = find_cue(text)
    assert found is not None and found[0] == cue


@pytest.mark.parametrize("text", EVERYDAY)
def test_everyday_talk_raises_nothing(text: str) -> None:
    assert find_cue(text) is None


def test_the_flag_names_the_segment_and_quotes_only_the_sentence() -> None:
    seg = Segment("s_41", "S3", 120.0, 126.0,
                  "Not great. Sometimes at night I feel like hurting myself. I haven't done anything.")
    flag = RiskMonitor().observe(seg)
    assert flag is not None
    assert flag.to_wire() == {"type": "risk", "segment_id": "s_41", "cue": "self-harm",
                              "text": "Sometimes at night I feel like hurting myself."}


def test_the_same_cue_is_not_repeated_within_the_window() -> None:
    monitor = RiskMonitor(repeat_s=120.0)
    first = monitor.observe(Segment("s_1", "S2", 10.0, 12.0, "We've got no heating."))
    again = monitor.observe(Segment("s_2", "S2", 30.0, 32.0, "The boiler is broken."))
    other = monitor.observe(Segment("s_3", "S2", 40.0, 42.0, "I skip meals."))
    later = monitor.observe(Segment("s_4", "S2", 200.0, 202.0, "Still no heating."))
    assert [f.segment_id if f else None for f in (first, again, other, later)] == [
        "s_1", None, "s_3", "s_4"]


def test_fixture_meeting_flags_its_planted_risks(meeting) -> None:
    monitor = RiskMonitor()
    flags = [f for s in meeting.segments if (f := monitor.observe(s)) is not None]
    cues = {f.cue: f.segment_id for f in flags}
    assert cues["no heating"] == "s_9"
    assert cues["self-harm"] == "s_19"
    assert cues["no food"] == "s_13"
    assert "s_29" not in {f.segment_id for f in flags}   # "hurt her knee at football"

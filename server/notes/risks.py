"""Live safeguarding cues in final segments: curated patterns, no model, microseconds each.

A flag is shown to the worker only (never to viewers) and must be discreet, so it must not
cry wolf: patterns want a person as the object ("hurting myself", not "hurt her knee"),
a cue directly negated ("never hit him", "no sign of neglect") is dropped, and so is a
worker's screening question put to the person ("have you ever felt like hurting
yourself?"). The balance still leans towards recall for self-harm and suicide: an answer
such as "I haven't done anything, but I think about hurting myself" is flagged.
``RiskMonitor`` also keeps the same cue from flagging again within ``REPEAT_S`` seconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from server.notes.schema import Segment

REPEAT_S = 120.0            # the same cue is not flagged again within this much meeting time
MAX_TEXT_CHARS = 200        # the sentence sent with a flag is cut to this
NEGATION_WINDOW_WORDS = 3   # a negation this many words before a cue cancels it

_PERSON = r"(?:me|him|her|them|us|you|the (?:kids?|children|baby|boys?|girls?)|my (?:son|daughter|mum|mam|mom|dad|partner|wife|husband|girlfriend|boyfriend|kids?|children))"
_SELF = r"(?:myself|himself|herself|themselves|themself|yourself|ourselves)"
_NEGATION = re.compile(r"\b(?:not|never|no|n't|nobody|no-one|without|nothing)\b|n't\b", re.I)

_CUES: dict[str, tuple[str, ...]] = {
    "suicide": (
        r"\bsuicid\w*", rf"\bkill(?:ing|ed)? {_SELF}", r"\bend (?:my|his|her|their) (?:own )?life",
        r"\btake (?:my|his|her|their) own life", r"\b(?:want(?:s|ed)?|wish(?:es|ed)?) (?:to be|I was|I were|he was|she was) dead",
        r"\b(?:want(?:s|ed)?|wish(?:es|ed)?) to die\b", r"\bdon'?t want to (?:be here|live|wake up) any ?more",
        r"\bbetter off (?:dead|without me)", r"\bno (?:point|reason) (?:in )?(?:living|going on)",
        r"\bbetter off (?:if|when) I (?:just )?(?:wasn'?t|weren'?t|was not|were not|am not|'m not) "
        r"(?:here|around|alive)", r"\bend it all\b", r"\bcan'?t go on\b",
        r"\b(?:everyone|everybody|they|you|the kids|my (?:family|kids|children)|he|she)(?:'d| would)?"
        r" (?:all |just )?be better off\b",
        r"\bdon'?t want to be (?:here|around|alive)\b",
        r"\b(?:go|went|going) to sleep and (?:not|never|did not|didn'?t) wake up\b",
        r"\b(?:not|never) (?:to )?wake up (?:again|in the morning)\b",
        r"\b(?:simpler|easier|better) for (?:everyone|everybody|them|all of them|my family) if I "
        r"(?:just )?(?:wasn'?t|weren'?t|was gone|were gone|went|died|disappeared|didn'?t)\b",
        r"\bwish I (?:wasn'?t|weren'?t|was not|were not) (?:here|alive|around)\b",
        r"\b(?:rather|prefer to) be dead\b", r"\bthoughts? (?:of|about) (?:ending it|dying|death)\b",
        # as it is usually said: "some days I don't see the point of carrying on"
        r"\b(?:don'?t|do not|can'?t|cannot) see (?:the|any) point (?:of|in) (?:carrying on|going on|"
        r"living|being here|anything|it all|life|getting up|waking up)\b",
        r"\bwhat'?s the point (?:of|in) (?:any of it|it all|anything|living|carrying on|going on|"
        r"being here|me)\b",
        r"\b(?:can'?t|cannot) see (?:a|any) way out\b", r"\bbe better (?:off )?without me\b",
        r"\b(?:saving|stockpiling|hoarding|storing|keeping) (?:up )?(?:my|his|her|the|their) "
        r"(?:tablets|pills|medication|meds|painkillers)\b",
        r"\bdo(?:ing)? something (?:stupid|silly|daft)\b",
        r"\bwant (?:it all|everything|all of it) to (?:stop|end)\b",
        r"\b(?:can'?t|cannot) (?:keep )?(?:going|carry(?:ing)? on|go on) (?:like this|any ?more)\b",
        r"\bnot worth living\b", r"\b(?:life|it)(?:'s| is)? (?:not|isn'?t) worth living\b",
    ),
    "self-harm": (
        r"\bself[- ]?harm\w*", rf"\b(?:hurt|hurting|harm|harming|cut|cutting|burn|burning|hit|hitting|punch(?:ing)?|starv(?:e|ing)) {_SELF}",
        r"\bcuts on (?:my|his|her|their) (?:arms?|legs?|wrists?)", r"\boverdos\w*",
        r"\b(?:scratch|scratches|scratching|scratched|pick|picks|picking|pull|pulls|pulling) "
        r"(?:at )?(?:my|his|her|their) (?:arms?|skin|legs?|wrists?|hair out)\b",
        r"\b(?:till|until) (?:they|it|I|he|she) (?:bleed|bleeds|bled)\b",
        r"\bthoughts? (?:of|about) (?:hurting|harming|killing) (?:myself|the baby|him|her|them)\b",
    ),
    "violence": (
        rf"\b(?:hit|hits|hitting|punch(?:ed|es|ing)?|kick(?:ed|s|ing)?|slap(?:ped|s|ping)?|beat(?:s|ing)? up|beat|beats|strangl\w*|chok(?:ed|es|ing)|shov(?:ed|es|ing)|push(?:ed|es|ing)) {_PERSON}\b",
        r"\bthreat(?:en|ened|ening|s)? to (?:kill|hurt|stab|hit|beat)", r"\b(?:knife|knives|machete|gun|weapon)s?\b",
        rf"\b(?:going to|gonna|will|'ll) (?:kill|stab|hurt|batter) {_PERSON}\b", r"\bstabb(?:ed|ing)\b",
        r"\bgrabb?(?:ed|s|ing)? (?:me|him|her|them|my|his|her) ?(?:by the )?(?:wrist|arm|neck|"
        r"throat|hair|face)?\b(?<!grab)", r"\bleft (?:a mark|marks|bruises?)\b", r"\bbruis(?:e|es|ed|ing)\b",
        r"\blash(?:es|ed|ing)? out\b",
        r"\b(?:hit|hits|hitting|kicked|punched|bit|bitten|hurt) (?:two|three|several|other|another|a few) "
        r"(?:children|kids|pupils|boys|girls|child|kid|pupil|people)\b",
        # intimidation: "his mates'll come round and put my windows through"
        rf"\bthreat(?:en|ened|ens|ening)? {_PERSON}\b",
        r"\b(?:put|kick)\w* (?:my|your|his|her|their) (?:windows?|door) (?:in|through)\b",
        r"\bsmash\w* (?:my|your|his|her|their|the) (?:windows?|door|car|phone|tv|telly)\b",
        r"\bhands? (?:round|around|on) (?:my|her|his|their) (?:neck|throat)\b",
        # "he had me up against the fridge by my throat", "pinned her to the wall"
        r"\bby (?:my|her|his|their|the) (?:neck|throat)\b",
        r"\b(?:pinned|held|had|pushed|shoved) (?:me|her|him|them) (?:up )?(?:against|to) the "
        r"(?:wall|fridge|door|floor|bed|sofa|counter|car)\b",
        # a threat to take the children: "I'll take them, I know where Mason's school is"
        r"\b(?:you can'?t|you won'?t) keep (?:them|the kids|the children|him|her) from me\b",
        r"\bI know where (?:you live|[\w'’]+ school is|the school is|you work)\b",
        r"\byou'?ll (?:regret|pay for) (?:this|it)\b",
        r"\bshak(?:e|es|ing|en|ed|ing) (?:him|her|them|the baby)\b(?! (?:hands|awake))",
        r"\blos(?:e|es|ing|t) (?:my|his|her|their) temper with\b",
        r"\bthreatened by\b",
        r"\bif I (?:grass|tell|say anything|speak up)\b[^.]{0,40}\b(?:come round|hurt|get me|sort me)",
    ),
    "domestic abuse": (
        r"\bdomestic (?:abuse|violence)", r"\bcoercive\b", r"\b(?:scared|afraid|frightened|terrified) of (?:him|her|my (?:partner|husband|wife|boyfriend|girlfriend|ex|dad|mum))\b",
        r"\b(?:won'?t|doesn'?t|does not|will not) let me (?:go out|see|leave|have)", r"\b(?:takes|took|controls) (?:all )?my (?:money|phone|bank card)",
        r"\bchecks my phone\b",
        r"\b(?:keeps|has|holds|took|takes) (?:hold of )?(?:all )?my (?:money|bank ?cards?|cards?|"
        r"benefits|wages|passport)\b",
        r"\b(?:doesn'?t|does not|won'?t) like me (?:going out|seeing|having)\b",
        r"\b(?:shouts?|shouting|shouted|screams?|screaming|screamed|yells?|yelling|yelled|swears?|"
        r"swearing|swore) at (?:me|her|him|them|us|the (?:kids?|children|baby))\b",
        r"\b(?:scared|afraid|frightened|terrified) (?:to go home|to go back|of going home|to be at "
        r"home|to tell (?:anyone|him|her|them))\b",
        # a child who witnessed it: "hiding in the airing cupboard... He'd heard all of it"
        r"\b(?:he|she|they)(?:'d| had)? (?:heard|seen|saw) (?:all of it|everything|it all|the "
        r"whole thing)\b",
        r"\bhiding (?:in|under|behind) (?:the|his|her|their|a|an) (?:\w+ )?(?:cupboard|wardrobe|"
        r"bed|room|bathroom|stairs|sofa)\b",
    ),
    "sexual harm": (
        r"\bsexual(?:ly)? (?:abus\w*|assault\w*|exploit\w*|harm\w*)", r"\brap(?:e|ed|ing)\b", r"\bgroom(?:ed|ing)\b",
        rf"\btouch(?:ed|es|ing) {_PERSON} (?:inappropriately|down there|where)", r"\bsen[dt] (?:me |him |her )?(?:nudes|naked (?:pictures|photos))",
        r"\bolder (?:boyfriend|man|men)\b",
        r"\b(?:told|tells|telling|said) (?:me|him|her|them) not to tell\b", r"\bour (?:little )?secret\b",
    ),
    "neglect": (
        r"\bneglect\w*", r"\b(?:left|leaves|leaving) (?:him|her|them|the (?:kids?|children|baby)) (?:alone|on (?:his|her|their) own|home alone)",
        r"\bhome alone\b", r"\bnobody (?:feeds|looks after|picks (?:him|her|them) up)", r"\bnot been fed\b",
        r"\bdirty nappies\b", r"\bno (?:clean )?clothes\b",
    ),
    "missing episode": (
        r"\b(?:went|go|gone|goes|going|been|was|is|were|reported) missing\b(?! (?:school|class|lessons?|days|the bus|you|out|home|him|her|them|my))",
        r"\bran away\b", r"\brun(?:s|ning)? away\b", r"\b(?:didn'?t|never) c(?:o|a)me home\b", r"\bstay(?:ed|s)? out all night\b",
        r"\bdon'?t know where (?:he|she|they) (?:is|are|was|were|goes|go)\b",
    ),
    "no food": (
        r"\bno food\b(?! (?:allerg\w*|in the car|on the))", r"\bnothing to eat\b", r"\bskip(?:s|ped|ping)? meals\b", r"\bcan'?t afford (?:food|to eat|the shopping)",
        r"\b(?:gone|go|going|went) (?:without|hungry)\b", r"\bfood ?bank\b", r"\bhungry all the time\b",
    ),
    "no heating": (
        r"\bno (?:heating|heat|hot water|gas|electric(?:ity)?)\b", r"\b(?:heating|boiler)(?:'s been| has been|'s| is| was) (?:broken|off|not working|bust)",
        r"\bcan'?t afford (?:the |to put the )?(?:heating|gas|electric(?:ity)?)(?: on)?", r"\b(?:electric|gas|meter)(?:'s| is| has) (?:run out|been cut off)",
    ),
    "substance misuse": (
        r"\b(?:drunk|wasted|hammered) (?:again|all the time|every day|most days|when)", r"\bdrinking (?:heavily|a lot|every day|again)",
        r"\b(?:cannabis|weed|skunk|cocaine|crack|heroin|spice|ketamine|mdma|ecstasy|meth)\b", r"\b(?:taking|using|doing|on) drugs\b",
        r"\b(?:using|drinking) again\b", r"\brelapsed?\b",
    ),
    "exploitation": (
        r"\bcounty lines\b", r"\b(?:holding|carrying|moving) (?:drugs|a package|packages|stuff) for\b", r"\bowes? (?:them|him|people) money\b",
        r"\b(?:criminal(?:ly)? )?exploit(?:ed|ing|ation)\b(?! of)", r"\bolder (?:lads|boys|guys)\b",
        r"\b(?:drop|take|carry|deliver)\w* (?:it|a bag|a package|a parcel|a rucksack|stuff|things) "
        r"(?:to|for|off)\b[^.]{0,40}\b(?:give|pay|gave|paid)\w* (?:me|him|her|them)\b",
    ),
    "financial abuse": (
        # someone else holding the speaker's money: "He minds my card for me", "Shane's got it"
        r"(?<![\w'’])(?:he|she|they|[a-z]{2,})(?:'s| has)?(?: been)? (?:minds|keeps|holds|got|took|"
        r"takes|taking|uses|using|has|had) (?:all )?my (?:bank ?card|card|pin|money|benefits|wages|"
        r"pension)\b",
        r"\b(?:keeps|kept|always) (?:asking|on at) (?:me|him|her|them)\b[^.]{0,12}\bfor money\b",
        r"\bmakes? (?:me|him|her|them) sign\b",
        r"\bknows my (?:pin|number|card number)\b",
        r"\b(?:taking|took|takes|borrow(?:s|ed|ing)?) money (?:off|from) (?:me|him|her|them)\b",
    ),
}
_COMPILED: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (cue, re.compile(pattern, re.I)) for cue, patterns in _CUES.items() for pattern in patterns)
_NEGATION_BUILT_IN = ("no food", "no heating")   # their "no" is the cue, not a negation
_SECOND_PERSON = re.compile(r"\b(?:you|yourself|your)\b", re.I)


@dataclass(frozen=True)
class RiskFlag:
    """PROTOCOL.md's ``risk`` frame: ``{"type": "risk", "segment_id", "cue", "text"}``."""

    segment_id: str
    cue: str
    text: str
    start_s: float

    def to_wire(self) -> dict[str, str]:
        return {"type": "risk", "segment_id": self.segment_id, "cue": self.cue, "text": self.text}


def find_cue(text: str) -> tuple[str, str] | None:
    """The first (cue, sentence) in ``text``, or None."""
    for sentence in re.split(r"(?<=[.!?])\s+", text.strip()):
        for cue, pattern in _COMPILED:
            for match in pattern.finditer(sentence):
                if _dismissed(cue, sentence, match):
                    continue
                return cue, sentence[:MAX_TEXT_CHARS]
    return None


def _dismissed(cue: str, sentence: str, match: re.Match[str]) -> bool:
    before = sentence[:match.start()].split()[-NEGATION_WINDOW_WORDS:]
    if cue not in _NEGATION_BUILT_IN and _NEGATION.search(" ".join(before)):
        return True
    asking = sentence.rstrip().endswith("?")
    return asking and bool(_SECOND_PERSON.search(match.group()))


class RiskMonitor:
    """Per meeting: feed final segments, get the flags to send to the recorder."""

    def __init__(self, repeat_s: float = REPEAT_S) -> None:
        self.repeat_s = repeat_s
        self._last: dict[str, float] = {}

    def observe(self, segment: Segment) -> RiskFlag | None:
        found = find_cue(segment.text)
        if found is None:
            return None
        cue, text = found
        last = self._last.get(cue)
        if last is not None and segment.start_s - last < self.repeat_s:
            return None
        self._last[cue] = segment.start_s
        return RiskFlag(segment.segment_id, cue, text, segment.start_s)

"""The facts a worker must record, found in every segment by rules: deterministic and
faithful by construction.

A 0.5B model cannot both find every fact and word it faithfully, and it invented owners,
dates and risks. So the facts a case note is judged on come from the words themselves:
- purpose: the worker saying why they came ("I'm here to review ...");
- the person's voice: their own wishes and feelings in the first person, quoted;
- observations: what the worker says they see ("I can see the kitchen is clean");
- risks: safeguarding cues (``risks.find_cue``) and the practical risks of adults' and
  housing work (falls, missed medication, damp, eviction, debt, isolation);
- actions and next steps: commitments with owner and spoken date (``actions``);
- discussion: a line with a figure, a sum or a date that fits no other section.
Every item quotes the sentence it rests on, attributed to the speaker's label or the name
known for it, and cites that segment: it can hold no name, number or date its line lacks.
Segments that are only greetings, thanks or backchannels are small talk, so the note can
say what it covered. The model drafts the rest (the discussion) on top of these.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from server.engines.sentences import split_sentences
from server.notes.actions import DATE_WORDS as _DATE_WORDS
from server.notes.actions import VERB_WORDS as _VERB_WORDS, date_in, find_commitments, request_in
from server.notes.actions import task_words
from server.notes.evidence import missing_facts
from server.notes.prompt import DraftItem
from server.notes.risks import find_cue
from server.notes.names import introduces, suggest_names
from server.notes.schema import Person, Segment, merge_people
from server.notes.semantic import RISK_MARGIN
from server.notes.turns import STOP_WORDS as _STOP
from server.notes.turns import Turn, is_small_talk, speaker_turns

QUOTE_WHOLE_WORDS = 45
DATED_WORDS = 8         # a sentence this short after a proposed meeting may give its day
QUESTION_WORDS = 10     # a question this short is quoted with the answer it got
DISCUSSION_WORDS = 16   # a discussion point quotes this many words around its figure  # a line up to this long is quoted whole, a longer one by sentence

# Professional roles: a speaker with one of these is a worker, whose lines give the
# purpose and observations; everyone else's first-person lines are the person's voice.
PROFESSIONAL = re.compile(
    r"social worker|officer|visitor|nurse|gp|doctor|therapist|worker|practitioner|advocate|"
    r"teacher|police|interpreter|manager|coordinator|co-ordinator|assessor|clinician|"
    r"psychiatrist|psychologist|consultant|professional|adviser|advisor|midwife|senco|sendco|"
    r"paramedic|solicitor|caseworker|navigator|specialist|mentor|counsellor|chair|lead|"
    r"guardian|reviewing|keyworker|carer support|"
    # a role named by where they work: "from the Youth Justice Service", "the duty team"
    r"service|team|council|department|agency|unit|clinic|surgery|charity", re.I)

_PURPOSE = re.compile(
    r"\b(?:I'm|I am|we're|we are) (?:just )?(?:here|visiting|calling|popping in|round) "
    r"(?:today |this \w+ )?(?:to|for|because|about)\b"
    r"|\b(?:the )?(?:reason|purpose) (?:for|of) (?:my|our|the|this|today's) "
    r"(?:visit|meeting|call|review|appointment)"
    r"|\bI(?:'ve| have) (?:come|popped) (?:round |over |by |in )?(?:today )?(?:to|for|because)\b"
    r"|\bthis (?:visit|meeting|review|call|appointment) is (?:about|to|for)\b"
    r"|\b(?:today|this \w+),? (?:I|we)(?:'d| would) like to (?:talk|review|go|look|check|discuss)"
    r"|\bwe(?:'re| are) (?:going to|here to|meeting to) (?:review|talk about|look at|discuss|"
    r"go through|check)"
    r"|\b(?:the )?reason (?:I'm|I am|we're|we are|I've come|I came) (?:here|round|over|in)?\b"
    r"|\bI(?:'ve| have) (?:come|popped (?:round|in|over)) (?:round |over )?about\b"
    r"|\b(?:I'm|I am|we're|we are) (?:here|round) about\b"
    r"|\b(?:so,? )?today(?:'s| is) (?:about|to|for|mainly about|really about)\b"
    r"|\b(?:the )?main reason (?:I'm|I am|we're|we are|for)\b"
    r"|\b(?:today|this)(?:'s| is) (?:\w+['’]s |your |the |our |a )?(?:[\w-]+ ){0,4}"
    r"(?:review|visit|assessment|check|meeting|conference)\b", re.I)
_VOICE = re.compile(
    r"\bI (?:really |just |still |do |don't |do not )?(?:want|wanna|wish|hope|prefer|miss|"
    r"love|hate|like|enjoy|feel|felt|worry|need)\b(?! to (?:ask|check|say|tell|know|go now))"
    r"|\bI(?:'d| would) (?:really )?(?:like|love|rather|prefer|hate)\b"
    # a firm intention of one's own: "I'm finishing that course", "I'm not going in a home"
    r"|\bI(?:'m| am) (?:going to be|gonna be|finishing|staying|keeping|not going (?:in|into|"
    r"back)|not moving|not leaving|not giving up)\b"
    r"|\bI(?:'m| am) (?:so |really |very |a bit |quite |not )?(?:worried|scared|frightened|"
    r"afraid|happy|unhappy|sad|lonely|angry|upset|anxious|stressed|struggling|fed up|"
    r"desperate|exhausted|tired|managing|coping|not coping|ashamed|embarrassed)\b"
    r"|\b(?:he|she|they) (?:says|said|keeps saying|told (?:me|us)) (?:that )?(?:he|she|they) "
    r"(?:wants?|would like|doesn't want|does not want|misses|loves|hates|likes|is scared)"
    # asking that something be kept from someone: "Please don't say anything to him."
    r"|\b(?:please )?(?:don't|do not) (?:tell|say anything to|mention (?:it|this|that) to|let) "
    r"(?:him|her|them|my \w+)\b"
    r"|\bI(?:'d| would) (?:move|go|stay|leave|jump at it|take it|love it)\b(?! (?:to )?say)"
    r"|\bI don't want (?:him|her|them|my \w+) to (?:know|find out)\b"
    # an interpreter or advocate relaying: "She says the best thing is to stay in this house."
    r"|\b(?:he|she|they) (?:says|said) (?:that )?(?:the best thing|what (?:he|she|they) (?:want|"
    r"need)s?|(?:he|she|they)(?:'d| would) (?:like|love|rather|prefer)|(?:he|she|they) (?:wants?|"
    r"needs?|hopes?|prefers?|feels?|is (?:worried|scared|frightened|happy|unhappy)))",
    re.I)
_OBSERVED = re.compile(
    r"(?<!so )(?<!so that )\bI (?:can |could )?(?:see|saw|notice|noticed|observe|observed|"
    r"can tell|had a look|looked (?:at|in|round|around))\b"
    r"(?! (?:you|what|if|how|why|whether|where|that you))"
    r"|\bI(?:'ve| have) (?:noticed|seen|spotted|observed)\b(?! (?:you|what|if|how|why|whether)\b)"
    r"|\bI(?:'ve| have)? (?:just )?(?:clocked|spotted)\b"
    # how someone or something looks to the worker: "You look shattered", "he seemed withdrawn"
    r"|\b(?:you|he|she|they|it|the (?:baby|house|flat|room|kitchen|place))(?:'s| is| was)? "
    r"(?:look|looks|looked|looking|seem|seems|seemed|seeming|appear|appears|appeared) (?:really |"
    r"very |a bit |quite |so |much |a lot )?(?:tired|well|happy|settled|anxious|thin|pale|"
    r"shattered|exhausted|brighter|better|worse|clean|tidy|messy|cold|warm|calm|upset|withdrawn|"
    r"low|comfortable|relaxed|unwell|distressed|content|bigger|smaller|healthy|alert|flat|"
    r"cluttered|bare|empty)\b"
    r"|\bI (?:could|can) smell\b|\bwhen I (?:arrived|came|got here|walked|pulled up|knocked|"
    r"went (?:round|in|there|over)|called (?:round|in)|popped (?:round|in)|visited|was (?:there|round))\b"
    r"|\bI (?:couldn't|could not|can't|cannot) help (?:noticing|seeing)\b"
    # what the worker sees the child do, or measures: "she's smiling back at me", "4.9 kilos"
    r"|\b(?:she|he)(?:'s| is) (?:really )?(?:smiling|crawling|walking|babbling|cooing|playing|"
    r"following|engaging|feeding|reaching|laughing|chatting|settled|alert)\b"
    r"|\b\d+(?:\.\d+)? ?(?:kilos?|kilograms?|kg|grams|centimetres|cm)\b"
    r"|\b(?:weighs|weighed|measures|measured)\b"
    r"|\b(?:the|his|her|their|your) (?:house|flat|home|room|bedroom|kitchen|fridge|garden|"
    r"cupboards?|bathroom|living room|hallway|stairs|place|bed|cot|mattress|ceiling|walls?|"
    r"windows?|carpet)(?:'s| is| was| looks?| looked| seems?| smells?| smelled| smelt| has| had|"
    r"'s got| feels?| felt)\b"
    # what is there to be seen: "there were a lot of empty cans by the bin"
    r"|\bthere(?:'s| is| are| were| was)(?: (?:a lot of|lots of|loads of|hardly any|hardly "
    r"anything|no|not much|quite a few|a few|a|an|some|still))? (?:\w+ )?(?:post|letters|cans|"
    r"bottles|food|anything in|rubbish|bin bags|mould|mold|damp|curtains|bed|beds|cot|mattress|"
    r"toys|clothes|nappies|bags|boxes|dishes|washing|smell|stains?|holes?|marks?|bruises?|"
    r"furniture|heating|carpet|flooring|lock|locks)\b(?![^.]{0,20}\?)"
    # how the worker found someone: "he was chatty and laughing", "she had to stop twice"
    r"|\b(?:you|he|she|they|the baby|mum|dad|[A-Z][a-z]+) (?:was|were|is|are) (?:really |very |"
    r"quite |a bit |so |much more |more )?(?:chatty|quiet|attentive|laughing|smiling|walking|"
    r"playing|clean|content|calm|tearful|crying|agitated|distracted|unsteady|breathless|"
    r"withdrawn|engaged|warm|affectionate|responsive|alert|sleepy|drowsy|slurring|smelling)\b"
    r"|\b(?:he|she|they|mum|dad|the baby) (?:didn'?t|did not|wouldn'?t|would not) (?:make|look|"
    r"speak|say|eat|engage|come|talk)\b"
    r"|\b(?:had|has) to (?:stop|sit down|rest|hold on|lean)\b"
    r"|\b(?:looks?|looked|seems?|seemed) like (?:he|she|they|you)(?:'s| has| have| had|'ve)? "
    r"(?:lost|put on|gained|not|been)\b"
    r"|\b(?:you|he|she|they) (?:seem|seems|seemed|look|looks|looked) (?:a lot |much |a bit )?"
    r"(?:brighter|better|worse|thinner|brighter in (?:yourself|himself|herself))\b"
    r"|\b(?:freezing|boiling|roasting) in here\b|\b(?:flat|house|place|room)(?:'s| is) "
    r"(?:freezing|boiling|spotless|filthy|immaculate)\b"
    r"|\bwhile I (?:was|'ve been) (?:here|there|with you)\b", re.I)
# Risks a note records that are not live safeguarding flags.
_PRACTICAL_RISKS: tuple[tuple[str, str, str], ...] = (
    ("fall", "medium", r"\b(?:fell|fallen|falls?|falling) (?:over|down|again|twice|in|on|"
                       r"out|at|last|this)\b|\bhad a fall\b|\b(?:was|been|lay|lying|left) on "
                       r"the floor\b|\bcouldn'?t get (?:back )?up\b"),
    ("medication", "medium", r"\b(?:forgot|forget|forgets|forgetting|miss(?:ed|es|ing)?|"
                             r"stopped|not taking|isn't taking|hasn't taken|run out of)\b"
                             r"[\w\s']{0,20}\b(?:medication|medicine|tablets|pills|insulin|"
                             r"meds|inhaler)|\b(?:tablets|pills|medication|ones|doses?) "
                             r"(?:were |are |was )?still in (?:it|the (?:pack|box|blister|"
                             r"dosette))"),
    ("damp", "medium", r"\b(?:damp|mould|mold|leak(?:s|ing)?|condensation)\b"),
    ("eviction", "high", r"\bevict\w*|\bsection 21\b|\bnotice to quit\b|\bpossession order\b"),
    ("arrears", "medium", r"\barrears\b|\bbehind (?:on|with) (?:the |my |our )?(?:rent|bills|"
                          r"payments)\b"),
    ("debt", "medium", r"\b(?:in debt|debts?|bailiffs?|loan sharks?|payday loans?|"
                       r"(?:don'?t|do not|never|can'?t) open (?:the|my|any) (?:post|letters|bills)|"
                       r"unopened (?:post|letters|bills)|disconnect\w*|cut off)\b"),
    ("unlawful eviction", "high", r"\bchange the locks\b|\blet (?:himself|herself|themselves) in\b|"
                                  r"\b(?:with|using) (?:his|her|their) own key\b|\bharass\w*|"
                                  r"\bwithout (?:knocking|any notice|warning)\b"),
    ("losing the home", "medium", r"\b(?:lose|losing|lost) (?:the|my|our|her|his|their) (?:flat|house|"
                                  r"home|tenancy|place)\b|\b(?:end up|ending up) (?:homeless|on the "
                                  r"streets)\b|\bnowhere (?:else )?to (?:go|live|stay)\b"),
    ("isolation", "medium", r"\b(?:lonely|isolated|on my own all|don't see anyone|"
                            r"never see anyone|nobody visits)\b"),
    ("memory", "medium", r"\b(?:confused|confusion|memory (?:is|has|problems)|forgetful|"
                         r"wander(?:s|ed|ing) off|got lost)\b"),
    ("said risk", "medium", r"\bat (?:a )?(?:(?:very )?high|real|serious|significant|great|"
                            r"increased) risk\b|\b(?:high|real|serious) risk of\b|\bputs? "
                            r"(?:you|him|her|them) at (?:real |serious )?risk\b"),
    ("notice", "high", r"\bserve (?:a|the|them a|you a) (?:notice|section)\b|\bnotice (?:on|to) "
                       r"(?:the|your|his|her) (?:flat|house|tenancy)\b"),
    ("skin", "medium", r"\bpressure (?:sore|ulcer|area|damage)s?\b|\bbed ?sores?\b"),
    ("relapse", "high", r"\b(?:relaps\w*|lapsed?|using again|back on (?:the )?(?:drink|booze|drugs|gear|"
                        r"heroin|crack|spice|coke)|drinking again|craving\w*|picked up again|"
                        r"missed (?:his|her|my|their) (?:script|methadone|prescription|pick-?up))\b"),
    ("unsafe", "high", r"\b(?:not safe|unsafe|don'?t feel safe|didn'?t feel safe|scared (?:of|for) "
                       r"(?:him|her|them|my life|the kids)|frightened (?:of|for) (?:him|her|them)|"
                       r"(?:turned|turns|came|comes) up (?:at|outside) (?:the|my|her|his) (?:door|"
                       r"house|flat|school|work)|follow(?:s|ed|ing) (?:me|her|him))\b"),
    ("police", "medium", r"\b(?:police (?:were|came|called|rang|picked|brought|found|took)|arrested|"
                         r"breach(?:ed|es|ing)? (?:of )?(?:the|his|her|a)? ?(?:order|bail|injunction)|"
                         r"non-?molestation|injunction|on bail)\b"),
    ("online", "high", r"\b(?:sen[dt]|send(?:ing)?|asked (?:her|him|me) for|asking (?:her|him|me) for) "
                       r"(?:\w+ )?(?:photos|pictures|pics|nudes|selfies)\b|\b(?:met|meet|meeting|talking "
                       r"to|chatting to|messaging) (?:someone|a man|an older|older \w+|a stranger|"
                       r"strangers|people) (?:\w+ )?(?:online|on snapchat|on instagram|on tiktok|on "
                       r"the game|off the internet)\b"),
    ("overdose", "high", r"\b(?:overdos\w*|(?:ended|ending) up in (?:hospital|a&e|a and e)|"
                         r"(?:called|rang|needed) an ambulance)\b"),
    ("not eating", "medium", r"\b(?:not eating|stopped eating|won'?t eat|lost (?:a lot of )?weight|"
                             r"losing weight|not drinking enough|dehydrat\w*)\b"),
    ("low mood", "medium", r"\b(?:really low|very low|depressed|depression|can't cope|"
                           r"cannot cope|not coping|panic attacks?)\b"),
    # what a worker records as it is said, not as a form names it
    ("medication", "medium", r"\b(?:not been|hasn'?t been|haven'?t been|stopped|won'?t be|"
                             r"refus\w*(?: to be)?) (?:taking|take|having) (?:his|her|my|their|the) "
                             r"(?:medication|medicine|tablets|pills|insulin|meds|inhaler)\b"),
    ("not eating", "medium", r"\b(?:haven'?t|hasn'?t|not|barely) (?:been )?(?:eaten|eating) "
                             r"(?:properly|in days|for days|since)\b|\bforget(?:s|ting)? to eat\b|"
                             r"\b(?:not|n't|never) (?:had|have|having|eaten|cooked) (?:a )?(?:proper|"
                             r"hot|decent|cooked) (?:meal|food|dinner|tea)\b"),
    ("said risk", "medium", r"\b(?:fire|falls?|choking|ligature|safeguarding|financial|safety) "
                            r"risks?\b(?! assessments?)"),
    ("sleep", "medium", r"\b(?:haven'?t|hasn'?t|not) slept (?:in|for|since|at all)\b|\bno sleep\b"),
    ("mental health", "high", r"\bhearing voices\b|\bvoices (?:telling|in (?:my|his|her) head)\b|"
                              r"\bparanoi\w*|\bpsychos[ie]s\b|\bpsychotic\b|\bself[- ]?medicat\w*"),
    ("alcohol", "medium", r"\b(?:a |two |three |half a )?(?:bottles?|cans?|litres?) of (?:vodka|wine|"
                          r"cider|beer|lager|whisky|spirits|gin)\b(?:[^.]{0,15}\b(?:a|every|each) "
                          r"(?:day|night))?"),
    ("home conditions", "medium", r"\b(?:piled|stacked) (?:up )?(?:to the ceiling|high|everywhere)\b|"
                                  r"\bfull of (?:rubbish|bin bags|bags|junk|stuff|boxes)\b|\bhoard\w*|"
                                  r"\bblocked (?:solid |up |off )?(?:with|by) (?:boxes|bags|stuff|rubbish|junk)\b|"
                                  r"\bcan'?t get to (?:the|my|his|her) (?:bed|toilet|bath|kitchen|"
                                  r"cooker|door|stairs)\b|\bnappy rash\b"),
    ("wandering", "medium", r"\bwander(?:s|ed|ing)? (?:out|off)\b|\bwander(?:s|ed|ing)? (?:about|"
                            r"around)\b[^.]{0,20}\b(?:at night|in the night|the streets|in (?:his|"
                            r"her) (?:nightie|pyjamas))"),
    ("fire", "high", r"\bleft the (?:gas|cooker|hob|oven|iron|chip pan)\b[^.]{0,12}\bon\b|"
                     r"\b(?:pan|pans|toast|dinner|tea)\b[^.]{0,10}\b(?:burned|burnt|caught fire)\b"),
    ("care not arriving", "medium", r"\b(?:carers?|care workers?|care company|agency)\b[^.]{0,30}"
                                    r"\b(?:not turning up|don'?t turn up|didn'?t turn up|never "
                                    r"turn(?:ed)? up|not coming|missed (?:calls?|visits?)|not "
                                    r"(?:been )?coming)\b"),
    ("isolation", "medium", r"\bnobody(?:'s| has)? been (?:round|in to see|to see)\b"),
    ("losing the home", "medium", r"\b(?:throw|kick|chuck|put)(?:s|ing)? (?:us|me|her|him|them) out\b"
                                  r"|\bsofa[- ]?surf\w*|\bsleeping rough\b|\bon the streets\b"
                                  # nowhere to sleep: "I rode the night bus"
                                  r"|\b(?:rode|ride|riding|rides|slept on|sleep on) the night bus"
                                  r"(?:es)?\b|\b(?:slept|sleeping|sleeps|stayed|staying) (?:in "
                                  r"(?:a|the|my) (?:car|tent|park|stairwell|bus station)|outside|"
                                  r"rough)\b|\bnowhere (?:to|else to) (?:sleep|stay|go)\b"),
    ("disrepair", "medium", r"\bceiling (?:came|has come|fell|collapsed|caved|is coming) (?:down|in)\b|"
                            r"\b(?:exposed|bare|live) wires?\b|\bno (?:working )?(?:lock|smoke alarm)s?\b"),
    ("money", "medium", r"\bno money (?:left|for|till|until)\b|\b(?:can'?t|cannot|couldn'?t) afford "
                        r"(?:(?:the )?(?:rent|food|gas|electric|heating|bills|nappies|shopping)|"
                        r"to (?:eat|heat))\b|\bcouncil tax\b[^.]{0,20}"
                        r"\b(?:behind|owe|arrears|bailiffs?)\b"),
    ("school", "medium", r"\b(?:hasn'?t|has not|haven'?t|not) been (?:in|to|at) school\b|"
                         r"\b(?:off|out of) school (?:since|for (?:weeks|months|(?:\w+ )?(?:days|"
                         r"weeks|months)))\b|\bexclu(?:ded|sion)\b"),
    ("exploitation", "high", r"\bwon'?t (?:say|tell (?:me|us|anyone)) (?:who|where)\b|"
                             r"\bstay(?:s|ed|ing)? out (?:till|until) (?:\w+ ){0,3}?(?:in the "
                             r"morning|at night|midnight)\b"),
    ("dog", "medium", r"\bdogs?\b[^.]{0,20}\b(?:bit|bitten|bites|attacked|went for (?:him|her|them|"
                      r"me|the|my|his|our))\b"),
    ("health", "medium", r"\b(?:hasn'?t|not|never) (?:seen|booked|been to|registered with) (?:a|the|"
                         r"her|his|any) (?:midwife|antenatal|gp|doctor|dentist)\b"),
    ("coping", "medium", r"\bstruggling (?:to cope|to manage|on (?:my|his|her|their) own|with "
                         r"(?:everything|the kids|money|bills|the stairs))\b|\bnot managing\b"),
)
_PRACTICAL = tuple((cue, sev, re.compile(p, re.I)) for cue, sev, p in _PRACTICAL_RISKS)
_SPECIFIC = re.compile(r"\d|£|%|\bper ?cent\b|\b(?:two|three|four|five|six|seven|eight|nine|"
                       r"ten|eleven|twelve|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
                       r"hundred|thousand)\b|\b(?:January|February|March|April|June|July|"
                       r"August|September|October|November|December)\b")
_SUM_WORDS = re.compile(r"£?\d[\d,.]*\s*(?:pounds?|quid|p|pence|percent|per\s+cent|%)?(?:\s+\d+)?"
                        r"(?:\s+(?:a|per|every)\s+(?:week|month|year|day))?", re.I)
_MODAL_WORDS = re.compile(r"\b(?:will|can|could|would|shall)\b|'ll\b", re.I)
_COMMITS = re.compile(r"\b(?:I'll|I will|we'll|we will|I'm going to|refer\w*)\b", re.I)
_HIGH_CUES = frozenset({"suicide", "self-harm", "violence", "domestic abuse", "sexual harm",
                        "exploitation", "missing episode"})


@dataclass(frozen=True)
class Facts:
    items: tuple[DraftItem, ...]
    small_talk: tuple[str, ...]   # segment ids judged small talk


def worker_labels(segments: Sequence[Segment], speakers: Mapping[str, Person]) -> set[str]:
    """Labels of the professionals: by role where known, else whoever states the purpose,
    else whoever spoke first."""
    known = {label for label, p in speakers.items() if p.role and PROFESSIONAL.search(p.role)}
    if known:
        return known
    for turn in speaker_turns(segments):
        seg = turn.joined()
        if _PURPOSE.search(seg.text):
            return {seg.speaker}
    return {segments[0].speaker} if segments else set()


def suggested_people(segments: Sequence[Segment],
                     confirmed: Mapping[str, Person]) -> dict[str, Person]:
    """The names and roles the talk suggests for labels the worker has not named."""
    return {label: Person(s.name, s.role)
            for label, s in suggest_names(segments, confirmed).items()}


def known_people(segments: Sequence[Segment],
                 confirmed: Mapping[str, Person]) -> dict[str, Person]:
    """The worker's names, else the names and roles the talk suggests."""
    return merge_people(confirmed, suggested_people(segments, confirmed))


def who(label: str, speakers: Mapping[str, Person]) -> str:
    person = speakers.get(label)
    return person.name if person is not None and person.name else (label or "Someone")


def find_facts(segments: Sequence[Segment], speakers: Mapping[str, Person],
               meeting_date: dt.date,
               risk_scores: Callable[[Sequence[str]], Sequence[float]] | None = None,
               purpose_scores: Callable[[Sequence[str]], Sequence[float]] | None = None
               ) -> Facts:
    """Every fact the rules find, in transcript order, and the small-talk segments.

    The rules read turns, not segments: recognition cuts one person's talk at pauses, often
    inside a sentence ("... and this is" | "Kai's check-in on his referral order"), so
    consecutive segments of one speaker are read as one text, and each item cites the
    segments its words came from."""
    workers = worker_labels(segments, speakers)
    items: list[DraftItem] = []
    small: list[str] = []
    previous: Turn | None = None
    for turn in speaker_turns(segments):
        joined = turn.joined()
        found = _segment_facts(joined, previous.joined() if previous else None,
                               joined.speaker in workers, speakers, meeting_date, turn)
        items.extend(replace(i, evidence=turn.cite(i, previous)) for i in found)
        said = turn.substantive()
        small.extend(s.segment_id for s in turn.segments
                     if is_small_talk(s.text) and (s not in said or not found))
        previous = turn
    if not any(i.section == "purpose" for i in items):
        items.extend(_stated_aim(speaker_turns(segments), workers, speakers))
    items = _dated_when_asked(items, speaker_turns(segments), meeting_date)
    items = _agreed_meeting(items, speaker_turns(segments), workers, speakers, meeting_date)
    if purpose_scores is not None:
        items = _with_meant_purpose(items, speaker_turns(segments), speakers, purpose_scores)
    if risk_scores is not None:
        items = _with_meant_risks(items, segments, speakers, set(small), risk_scores)
    items = _without_opening_chat(items, segments)
    return Facts(tuple(i for i in _merge_repeats(items) if not _empty_task(i)), tuple(small))


def _without_opening_chat(items: list[DraftItem], segments: Sequence[Segment]
                          ) -> list[DraftItem]:
    """Figures said before the purpose is stated are the chat of arriving ("he's on nights,
    he won't be going anywhere till six", "I've had about four coffees"), not discussion."""
    order = {s.segment_id: n for n, s in enumerate(segments)}
    starts = [min(order.get(sid, 1 << 30) for sid in i.evidence) for i in items
              if i.section == "purpose" and i.evidence]
    if not starts:
        return items
    return [i for i in items if not (i.section == "discussion" and i.evidence and max(
        order.get(sid, -1) for sid in i.evidence) < min(starts))]


MEANT_RISK_WORDS = 5   # a sentence shorter than this is too little to judge by meaning
# "Mind the step, it's slippy.", "Reece, get your feet off the sofa.": telling someone what
# to do here and now discloses nothing
_TELLING = re.compile(r"^\W*(?:(?:[A-Z][a-z]+|love|mate|darling),\s+)?(?:go|mind|get|come|sit|"
                      r"put|take|have|pop|let|look|hold|wait|shift|give|tell|grab|watch)\b", re.I)


def _with_meant_risks(items: list[DraftItem], segments: Sequence[Segment],
                      speakers: Mapping[str, Person], small: set[str],
                      risk_scores: Callable[[Sequence[str]], Sequence[float]]) -> list[DraftItem]:
    """``items`` with a risk for each sentence no rule took whose meaning is a risk's
    (``semantic.RiskScorer``): said in words no lexicon lists."""
    quoted: dict[str, str] = {}
    for item in items:
        for sid in item.evidence:
            quoted[sid] = quoted.get(sid, "") + " " + item.text
    candidates: list[tuple[str, str, tuple[str, ...]]] = []
    for turn in speaker_turns(segments):
        name = who(turn.segments[0].speaker, speakers)
        for sentence, sources in turn.sentences():
            ids = tuple(s.segment_id for s in sources)
            if (sentence.rstrip().endswith("?") or len(sentence.split()) < MEANT_RISK_WORDS
                    or all(sid in small for sid in ids) or _COMMITS.search(sentence)
                    or _TELLING.match(sentence) or introduces(sentence)
                    or _HOSPITALITY.search(sentence)
                    or any(_said_in(sentence, quoted.get(sid, "")) for sid in ids)):
                continue
            candidates.append((name, sentence, ids))
    scores = risk_scores([sentence for _, sentence, _ in candidates])
    order = {s.segment_id: i for i, s in enumerate(segments)}
    meant = [DraftItem("risks", _quote(name, "said", sentence), ids, severity="medium")
             for (name, sentence, ids), score in zip(candidates, scores, strict=True)
             if score >= RISK_MARGIN]
    return sorted(items + meant, key=lambda i: min((order.get(sid, 1 << 30)
                                                     for sid in i.evidence), default=1 << 30))


# offering tea is not a scald risk: "Kettle's just boiled, so it's no trouble."
_HOSPITALITY = re.compile(r"\bkettle(?:'s| is| has)\s+(?:just\s+)?(?:on|boiled|boiling)\b|"
                          r"\b(?:put|pop|stick) the kettle on\b|\bwhile the kettle\b|"
                          r"\b(?:a cup of tea|a cuppa|a brew|tea or coffee|milk and sugar)\b", re.I)


def _empty_task(item: DraftItem) -> bool:
    """"Jonah Price to ask.", "Douglas to see you out.": no date and nothing to do."""
    if item.section not in ("actions", "next_steps") or item.due is not None:
        return False
    return not _content(item.text, item.owner)[1] and len(task_words(item.text).split()) <= 4


_AIM = re.compile(
    r"\bwhat (?:we|I)(?:'d| would)? (?:need|want|like|have|hope|got) (?:us )?to (?:do|sort|"
    r"cover|talk about|look at|get through|agree|go through|work out)\b"
    r"|\bthe (?:whole |main )?(?:point|idea|aim|plan) (?:of|for|with) (?:this|today|getting|us|the)"
    r"|\b(?:I|we)(?:'ve| have)? (?:got|come|need|want|'d like|would like) to (?:do|review|talk|"
    r"go through|check|look at|sort|discuss|catch up|agree|pin down|work out|update)\b[^.?!]*"
    r"\b(?:today|this (?:morning|afternoon|call|meeting|visit|session))\b"
    r"|\b(?:today|this (?:morning|afternoon|call|meeting|visit|session)),? (?:I|we)(?:'d| would|"
    r"'re| are| need| want)? ?(?:like to|going to|need to|want to|to)\b"
    r"|\b(?:I|we)(?:'d| would) like (?:us )?to (?:go through|review|talk about|look at|agree|"
    r"discuss|check|catch up|update)\b", re.I)
AIM_SHARE = 0.4   # a stated aim is looked for in the first part of the meeting
AIM_MIN_TURNS = 4   # ... and in any case in its first few turns


def _stated_aim(turns: Sequence[Turn], workers: set[str],
                speakers: Mapping[str, Person]) -> list[DraftItem]:
    """The purpose when no line says it in a set phrase: the first thing a worker, early on,
    says they need or want to do today ("What we need to sort out today is the enquiry")."""
    for turn in turns[:max(AIM_MIN_TURNS, round(len(turns) * AIM_SHARE))]:
        if turn.segments[0].speaker not in workers:
            continue
        said = turn.sentences()
        for n, (sentence, sources) in enumerate(said):
            if _AIM.search(sentence) and not sentence.rstrip().endswith("?"):
                name = who(turn.segments[0].speaker, speakers)
                return [_explained(DraftItem("purpose", _quote(name, "said", sentence),
                                             tuple(s.segment_id for s in sources)),
                                   name, said, n)]
    # else the first worker sentence early on that names a piece of work to do together
    for turn in turns[:max(AIM_MIN_TURNS, round(len(turns) * AIM_SHARE))]:
        if turn.segments[0].speaker not in workers:
            continue
        for sentence, sources in turn.sentences():
            if (len(sentence.split()) >= AIM_MIN_WORDS and _TOPIC.search(sentence)
                    and not sentence.rstrip().endswith("?") and not _INTRODUCING.search(sentence)
                    and not _COMMITS.search(sentence)):
                name = who(turn.segments[0].speaker, speakers)
                return [DraftItem("purpose", _quote(name, "said", sentence),
                                  tuple(s.segment_id for s in sources))]
    return []


AIM_MIN_WORDS = 8
PURPOSE_MARGIN = 0.08   # docs/benchmarks.md: above it, the top worker lines are purposes


_WHEN_ASKED = re.compile(r"\b(?:when(?:'s|\s+is|\s+are|\s+do|\s+can|\s+could|\s+would|\s+will)?|"
                         r"what\s+(?:day|time|date)|how\s+soon|by\s+when)\b[^.!?]*\?\s*$", re.I)


def _dated_when_asked(items: list[DraftItem], turns: Sequence[Turn],
                      meeting_date: dt.date) -> list[DraftItem]:
    """"I'll ring Mrs Daley." / "When do you think you'll manage it?" / "Tomorrow, first
    thing.": the day the owner answers with dates their undated task of the turn before."""
    out = list(items)
    where = {sid: n for n, i in enumerate(out) for sid in i.evidence}
    for before, asking, answer in zip(turns, turns[1:], turns[2:]):
        owner = before.segments[0].speaker
        if (answer.segments[0].speaker != owner or asking.segments[0].speaker == owner
                or not _WHEN_ASKED.search(asking.joined().text)):
            continue
        said, due = date_in(answer.joined().text, meeting_date)
        if due is None or due < meeting_date:
            continue
        undated = [n for n in dict.fromkeys(where.get(s.segment_id) for s in before.segments)
                   if n is not None and out[n].section == "actions" and out[n].due is None]
        if not undated:
            continue
        task = out[undated[-1]]
        cited = (*task.evidence, *(s.segment_id for s in asking.segments),
                 *(s.segment_id for s in answer.segments))
        out[undated[-1]] = replace(task, text=f'{task.text.rstrip(".")} (asked when: '
                                               f'"{said}")', due=due, due_text=said,
                                   evidence=tuple(dict.fromkeys(cited)))
    return out


_WHEN_MEET = re.compile(
    r"\bwhen (?:can|shall|could|should|do|would) we (?:meet|get together|do this|catch up|"
    r"review|come back|see each other)\b|\bwhen(?:'s| is| would be| are you) (?:good|best|"
    r"free|around|okay|ok) for (?:you|the next|another|a visit|us to)\b|\bwhat day (?:is|would "
    r"be|suits) (?:good|best|you)\b", re.I)


def _agreed_meeting(items: list[DraftItem], turns: Sequence[Turn], workers: set[str],
                    speakers: Mapping[str, Person], meeting_date: dt.date) -> list[DraftItem]:
    """A next meeting a worker proposes without a day, and the day the other gives: "Shall
    we meet again once the panel's sat? When's good for you?" / "Thursday the 17th, after
    school." """
    dated = {i.due for i in items if i.section == "next_steps" and i.due is not None}
    out = list(items)
    for asking, answer in zip(turns, turns[1:]):
        speaker = asking.segments[0].speaker
        if speaker not in workers or answer.segments[0].speaker == speaker:
            continue
        put = asking.sentences()[-MEETING_DATE_SENTENCES:]
        asked = [t for t, _ in put]
        if not any(_MEETING_AGAIN.search(t) or _WHEN_MEET.search(t) for t in asked) \
                or any(date_in(t, meeting_date)[1] is not None for t in asked):
            continue
        reply, sources = next(((t, src) for t, src in answer.sentences()[:MEETING_DATE_SENTENCES]
                               if len(t.split()) <= 2 * DATED_WORDS
                               and date_in(t, meeting_date)[1] is not None), ("", ()))
        if not reply:
            continue
        said, due = date_in(reply, meeting_date)
        if due is None or due < meeting_date or due in dated:
            continue
        dated.add(due)
        text = (f'{who(speaker, speakers)} asked: "{" ".join(t.strip() for t in asked)}" '
                f'{who(answer.segments[0].speaker, speakers)} said: "{reply.strip()}"')
        cited = (*(seg.segment_id for _, src in put for seg in src),
                 *(seg.segment_id for seg in sources))
        out.append(DraftItem("next_steps", text, tuple(dict.fromkeys(cited)),
                             due_text=said, due=due))
    return out


def _with_meant_purpose(items: list[DraftItem], turns: Sequence[Turn],
                        speakers: Mapping[str, Person],
                        purpose_scores: Callable[[Sequence[str]], Sequence[float]]
                        ) -> list[DraftItem]:
    """The purpose by meaning (``semantic.purpose_scorer``): of the statements in the
    meeting's first part, the one nearest the spoken purposes of the bank, when near
    enough and not already the purpose ("What I'm going to do today is a bit of a triage",
    "We go through the child protection plan, point by point"). Its quote leaves the
    discussion or observations it was filed under, so it is said once."""
    candidates: list[tuple[str, str, tuple[str, ...]]] = []
    for turn in turns[:max(AIM_MIN_TURNS, round(len(turns) * AIM_SHARE))]:
        label = turn.segments[0].speaker   # anyone: who is a worker is often not yet known
        for sentence, sources in turn.sentences():
            if (len(sentence.split()) >= MEANT_RISK_WORDS and not sentence.rstrip().endswith("?")
                    and not _INTRODUCING.search(sentence)):
                candidates.append((who(label, speakers), sentence,
                                   tuple(s.segment_id for s in sources)))
    scores = purpose_scores([sentence for _, sentence, _ in candidates])
    if not candidates or max(scores) < PURPOSE_MARGIN:
        return items
    name, sentence, ids = candidates[max(range(len(scores)), key=scores.__getitem__)]
    if any(i.section == "purpose" and _said_in(sentence, i.text) for i in items):
        return items
    kept = [i for i in items if not (i.section in ("discussion", "observations")
                                     and set(i.evidence) <= set(ids))]
    at = next((n for n, i in enumerate(kept) if set(i.evidence) & set(ids)), len(kept))
    return [*kept[:at], DraftItem("purpose", _quote(name, "said", sentence), ids), *kept[at:]]
_TOPIC = re.compile(r"\b(?:review\w*|plan|check(?:ing)? (?:in|on|how)|go(?:ing)? through|look(?:ing)? at|"
                    r"talk(?:ing)? (?:about|through)|discuss\w*|catch(?:ing)? up|update|assessment|"
                    r"enquiry|inquiry|follow(?:ing)?[- ]up|today|this (?:visit|call|meeting|session))\b",
                    re.I)
_INTRODUCING = re.compile(r"\b(?:I'm|I am|[Mm]y name|[Ii]t's|[Tt]his is) [A-Z]")


_ANAPHORIC = re.compile(r"\b(?:them|it|that|this|those|these|there)\b", re.I)


def _content(text: str, owner: str | None) -> tuple[str, set[str]]:
    """An action's verb and its other content words, without the owner's name."""
    words = [w.lower() for w in re.findall(r"[A-Za-z']+", task_words(text))]
    names = {w.lower() for w in (owner or "").split()}
    kept = {w for w in words[1:] if len(w) >= 4 and w not in _STOP and w not in names
            and not re.fullmatch(_VERB_WORDS, w)}
    return (words[0] if words else ""), kept


def _merge_repeats(items: list[DraftItem]) -> list[DraftItem]:
    """One action once: a recap ("So, Marcus calls the GP tomorrow") restates a task said
    before ("Yeah, I'll call them first thing tomorrow"). Same owner, dates that agree, and
    the same object or the same verb on the same day make it one item, citing both lines,
    worded by the fuller line unless it only says "them" where the other names it."""
    out: list[DraftItem] = []
    for item in items:
        twin = next((i for i, kept in enumerate(out) if _repeats(kept, item)), None)
        if twin is None:
            out.append(item)
            continue
        kept = out[twin]
        fuller = len(_content(item.text, item.owner)[1]) > len(_content(kept.text, kept.owner)[1])
        worded = item if fuller else kept
        if _ANAPHORIC.search(worded.text) and not _ANAPHORIC.search((kept if fuller else item).text):
            worded = kept if fuller else item
        dated = kept if kept.due is not None else item
        due, due_text, text = dated.due, dated.due_text, worded.text
        if due_text and worded.due is None:
            text = f"{text.rstrip('.')} {due_text}."
        evidence = tuple(dict.fromkeys(kept.evidence + item.evidence))
        out[twin] = replace(kept, text=text, due=due, due_text=due_text, evidence=evidence)
    return out


def _repeats(a: DraftItem, b: DraftItem) -> bool:
    if a.section != "actions" or b.section != "actions" or not a.owner or a.owner != b.owner:
        return False
    if a.due is not None and b.due is not None and a.due != b.due:
        return False
    verb_a, words_a = _content(a.text, a.owner)
    verb_b, words_b = _content(b.text, b.owner)
    shared = len(words_a & words_b)
    if shared:
        return shared >= min(len(words_a), len(words_b)) / 2
    return verb_a == verb_b and a.due is not None and a.due == b.due


def _segment_facts(seg: Segment, previous: Segment | None, by_worker: bool,
                   speakers: Mapping[str, Person], meeting_date: dt.date,
                   turn: Turn | None = None) -> list[DraftItem]:
    """The facts of one line (``turn``: the segments it joins, whose sentences are then
    cited and quoted by the segments they were said in)."""
    name = who(seg.speaker, speakers)
    evidence = (seg.segment_id,)
    items: list[DraftItem] = []
    for c in find_commitments(seg, previous, speakers, meeting_date):
        section = "actions" if c.kind == "action" else "next_steps"
        cited = evidence
        if previous is not None and missing_facts(c.text, _line(seg, speakers), speakers):
            cited = (previous.segment_id, seg.segment_id)  # "Yes, will do." to a request
        item = DraftItem(section, c.text, cited, owner=c.owner, due_text=c.due_words,
                         due=c.due)
        items.append(_answering(item, seg, previous, speakers, meeting_date))
    said = turn.sentences() if turn is not None else [
        (s, (seg,)) for s in split_sentences(seg.text)]
    items = [_in_context(i, said, seg, previous, speakers, meeting_date) for i in items]
    found: dict[tuple[str, str], DraftItem] = {}   # one item per section and segment
    relaying = False    # a worker passing on the person's own words: "He said, it's my home"
    for n, (sentence, sources) in enumerate(said):
        if sentence.rstrip().endswith("?"):
            continue  # a question asserts nothing; a screening question is not a disclosure
        cited = tuple(s.segment_id for s in sources) if turn is not None else evidence
        relaying = by_worker and (bool(_RELAYS.search(sentence)) or relaying)
        if relaying and (_VOICE.search(sentence) or _RELAYED_WISH.search(sentence)) \
                and _risk(sentence) is None:
            item = DraftItem("voice_of_person", _quote(name, "passed on", sentence), cited)
        elif by_worker:
            item = _worker_fact(name, sentence, cited)
        else:
            item = _person_fact(name, sentence, cited)
        key = (item.section, sources[0].segment_id) if item is not None else None
        if item is not None and key not in found:
            line = turn.text_of(sources) if turn is not None else seg.text
            found[key] = _whole(item, name, sentence, line)
            if item.section == "purpose" and turn is not None:
                found[key] = _explained(found[key], name, said, n)
    if not by_worker and previous is not None and _asks_wishes(previous.text) and not any(
            section == "voice_of_person" for section, _ in found):
        # the answer to "What do you want, for you and for Mia?" is the person's voice,
        # however it is worded ("A proper house. Where the kids have their own beds.")
        first = said[0][1] if said else (seg,)
        line = turn.text_of([s for _, src in said for s in src][:3]) if turn else seg.text
        found[("voice_of_person", first[0].segment_id)] = DraftItem(
            "voice_of_person", _quote(name, "said", _first_words(line, QUOTE_WHOLE_WORDS)),
            tuple(dict.fromkeys(s.segment_id for _, src in said for s in src))[:3]
            if turn is not None else evidence)
    if by_worker and not any(i.section == "next_steps" for i in items):
        items.extend(_proposed_meeting(name, said, meeting_date, turn is not None, evidence))
    # What was said with a figure, a sum or a date, and is in no other item of the turn, is
    # discussion: "She's missed nine days since half-term", "arrears of £1,240.50".
    quoted = " ".join((*(i.text for i in found.values()),
                       *(i.due_text for i in items if i.due_text)))   # "That's the 17th."
    for n, (sentence, sources) in enumerate(said):
        if ((m := _SPECIFIC.search(sentence)) and not sentence.rstrip().endswith("?")
                and not _said_in(sentence, quoted) and not _COMMITS.search(sentence)
                and not (items and _MODAL_WORDS.search(sentence))):
            cited = tuple(s.segment_id for s in sources) if turn is not None else evidence
            words = _clip(sentence, m.start())
            if words == sentence and n + 1 < len(said):
                # "Eight hundred and seventy-five pound, every month. Universal Credit gives
                # six hundred and forty for the rent.": a short point and what it is about
                after, more = said[n + 1]
                if (not after.rstrip().endswith("?") and not _said_in(after, quoted)
                        and len(f"{sentence} {after}".split()) <= 2 * DISCUSSION_WORDS):
                    words = f"{sentence.strip()} {after.strip()}"
                    if turn is not None:
                        cited = tuple(dict.fromkeys((*cited, *(s.segment_id for s in more))))
            point = _answer(words, name, seg, previous, speakers, cited)
            if items or found:
                point = replace(point, text=_quote(name, "said", words), evidence=cited)
            return items + list(found.values()) + [point]
    return items + list(found.values())


# "He said, it's my home", "she told me she wants ...": the person's words, through a worker
_RELAYS = re.compile(r"\b(?:he|she|they|[A-Z][a-z]+) (?:said|says|told me|tells me|keeps saying|"
                     r"kept saying|was very clear|made it clear)\b(?:,|:| that\b)?", re.I)
_RELAYED_WISH = re.compile(r"\b(?:it's|it is) my (?:home|house|flat|life|choice|decision)\b|"
                           r"\b(?:they're|they are) my (?:things|stuff|belongings)\b", re.I)
_WISHES_ASKED = re.compile(
    r"\bwhat (?:do|would|did) you (?:really )?(?:want|like|hope|wish|need)\b|\bwhat would "
    r"(?:you like|make (?:it|things|a difference|you)|help)\b|\bwhat matters (?:most )?to you\b|"
    r"\bin your own words\b|\bhow do you feel about\b|\bwhat (?:are|were) you hoping\b|"
    r"\bwhat would be (?:best|right|good|ideal) for you\b|\bif you could (?:change|have|choose)\b|"
    r"\bwhat (?:do|would) you (?:say|think) (?:is|would be) best\b|\bwhat's important to you\b",
    re.I)
_MEETING_AGAIN = re.compile(
    r"\b(?:next one|next time|same (?:time|room|place|day)|pencil (?:in|it|that)|shall we say|"
    r"how about|let's say|in the diary|meet (?:again|up)|see (?:you|everyone|you all|you both) "
    r"(?:again|then|next)|catch up again|get together again|review (?:it|this|things|everything) "
    r"again)\b|\b(?:get|come|meet) back together\b|\blet's (?:meet|regroup|reconvene|"
    r"catch up|review)\b", re.I)
MEETING_DATE_SENTENCES = 2   # "... get back together after the panel. Same place? Thursday the 16th?"


def _asks_wishes(text: str) -> bool:
    """Whether the line ends by asking the person what they want."""
    asked = [s for s in split_sentences(text) if s.rstrip().endswith("?")]
    return bool(asked) and bool(_WISHES_ASKED.search(asked[-1]))


def _first_words(text: str, n: int) -> str:
    words = text.split()
    return text if len(words) <= n else " ".join(words[:n]) + "…"


def _proposed_meeting(name: str, said: Sequence[tuple[str, tuple[Segment, ...]]],
                      meeting_date: dt.date, by_turn: bool, evidence: tuple[str, ...]
                      ) -> list[DraftItem]:
    """The next meeting as a worker proposes it, often as a question or in passing: "Shall
    we say Tuesday the 22nd for the next one?", "Thursday the 17th, same room, same time"."""
    for n, (sentence, sources) in enumerate(said):
        if not _MEETING_AGAIN.search(sentence):
            continue
        words, due = date_in(sentence, meeting_date)
        for after, more in said[n + 1:n + 1 + MEETING_DATE_SENTENCES]:
            if due is not None or len(after.split()) > DATED_WORDS:
                break
            words, due = date_in(after, meeting_date)   # the day, asked or said just after
            if due is not None:
                sentence, sources = f"{sentence.strip()} {after.strip()}", (*sources, *more)
        if due is None:
            continue
        cited = tuple(dict.fromkeys(s.segment_id for s in sources)) if by_turn else evidence
        return [DraftItem("next_steps", _quote(name, "proposed", sentence), cited,
                          due_text=words, due=due)]
    return []


_LEANS_BACK = re.compile(r"\b(?:them|it|that|this|those|these|there|then|one|the (?:whole )?lot|"
                         r"the same)\b", re.I)
REQUEST_WORDS = 24   # a request quoted as an action's context is cut to this many words


def _answering(item: DraftItem, seg: Segment, previous: Segment | None,
               speakers: Mapping[str, Person], meeting_date: dt.date) -> DraftItem:
    """An action said in answer to a request ("Could you get me your last two bills by the
    1st of December?" / "Yeah, I'll dig them out and drop them at the centre before then")
    often names its object and its date only in the request: the item then quotes the
    request, cites it, and takes its date when the answer gives none."""
    if (item.section != "actions" or previous is None or previous.speaker == seg.speaker
            or previous.segment_id in item.evidence):
        return item
    asked = request_in(previous.text)
    if asked is None or not (_LEANS_BACK.search(task_words(item.text)) or item.due is None):
        return item
    words = asked.split()
    if len(words) > REQUEST_WORDS:
        asked = " ".join(words[-REQUEST_WORDS:])
        asked = "…" + asked
    due, due_text = item.due, item.due_text
    if due is None:
        due_text, due = date_in(asked, meeting_date)
    text = f'{item.text.rstrip(".")} (asked by {who(previous.speaker, speakers)}: "{asked}")'
    return replace(item, text=text, evidence=(previous.segment_id, *item.evidence), due=due,
                   due_text=due_text)


CONTEXT_WORDS = 22   # the line a task leans back on is quoted up to this many words
_DEFINITE_WORK = re.compile(r"\b(?:the|that|this|those|these|both)\s+(?:\w+\s+)?(?:referral|"
                            r"form|list|letter|application|request|paperwork|one|ones)s?\b",
                            re.I)


# where the speaker's own task starts in its sentence: "..., and I'll get you on it"
_OWN_TASK = re.compile(r"(?:\b(?:and|so)\s+)?\b(?:I|we)(?:'ll|\s+will|\s+can|\s+could)\b")


def _words_of(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 3 and w not in _STOP}


def _in_context(item: DraftItem, said: Sequence[tuple[str, tuple[Segment, ...]]],
                seg: Segment, previous: Segment | None,
                speakers: Mapping[str, Person], meeting_date: dt.date) -> DraftItem:
    """A task that leans back on what was just said ("I'll get the referral done tomorrow",
    "I'll put him on the list for Monday") quotes the line before it, which says what the
    referral or the list is: the task alone would not tell the worker what to do."""
    task = task_words(item.text)
    if (item.section != "actions" or "(asked by " in item.text
            or not (_LEANS_BACK.search(task) or _DEFINITE_WORK.search(task)
                    or re.match(r"(?:start|begin)\b", task, re.I))):
        return item
    mine = _words_of(task)
    shared = [len(mine & _words_of(sentence)) for sentence, _ in said]
    if not any(shared):   # "I'll put you in for it.": the task's sentence by its small words
        small = set(re.findall(r"[a-z']+", task.lower()))
        shared = [len(small & set(re.findall(r"[a-z']+", sentence.lower())))
                  for sentence, _ in said]
    at = max(range(len(said)), key=lambda n: shared[n], default=-1)
    cited: tuple[str, ...] = ()   # the turn's own id already stands for its sentences

    def lacks(line: str) -> bool:   # "No promises, but I'll ask.": nothing the task lacks
        return len(_words_of(line) - mine) < 2 or is_small_talk(line)

    if re.match(r"(?:start|begin)\b", task, re.I):   # what starts is said after it
        if not (0 <= at < len(said) - 1) or lacks(said[at + 1][0]):
            return item
        words = said[at + 1][0].strip().split()
        quote = " ".join(words[:CONTEXT_WORDS]) + ("…" if len(words) > CONTEXT_WORDS else "")
        return replace(item, text=f'{item.text.rstrip(".")} ({who(seg.speaker, speakers)}: '
                                  f'"{quote}")')
    own = said[at][0] if at >= 0 else ""
    before = own[:m.start()].strip(" ,;") if (m := _OWN_TASK.search(own)) else ""
    if before and not lacks(before):
        # "There's a panel ..., it sits on the 14th, and I'll get you on it."
        line, by = before, seg.speaker
        if item.due is None:
            due_text, due = date_in(before, meeting_date)
            item = replace(item, due=due, due_text=due_text) if due is not None else item
    elif at > 0 and not lacks(said[at - 1][0]):
        line, by = said[at - 1][0], seg.speaker
    elif previous is not None and previous.text.strip():
        # what the other asked or said that the task shares words with ("Can you send me
        # those screenshots tonight?" / "I'll send them tonight"), else their last line
        theirs = split_sentences(previous.text)
        line = max(reversed(theirs), key=lambda t: len(mine & _words_of(t)))
        by, cited = previous.speaker, (previous.segment_id,)
    else:
        return item
    words = line.strip().split()
    if lacks(line):
        return item
    quote = " ".join(words[-CONTEXT_WORDS:])
    quote = quote if len(words) <= CONTEXT_WORDS else "…" + quote
    text = f'{item.text.rstrip(".")} (after {who(by, speakers)}: "{quote}")'
    return replace(item, text=text, evidence=tuple(dict.fromkeys((*cited, *item.evidence))))


def _clip(sentence: str, at: int) -> str:
    """The words around a figure, marked where cut: a discussion point, not the transcript.
    A cut never falls inside a date or a sum ("the 11th | of January" would name another
    day), so the window grows to take them whole."""
    words = list(re.finditer(r"\S+", sentence))
    if len(words) <= DISCUSSION_WORDS:
        return sentence
    i = sum(1 for w in words if w.start() < at)
    first = max(0, min(i - DISCUSSION_WORDS // 3, len(words) - DISCUSSION_WORDS))
    lo, hi = words[first].start(), words[first + DISCUSSION_WORDS - 1].end()
    for m in (*_DATE_WORDS.finditer(sentence), *_SUM_WORDS.finditer(sentence)):
        if m.start() < lo < m.end():
            lo = m.start()
        if m.start() < hi < m.end():
            hi = m.end()
    kept = sentence[lo:hi].rstrip(",;:")
    return ("…" if lo > 0 else "") + kept + ("…" if hi < len(sentence.rstrip(" .!?")) else "")


def _answer(sentence: str, name: str, seg: Segment, previous: Segment | None,
            speakers: Mapping[str, Person], cited: tuple[str, ...]) -> DraftItem:
    """A discussion point, with the short question it answers ("How has her attendance
    been?") when there was one: the answer alone often lacks what it is about."""
    asked = _last_question(previous.text) if previous is not None else ""
    if (previous is None or previous.speaker == seg.speaker or not asked.endswith("?")
            or len(asked.split()) > QUESTION_WORDS):
        return DraftItem("discussion", _quote(name, "said", sentence), cited)
    text = f'Asked "{asked}", {name} said: "{sentence.strip().strip(chr(34))}"'
    return DraftItem("discussion", text, (previous.segment_id, *cited))


def _last_question(text: str) -> str:
    """The question a line ends with, with the short questions just before it: "And how's
    Mason been? Since Saturday?" asks about Mason, not only about Saturday."""
    sentences = [s.strip() for s in split_sentences(text)]
    asked = sentences[-1] if sentences else ""
    for sentence in reversed(sentences[:-1]):
        if not sentence.endswith("?") or len(f"{sentence} {asked}".split()) > QUESTION_WORDS:
            break
        asked = f"{sentence} {asked}"
    return asked


PURPOSE_WORDS = 40   # a stated purpose is quoted with what follows it, up to this many words


def _explained(item: DraftItem, name: str, said: Sequence[tuple[str, tuple[Segment, ...]]],
               at: int) -> DraftItem:
    """A purpose with the sentences that say what it means ("... is the enquiry I told you
    about. It's called a Section 42 enquiry. It's how we look into ... taking money")."""
    words = [said[at][0].strip()]
    cited = list(item.evidence)
    for sentence, sources in said[at + 1:]:
        if len(" ".join(words + [sentence]).split()) > PURPOSE_WORDS or _COMMITS.search(sentence):
            break
        words.append(sentence.strip())
        cited.extend(s.segment_id for s in sources)
    if len(words) == 1:
        return item
    return replace(item, text=_quote(name, "said", " ".join(words)),
                   evidence=tuple(dict.fromkeys(cited)))


def _whole(item: DraftItem, name: str, sentence: str, text: str) -> DraftItem:
    """A short line is quoted whole: what someone wants or fears is often said over two
    sentences ("Staying in my own house. Sixty years I've lived here.")."""
    if len(text.split()) > QUOTE_WHOLE_WORDS or sentence.strip() == text.strip():
        return item
    # without the questions put to others in passing ("Can I come in there, Paul? From our
    # side the fire risk is the big one. Helen, does he still smoke?"): they assert nothing
    text = " ".join(s.strip() for s in split_sentences(text) if not s.rstrip().endswith("?"))
    if sentence.strip() == text.strip():
        return item
    verb = next((v for v in ("observed", "passed on") if item.text.startswith(f"{name} {v}:")),
                "said")
    return replace(item, text=_quote(name, verb, text))


def _worker_fact(name: str, sentence: str, evidence: tuple[str, ...]) -> DraftItem | None:
    """A worker's line: why they came, what they saw, or a safeguarding cue they voice
    (not the practical risks they name while planning what to do about them)."""
    if _PURPOSE.search(sentence):
        return DraftItem("purpose", _quote(name, "said", sentence), evidence)
    if _OBSERVED.search(sentence) and not _COMMITS.search(sentence):
        return DraftItem("observations", _quote(name, "observed", sentence), evidence)
    cue = find_cue(sentence)
    if cue is not None and not _COMMITS.search(sentence) and not introduces(sentence):
        severity = "high" if cue[0] in _HIGH_CUES else "medium"
        return DraftItem("risks", _quote(name, "said", sentence), evidence, severity=severity)
    # a worker's worry is their assessment of risk: "What worries me is the stairs"
    if _CONCERN.search(sentence) and not _COMMITS.search(sentence):
        return DraftItem("risks", _quote(name, "said", sentence), evidence, severity="medium")
    # a worker naming a risk they see ("She's at high risk of falling again"), not one
    # they are planning to act on
    if not _COMMITS.search(sentence) and not _MODAL_WORDS.search(sentence):
        for cue_name, severity, pattern in _PRACTICAL:
            if cue_name not in _WORKER_TOPICS and pattern.search(sentence):
                return DraftItem("risks", _quote(name, "said", sentence), evidence,
                                 severity=severity)
    return None


_CONCERN = re.compile(r"\b(?:I'm|I am|we're|we are|I was|we were|I've been|we've been) (?:really |"
                      r"a bit |a little |quite |very |still |particularly )?(?:worried|concerned) "
                      r"(?:about|that|for|by)\b|\b(?:my|our|the) (?:main |biggest |big |real |"
                      r"only )?(?:concern|worry) (?:is|was|here is|for me is)\b|\bwhat (?:worries|"
                      r"concerns) me\b|\bI(?:'m| am) not (?:happy|comfortable) (?:about|with|that)\b",
                      re.I)
# A worker talking money is setting out the case (discussion), not disclosing a risk; any
# other risk a worker reports is one (in a multi-agency meeting, most risks are reported).
_WORKER_TOPICS = frozenset({"arrears", "debt", "money"})


def _person_fact(name: str, sentence: str, evidence: tuple[str, ...]) -> DraftItem | None:
    """Anyone else's line: a risk they disclose, else their own wishes and feelings."""
    risk = _risk(sentence) if not introduces(sentence) else None
    if risk is not None:
        return DraftItem("risks", _quote(name, "said", sentence), evidence, severity=risk)
    if _VOICE.search(sentence):
        return DraftItem("voice_of_person", _quote(name, "said", sentence), evidence)
    return None


def _risk(sentence: str) -> str | None:
    """The severity of the risk a sentence discloses, if any."""
    found = find_cue(sentence)
    if found is not None:
        return "high" if found[0] in _HIGH_CUES else "medium"
    for _, severity, pattern in _PRACTICAL:
        if pattern.search(sentence):
            return severity
    return None


# A note quotes what was said without the hesitations: "So, erm, the plan for today" is
# "the plan for today". Nothing is added and no word that carries meaning is taken out.
_HESITATION = re.compile(r"(?:,\s*)?\b(?:erm+|umm*|uhh*|er|ah)\b,?(?=\s|$)", re.I)
_OPENERS = re.compile(r"^(?:(?:so|well|okay|ok|right|oh|look|anyway|I mean|you know)\b[,.!]?\s+)+",
                      re.I)


def _said_in(sentence: str, text: str) -> bool:
    """Whether ``text`` quotes ``sentence`` (as said, or without its hesitations)."""
    return sentence.strip() in text or _without_fillers(sentence.strip()) in text


def _without_fillers(text: str) -> str:
    cut = _OPENERS.sub("", _HESITATION.sub("", text)).strip()
    cut = re.sub(r"\s{2,}", " ", cut)
    return (cut[0].upper() + cut[1:]) if len(cut.split()) >= 3 else text


def _line(seg: Segment, speakers: Mapping[str, Person]) -> str:
    return f"{who(seg.speaker, speakers)}: {seg.text}"


def _quote(name: str, verb: str, sentence: str) -> str:
    text = _without_fillers(sentence.strip().strip('"'))
    return f'{name} {verb}: "{text}"'

"""Suggested names and roles for speaker labels, from self-introductions and forms of address.

People in a meeting say who they are ("Hi, I'm Sarah, the social worker", "it's Sam from
housing", "I'm Jayden's mum") and call each other by name ("Come in, Jo.", "Thanks, Sarah.").
After every final line the server offers, per diarisation label, a name and role with the line
it rests on, so the worker can confirm it instead of typing it. A suggestion is never a name
until confirmed, and labels can be wrong, so the rules lean towards saying nothing:

- a self-introduction by the line's own speaker is strong evidence; being addressed only names
  the next different speaker (within two lines), and only where no self-introduction did;
- one label introducing two different people gets nothing (diarisation merged them);
- a name claimed by two labels stays with the stronger, then earlier, claim;
- a role is taken only when said of oneself ("I'm his mum", not "I'm worried about his mum").
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from server.notes.schema import Person, Segment


@dataclass(frozen=True)
class NameSuggestion:
    speaker: str      # the label, e.g. "S2"
    name: str         # "" when only a role is known
    role: str         # "" when unknown
    segment_id: str   # the line the name (or, with no name, the role) came from

    def to_wire(self) -> dict[str, str]:
        return {"name": self.name, "role": self.role, "segment_id": self.segment_id}


@dataclass(frozen=True)
class _Claim:
    speaker: str
    value: str        # a name or a role
    segment_id: str
    index: int        # position in the transcript: the earlier line wins ties
    strength: int


_ADDRESS, _SELF, _CONFIRMED = 1, 2, 3

_UP, _LO = "A-ZÀ-ÖØ-Þ", "a-zß-öø-ÿ"
_WORD = rf"(?:Mc|Mac|O['’]|D['’])?[{_UP}][{_LO}]+(?:-[{_UP}][{_LO}]+)?"
_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr"})
# The lookahead refuses a name glued to "'s": "I'm Jayden's mum" names nobody.
_NAME = rf"(?P<name>(?:(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+)?{_WORD}(?:\s+{_WORD})?)(?![\w'’-])"

_COMMON = frozenset("""
a about actually afraid after afternoon again ah alright all also always am an and angry annoyed
any anyway are around as at away awful back bad basically be been best better bit bless both
bored brilliant busy but by bye can cheers come coming cool could dad daddy darling dear doing
done down even evening ever every everybody everyone everything exactly fab fine finished first
for free from gonna gosh god going gone good goodbye gran grandad grandma granny great guys had
half happy hard has have he hello her here hey hi him his hiya hold home how hungry i if in into
is it its jesus just keen kind late later let like listen little look lord lost lots love lovely
mam mate maybe me mom more morning most much mum mummy must my myself nan nana nearly need never
new next nice no nobody not nothing now of off oh ok okay old on once one only or our out over
perfect please pleased pretty quite rather ready right sad same scared see she sick since sir so
some someone something sorry still stressed struggling sure sweetheart take tell thank thanks
that the their them then there these they this those though tired to today tomorrow tonight too
uncle up upset us very wait want was we well were what when where which while who why with
worried would wow yeah yes yesterday yet you your yours son babe christ doctor nurse officer
christmas easter summer winter spring autumn english british scottish welsh irish polish
romanian muslim christian catholic jewish hindu sikh
erm er um umm uh uhm hmm mm mmm ooh aw ta oi innit family neighbours friends
""".split()) | {n.lower() for n in (*calendar.day_name, *calendar.month_name) if n}
_COMMON_ENDINGS = ("ally", "ously", "tely", "ntly", "fully", "stly", "ssly", "ively", "ingly",
                   "ably", "ibly")

_ROLES: tuple[tuple[str, str], ...] = (
    (r"family support worker", "family support worker"), (r"support worker", "support worker"),
    (r"social worker", "social worker"), (r"housing officer", "housing officer"),
    (r"health visitor", "health visitor"), (r"school nurse", "school nurse"),
    (r"community nurse", "community nurse"), (r"occupational therapist", "occupational therapist"),
    (r"key ?worker", "key worker"), (r"police officer", "police officer"),
    (r"foster (?:carer|mum|dad|parent)", "foster carer"), (r"carer", "carer"),
    (r"advocate", "advocate"), (r"(?:class |head ?)?teacher", "teacher"), (r"GP", "GP"),
    (r"interpreter", "interpreter"), (r"step ?(?:mum|mother)", "stepmother"),
    (r"step ?(?:dad|father)", "stepfather"), (r"mum|mam|mom|mummy|mother", "mother"),
    (r"dad|daddy|father", "father"), (r"uncle", "uncle"),
    (r"nan|nana|nanna|gran|granny|grandma|grandmother", "grandmother"),
    (r"grandad|granddad|grandpa|grandfather", "grandfather"),
    (r"aunt|auntie|aunty", "aunt"), (r"sister", "sister"), (r"brother", "brother"),
    (r"SENCO|SENDCo|SENCo", "SENCO"), (r"midwife", "midwife"), (r"head ?teacher", "head teacher"),
    # advisers known by their initials: independent domestic / sexual violence adviser
    (r"housing options(?: officer| adviser| advisor)?", "housing officer"),
    (r"IDVA", "IDVA"), (r"ISVA", "ISVA"), (r"CPN", "community psychiatric nurse"),
    (r"AMHP", "AMHP"), (r"IMCA", "IMCA"), (r"IRO", "independent reviewing officer"),
)
_ORGS: tuple[tuple[str, str], ...] = (
    (r"(?:the\s+)?(?:council['’]?s?\s+)?housing(?:\s+(?:team|department|office|association))?",
     "housing officer"),
    (r"(?:the\s+)?(?:(?:children|adults?)['’]?s?\s+(?:services|social\s+care)|"
     r"(?:adult\s+)?social\s+(?:services|care|work))", "social worker"),
    (r"(?:the\s+)?family\s+support(?:\s+(?:team|service))?", "family support worker"),
    (r"(?:the\s+)?health\s+visiting(?:\s+team)?", "health visitor"),
    (r"(?:the\s+)?police", "police officer"),
    (r"tenanc(?:y|ies)", "housing officer"),
)
_ROLE = rf"(?P<role>(?i:{'|'.join(p for p, _ in _ROLES)}))(?![\w'’-])"
# The last word of a job title: "tenancy sustainment officer", "money adviser". A name
# followed by ", <a few words ending in one of these>" introduces a professional.
_HEADS = ("officer|worker|visitor|nurse|adviser|advisor|manager|coordinator|co-ordinator|"
          "therapist|practitioner|assistant|student|teacher|carer|advocate|lead|consultant|"
          "doctor|paramedic|midwife|counsellor|mentor|navigator|specialist|assessor|"
          "caseworker|solicitor|interpreter|librarian|chaplain|volunteer|director|partner|"
          "psychiatrist|psychologist|physiotherapist|pharmacist|dietitian|guardian|warden")
# "Douglas, his son": a relation named right after the name introduces them too.
_KIN = (r"(?P<kin>(?i:son|daughter|wife|husband|partner|brother|sister|mum|dad|mother|father|"
        r"nan|gran|grandma|grandad|grandson|granddaughter|nephew|niece|aunt|auntie|uncle|"
        r"cousin|friend|neighbour|carer))(?![\w'’-])")
_PHRASE = (rf"(?P<phrase>(?i:(?:(?!i['’]m\b|i\b|am\b|we['’]re\b|who['’]s\b|who\b)[a-z][a-z'’-]*\s+){{0,3}}"
           rf"(?:{_HEADS})))(?i:s)?(?![\w'’-])"
           # a whole noun phrase, not "Ade, could the carers prompt ...": it ends the clause
           r"(?=\s*(?:[.,;!]|$)|\s+(?:with|from|at|for|in|on|here|based|who)\b)")
_ORG = rf"(?P<org>(?i:{'|'.join(p for p, _ in _ORGS)}))(?![\w'’-])"
_TEAM = (r"(?P<team>(?:[\w'’-]+\s+){1,3}?(?i:team|service|services|unit|department|"
         r"partnership|project|hub))(?![\w'’-])")
_DET = rf"(?:(?i:the|your|a|an|his|her|their)|{_WORD}['’]s)\s+"
_MOD = r"(?:[a-z]+(?:['’]s)?\s+)??"     # lazy, so "family support worker" is not cut to "support worker"
_I_AM = r"\b(?i:i['’]m|i\s+am)\s+"

_INTROS = (
    # not "I'm Daniels care coordinator", recognition's "I'm Daniel's care coordinator"
    re.compile(rf"\b(?i:i['’]m|i\s+am|my\s+name\s+is|my\s+name['’]s|call\s+me)\s+{_NAME}"
               rf"(?!(?<=s)\s+(?:[a-z]+\s+){{0,2}}(?i:{_HEADS}|{'|'.join(p for p, _ in _ROLES)})\b)"),
    # "It's Sam from housing", on the phone "It's Niall, the discharge coordinator on Elm Ward"
    re.compile(rf"\b(?i:it['’]s)\s+{_NAME}(?=,?\s+from\s|,\s+(?:(?i:the|a|an|your|one\s+of\s+the)"
               rf"\s+){_PHRASE.replace('?P<phrase>', '')})"),
    # "And it's Dev, I look after Dennis's tenancy": a name, then what they do
    re.compile(rf"(?:^|(?<=[.!?])(?<!\bDr\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bMrs\.)\s+)\W*(?:(?i:and|hi|hello|hiya|morning)\W+)?(?i:it['’]s)\s+"
               rf"{_NAME}(?=,\s+(?:I['’]m|I\s+am|I\s+work|I\s+look\s+after|I\s+manage|I\s+run|"
               rf"I\s+coordinate|I['’]ve\s+been\s+working)\b)"),
    # A bare "This is Jayden." usually presents someone else, so it needs a "from"/"here".
    # Later in a line, "Sit yourself down. This is Alan from next door." presents another.
    re.compile(rf"^\W*(?:(?i:hi|hello|hiya|hey|morning|afternoon|oh|yes|yeah)\W+)*(?i:this\s+is)\s+"
               rf"{_NAME}(?=,?\s+(?:from|at)\s|\s+(?:here|speaking)\b)"),
    re.compile(rf"^\W*(?:(?i:hi|hello|hiya|hey|morning)\W+)?{_NAME}\s+(?i:here|speaking)\b"
               r"(?=\s*(?:[.!?;]|$)|,?\s+(?:from|at)\s)"),
    # A round of introductions: "Callum. I'm Marcus's dad.", "Hi everyone, Ade Mensah. I
    # coordinate ...", "Bernie Walsh, tenancy sustainment officer with Eastgate Housing".
    re.compile(rf"(?:^|(?<=[.!?])(?<!\bDr\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bMrs\.)\s+)\W*(?:(?i:hi|hello|hiya|hey|morning)\W+"
               rf"(?i:everyone|all|both|there|all of you)\W+)?{_NAME}"
               # "I'm" says who they are ("I'm Marcus's dad", "I'm the"), not how they are
               # ("Massive. I'm nineteen weeks now.", "Rubbish. I'm sick every morning.")
               rf"(?=\.\s+(?:(?i:i['’]m|i\s+am)\s+(?:(?i:the|a|an|his|her|their|your|from|"
               rf"with|one\s+of)\s|{_WORD}['’]s\s)|(?i:i\s+work|i\s+coordinate|i\s+manage|"
               rf"i\s+run)\b))"),
    # A name and a job title or a relation is an introduction wherever a clause begins
    # (recognition writes "I am thanks, Bernie Walsh, Tenancy Sustainment Officer with ...").
    re.compile(rf"(?:^|(?<=[.!?,])(?<!\bDr\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bMrs\.)\s+)\W*{_NAME}"
               rf"(?=,\s+(?:(?i:the|a|an|your|one\s+of\s+the)\s+)?{_PHRASE}"
               rf"|,\s+(?:(?i:his|her|their)|{_WORD}['’]s)\s+{_KIN.replace('?P<kin>', '')}"
               # "Euan, from the Larchfield community team, I'm your care coordinator."
               rf"|,\s+(?i:from|with)\s+(?:(?i:the)\s+)?(?:{_ORG}|{_TEAM}))"),
)
_ROLES_OF = rf"(?P<role>(?i:{'|'.join(p for p, _ in _ROLES)}))(?i:s)?(?![\w'’-])"
_SELF_ROLES = (
    re.compile(rf"{_I_AM}(?:(?i:also|just|actually)\s+)?{_DET}{_MOD}{_ROLE}"),
    # "I'm one of the health visitors from the Beech Road team"
    re.compile(rf"{_I_AM}(?i:one\s+of\s+(?:the|our|your|their)\s+){_MOD}{_ROLES_OF}"),
    # "And it's Tom Reid, from the family support team" (whatever became of the name)
    re.compile(rf"(?:^|(?<=[.!?])(?<!\bDr\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bMrs\.)\s+)\W*(?:(?i:and|hi|hello|hiya)\W+)?(?i:it['’]?s)\s+"
               rf"(?!(?i:a|an|the|that|this|my|your|his|her|their|just|only|not|all)\b)"
               rf"(?:[\w'’-]+\s+){{0,2}}[\w'’-]+,?\s+(?i:from|with)\s+{_ORG}"),
    re.compile(rf"{_I_AM}(?i:from|with)\s+{_ORG}"),
    re.compile(rf"\b(?i:i\s+(?:look\s+after|manage|deal\s+with|handle))\s+(?:[\w'’]+\s+)?"
               rf"(?P<org>(?i:tenanc(?:y|ies)))\b"),
    re.compile(rf"\b(?i:i\s+work)\s+(?i:for|in|with|at)\s+{_ORG}"),
    re.compile(rf"\b(?i:i\s+work\s+as)\s+(?:(?i:the|a|an)\s+)?{_MOD}{_ROLE}"),
    # "I'm your care coordinator", "I'm the main carer": a job title said of oneself
    re.compile(rf"{_I_AM}(?:(?i:also|just|actually)\s+)?(?:(?i:the|your|a|an|his|her|their)|"
               rf"{_WORD}['’]?s)\s+{_PHRASE}"),   # recognition often drops the apostrophe
    # "as your personal adviser I've got to do your pathway plan review"
    re.compile(rf"\b(?i:as)\s+(?i:your|the)\s+(?P<phrase>(?i:(?:[a-z][a-z'’-]*\s+){{0,2}}(?:{_HEADS})))"
               r"(?=,?\s+(?i:I|I['’]ve|I['’]m|I\s+have|we)\b)"),
    # a team not in the table, as said: "I'm from the youth justice service"
    re.compile(rf"{_I_AM}(?i:from|with)\s+(?i:the\s+)?{_TEAM}"),
    re.compile(rf"(?:^|(?<=[.!?])(?<!\bDr\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bMrs\.)\s+)\W*(?:(?i:and|hi|hello|hiya)\W+)?(?i:it['’]?s)\s+"
               rf"(?!(?i:a|an|the|that|this|my|your|his|her|their|just|only|not|all)\b)"
               rf"(?:[\w'’-]+\s+){{0,2}}[\w'’-]+,?\s+(?i:from|with)\s+(?i:the\s+)?{_TEAM}"),
)
_APPOSITIONS = (   # what may follow a self-introduced name: "I'm Sarah, the social worker"
    re.compile(rf",?\s+(?i:from|at)\s+{_ORG}"),
    re.compile(rf",\s+(?:(?i:and)\s+)?(?:{_DET}{_MOD})?{_ROLE}"),
    re.compile(rf",\s+(?:(?i:the|a|an|your|one\s+of\s+the|one\s+of\s+your)\s+)?{_PHRASE}"),
    # "I'm Ross Milne. Homelessness prevention officer at Montgomery Council."
    re.compile(rf"\.\s+(?:(?i:the|a|an|your|one\s+of\s+the)\s+)?{_PHRASE}(?=\s+(?i:at|with|for|from)\s)"),
    re.compile(rf",\s+(?:(?i:his|her|their)|{_WORD}['’]s)\s+{_KIN}"),
    re.compile(rf",\s+(?:{_WORD}\s+(?i:and)\s+)?{_WORD}['’]s\s+{_MOD}{_ROLE}"),
    # "I'm Prisha Ali Social Worker from ...": as recognition writes it, with no comma
    re.compile(rf"\s+{_ROLE}(?=\s+(?i:from|at|with|for)\b|\s*[.,;]|\s*$)"),
    re.compile(rf",?\s+(?i:from|at|with)\s+(?i:the\s+)?{_TEAM}"),
)
# A title from the table a few words after the name, in the same sentence.
# Professionals only: "I'm Sam, and my mum is coming later" says nothing of Sam's role.
_KIN_ROLES = frozenset({"mother", "father", "uncle", "grandmother", "grandfather", "aunt",
                        "sister", "brother", "stepmother", "stepfather", "carer"})
_PRO_ROLE = (r"(?P<role>(?i:" + "|".join(p for p, role in _ROLES if role not in _KIN_ROLES)
             + r"))(?![\w'’-])")
_NEAR_ROLE = re.compile(rf"[^.!?]{{0,30}}?(?<![\w'’-])(?<!(?i:my|ur|is|er|ir) )(?<!(?i:our) )"
                        rf"{_PRO_ROLE}")
# "I coordinate Frank's visits for ...": the verb of the job.
_DOING = re.compile(r"\b(?i:i)\s+(?P<verb>coordinate|co-ordinate|manage|supervise|run)\b")
_DOERS = {"coordinate": "coordinator", "co-ordinate": "coordinator", "manage": "manager",
          "supervise": "supervisor", "run": "manager"}
_REPORTED = re.compile(r"\b(?:said|says|saying|told\s+\w+|tells\s+\w+|asked|goes)\W*$", re.I)

_STRONG = (r"hi|hiya|hello|hey|alright|morning|afternoon|evening|good\s+(?:morning|afternoon|evening)|"
           r"thanks|thank\s+you|cheers|bye|goodbye|see\s+you|welcome|come\s+(?:on\s+)?in|"
           r"sit\s+down|take\s+care|(?:nice|lovely|pleased|good|great)\s+to\s+(?:meet|see)\s+you")
_WEAK = r"so|well|oh|ah|and|now|yes|yeah|no|right|ok|okay|sorry"
_OPENER = re.compile(rf"^\W*(?:(?P<g>(?i:{_STRONG}|{_WEAK}))\W+?)?{_NAME}(?P<tail>\s*[,!?.]|\s*$)")
_CLOSER = re.compile(rf"(?:(?P<before>[\w'’]+)?,\s*|\b(?P<g>(?i:{_STRONG}))\s+){_NAME}\s*[.!?]*$")
_INSIDE = re.compile(rf"(?P<before>[\w'’]+),\s+{_NAME},\s+(?i:and|but|so|I|we|if|can|could|"
                     r"would|will|do|did|are|is|just|please)\b")
_THANKS = re.compile(rf"(?:^|(?<=[.!?])(?<!\bDr\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bMrs\.)\s+)\W*(?i:thanks|thank\s+you|cheers|ta)\W+{_NAME}\s*[.!]*"
                     r"(?=\s*$|\s+[A-Z])")
_ROOM = re.compile(r"\b(?:hi|hiya|hello|hey|morning|afternoon)\W+(?:everyone|everybody|all|"
                   r"both|guys|folks|all\s+of\s+you)\b", re.I)
_GUESSED = re.compile(rf"\b(?i:you\s+must\s+be|are\s+you|you['’]re|you\s+are|is\s+that|is\s+this)"
                     rf"\s+{_NAME}\s*(?:[.?!]+(?=\s|$)|$)")
# "And this is Sam, a student nurse": someone presents another, who answers next.
_WHOSE = (rf"(?:(?i:my|our)\s+(?:(?i:big|little|older|younger|baby)\s+)?"
          rf"(?P<pre>(?i:colleague|student|manager|interpreter|partner)|"
          rf"{_KIN.replace('?P<kin>', '')}),?\s+|(?i:our)\s+)")
_PRESENTS = re.compile(rf"\b(?i:this\s+is|here['’]s)\s+{_WHOSE}?{_NAME}"
                       r"(?!,?\s+(?:from|at|here|speaking)\b)")
# "That's my brother Kieran, he's been stopping here": someone there, but not always the
# next voice, so it says who was present and names no label.
_POINTED = re.compile(rf"\b(?i:that['’]s|that\s+is)\s+{_WHOSE}{_NAME}"
                      r"(?!,?\s+(?:from|at|here|speaking)\b)")
_PRESENTED_ROLE = re.compile(
    rf"^[\s,.;:-]*(?:(?i:who['’]s|who\s+is)\s+)?"   # "Martin, who's Lily-Mae's health visitor"
    rf"(?:(?:(?i:a|an|the|our|my|one\s+of\s+(?:our|the|my))\s+)?{_PHRASE}"
    rf"|(?:(?i:a|an|the|our|my|his|her)\s+)?{_MOD}{_ROLE}(?=\s*(?:[.,;!]|$)|\s+(?i:who|from|with)\b))")
# "I'll leave you to it." / "See you in a bit, Dean.": a farewell to the one who is going.
_LEAVING = re.compile(r"\b(?:I'll\s+leave\s+you|I'm\s+off\b|I\s+(?:need|have|got)\s+to\s+"
                      r"(?:go|nip|head|dash|run|get\s+going)\b|I'd\s+better\s+(?:go|get|head)\b|"
                      r"I'll\s+(?:let\s+you\s+get\s+on|get\s+out\s+of\s+your\s+way|be\s+off)|"
                      r"I'm\s+(?:going\s+to\s+|gonna\s+)?(?:head|nip|pop)\s+(?:off|out))", re.I)
_FAREWELL = re.compile(r"\b(?:bye|goodbye|see\s+you|take\s+care|cheerio|night)\b", re.I)
_GREETING_START = re.compile(rf"^\W*(?i:{_STRONG})\b")
_TO_YOU = re.compile(r"\byou(?:r|rself)?\b|\?\s*$", re.I)
_IMPERATIVES = frozenset("come sit say tell look go stop put have take give let wait listen hang "
                         "hold get pop grab help show try".split())
_PERSON_NOUNS = frozenset("sister brother son daughter friend partner husband wife boyfriend "
                          "girlfriend neighbour cousin nephew niece baby child kid".split())
_SENTENCES = re.compile(r"(?<!\bMr\.)(?<!\bMrs\.)(?<!\bMs\.)(?<!\bDr\.)(?<=[.!?])\s+")


def _is_common(word: str) -> bool:
    low = word.lower()
    return low in _COMMON or (len(low) >= 6 and low.endswith(_COMMON_ENDINGS + ("ing",)))


def _clean(raw: str) -> str:
    """The name as spoken, without punctuation, possessive or trailing common words; "" if none."""
    words = re.sub(r"['’]s$", "", raw.strip().strip(",.!?;:")).split()
    titled = bool(words) and words[0].rstrip(".").lower() in _TITLES
    kept = words[:1] if titled else []
    for word in words[len(kept):]:
        if _is_common(word):
            break
        kept.append(word)
    return " ".join(kept) if len(kept) > int(titled) else ""


def _same_person(a: str, b: str) -> bool:
    wa, wb = ([w.rstrip(".").lower() for w in name.split()] for name in (a, b))
    if wa[0] in _TITLES or wb[0] in _TITLES:
        return wa[-1] == wb[-1]
    return wa[0] == wb[0]


def _reported(text: str, start: int) -> bool:
    return bool(_REPORTED.search(text[max(0, start - 30):start]))


_WHO_IS = frozenset({"who's", "who’s", "who", "is", "he's", "she's", "he’s", "she’s", "the", "a",
                     "an", "our", "my", "your"})


def _canonical(match: re.Match[str]) -> str:
    groups = match.groupdict()
    if groups.get("phrase"):   # the title as said, singular, without "who's Mia's"
        words = groups["phrase"].split()
        while len(words) > 1 and (words[0].lower() in _WHO_IS or (
                words[0][0].isupper() and re.search(r"['’]s$", words[0]))):
            words.pop(0)
        return " ".join(words).lower()
    if groups.get("kin"):
        kin = groups["kin"].lower()
        return next((role for pattern, role in _ROLES if re.fullmatch(pattern, kin, re.I)), kin)
    if groups.get("team"):
        return " ".join(groups["team"].split())   # "youth justice service", as said
    said, table = (groups["role"], _ROLES) if groups.get("role") else (groups["org"], _ORGS)
    return next(role for pattern, role in table if re.fullmatch(pattern, said, re.I))


def _introductions(text: str) -> list[tuple[str, int]]:
    """(name, end of the introduction) for each way the speaker says who they are."""
    found: list[tuple[int, str, int]] = []
    for pattern in _INTROS:
        for m in pattern.finditer(text):
            name = _clean(m.group("name"))
            if name and not _reported(text, m.start()):
                found.append((m.start(), name, m.end()))
    return [(name, end) for _, name, end in sorted(found)]


def introduces(sentence: str) -> bool:
    """Whether the speaker says who they are in the sentence ("I'm Idris, I'm an IDVA, an
    independent domestic violence adviser"): a title is not a disclosure."""
    return bool(_introductions(sentence)) or any(p.search(sentence) for p in _SELF_ROLES)


def _own_role(text: str, intro_ends: Iterable[int]) -> str:
    """The role the speaker gives themselves: a title ("your care coordinator") before the
    team they come from ("from the Larchfield community team")."""
    found: list[re.Match[str]] = []
    intro_ends = list(intro_ends)
    for end in intro_ends:
        found += [m for pattern in _APPOSITIONS if (m := pattern.match(text, end))]
    for pattern in _SELF_ROLES:
        found += [m for m in pattern.finditer(text) if not _reported(text, m.start())]
    titles = [m for m in found if not m.groupdict().get("team")]
    if not titles:   # "I'm Gregor, in the children's social worker": as recognition wrote it
        titles = [m for end in intro_ends if (m := _NEAR_ROLE.match(text, end))]
    if titles:
        return _canonical(titles[0])
    if m := _DOING.search(text):
        return _DOERS[m.group("verb").lower()]
    return _canonical(found[0]) if found else ""


def _speaks_to(sentence: str, after: int) -> bool:
    """Whether the sentence is put to someone: "you", a question, or an imperative."""
    rest = sentence[after:].split()
    return bool(_TO_YOU.search(sentence)) or (bool(rest) and rest[0].lower() in _IMPERATIVES)


def _thanked(text: str) -> list[str]:
    """Names the line thanks ("Two's fine. Thanks, Euan."): a reply to the one who spoke."""
    return [name for name in map(_clean, (m.group("name") for m in _THANKS.finditer(text)))
            if name]


def _addressed(text: str) -> list[str]:
    """Names the line opens or closes by calling someone."""
    if _ROOM.search(text):
        return []    # "Hiya Lorna, hiya everyone.": greeting the room, not the next voice
    sentences = _SENTENCES.split(text.strip())
    found: list[str] = []
    first, last = sentences[0], sentences[-1]
    if m := _OPENER.match(first):
        greeted = m.group("g") is not None and re.fullmatch(_STRONG, m.group("g"), re.I)
        # A lone "Tea?" is an offer, not a call: a bare name needs words after it, or "!".
        said_more = m.group("g") is not None or bool(first[m.end():].strip())
        if greeted or "!" in m.group("tail") or (said_more and _speaks_to(first, m.end())):
            found.append(m.group("name"))
    for m in _GUESSED.finditer(text):   # "And you must be Jamal?"
        found.append(m.group("name"))
    for later in sentences[1:]:   # "Of course. Hiya, Kirsty. I'm Owen ..."
        m = _OPENER.match(later)
        if m and m.group("g") is not None and re.fullmatch(_STRONG, m.group("g"), re.I):
            found.append(m.group("name"))
        # "Come in. Reece, get your feet off the sofa.": a name, a comma, words put to them
        elif (m and m.group("g") is None and m.group("tail").strip() == ","
              and _speaks_to(later, m.end())):
            found.append(m.group("name"))
    for sentence in sentences:
        # "I've got you on the video, Elena, and ...": called by name inside a sentence
        for m in _INSIDE.finditer(sentence):
            if _TO_YOU.search(sentence[:m.start()]) and not _apposition(m.group("before")):
                found.append(m.group("name"))
    if (m := _CLOSER.search(last)) and not _apposition(m.group("before")):
        if m.group("g") or _GREETING_START.match(last) or _speaks_to(last, 0):
            found.append(m.group("name"))
    names = [name for name in map(_clean, found) if name]
    return list(dict.fromkeys(names))


def _apposition(before: str | None) -> bool:
    """"my sister, Michelle": a comma after a person noun introduces, it does not call."""
    word = (before or "").lower()
    return word in _PERSON_NOUNS or bool(re.fullmatch(_ROLE, word))


def _next_other(segments: Sequence[Segment], i: int) -> str | None:
    for seg in segments[i + 1:i + 3]:
        if seg.speaker != segments[i].speaker:
            return seg.speaker
    return None


def _answers(segments: Sequence[Segment], i: int, target: str) -> bool:
    """Whether ``target``'s next line is a short reply ("Bye!", "See you, thanks")."""
    reply = next((seg for seg in segments[i + 1:i + 3] if seg.speaker == target), None)
    return reply is not None and len(reply.text.split()) <= 4


def _gather(segments: Sequence[Segment]) -> tuple[list[_Claim], list[_Claim], list[_Claim]]:
    intros: list[_Claim] = []
    addresses: list[_Claim] = []
    roles: list[_Claim] = []
    for i, seg in enumerate(segments):
        own = _introductions(seg.text)
        intros += [_Claim(seg.speaker, name, seg.segment_id, i, _SELF) for name, _ in own]
        if role := _own_role(seg.text, (end for _, end in own)):
            roles.append(_Claim(seg.speaker, role, seg.segment_id, i, _SELF))
        target = _next_other(segments, i)
        if _FAREWELL.search(seg.text):
            # "See you in a bit, Dean." to someone leaving: the one who said they were going;
            # else the next voice only if it answers ("Bye!")
            target = _leaver(segments, i) or (
                target if target is not None and _answers(segments, i, target) else None)
        if target is None:
            continue
        presented = [(name, role) for name, role in _presented(segments, i)
                     if not any(_same_person(name, mine) for mine, _ in own)]
        thanked = _thanked(seg.text)
        replied = _previous_other(segments, i)
        # "Hiya, Kirsty. And this is Sam.": the next voice is Sam's, not Kirsty's
        for name in [] if presented else _addressed(seg.text):
            if any(_same_person(name, mine) for mine, _ in own):
                continue
            to = replied if replied is not None and name in thanked else target
            addresses.append(_Claim(to, name, seg.segment_id, i, _ADDRESS))
        answer = next((s for s in segments[i + 1:i + 3] if s.speaker == target), None)
        theirs = [n for n, _ in _introductions(answer.text)] if answer is not None else []
        # "This is my sister, Abena." / "Hello, Abena. I'm Neil, ...": Neil is not Abena
        presented = [(n, r) for n, r in presented
                     if not theirs or any(_same_person(n, t) for t in theirs)]
        for name, role in presented:
            if target != seg.speaker:
                addresses.append(_Claim(target, name, seg.segment_id, i, _ADDRESS))
                if role:
                    roles.append(_Claim(target, role, seg.segment_id, i, _ADDRESS))
    return intros, addresses, roles


def _previous_other(segments: Sequence[Segment], i: int) -> str | None:
    for seg in reversed(segments[max(0, i - 2):i]):
        if seg.speaker != segments[i].speaker:
            return seg.speaker
    return None


def _leaver(segments: Sequence[Segment], i: int) -> str | None:
    """The label of the line before, when it announced they were going."""
    for seg in reversed(segments[max(0, i - 2):i]):
        if seg.speaker != segments[i].speaker:
            return seg.speaker if _LEAVING.search(seg.text) else None
    return None


def _presented(segments: Sequence[Segment], i: int,
               pattern: re.Pattern[str] = _PRESENTS) -> list[tuple[str, str]]:
    """(name, role) of each person the line presents ("and this is Sam, a student nurse"),
    the role read from what follows the name, in this line or the speaker's next one."""
    seg = segments[i]
    after = segments[i + 1].text if (i + 1 < len(segments)
                                     and segments[i + 1].speaker == seg.speaker) else ""
    found: list[tuple[str, str]] = []
    for m in pattern.finditer(seg.text):
        name = _clean(m.group("name"))
        if not name or _reported(seg.text, m.start()):
            continue
        rest = seg.text[m.end():]
        said = _PRESENTED_ROLE.match(rest) or (None if rest.strip(" ,.") else
                                               _PRESENTED_ROLE.match(after))
        # "that's my brother Kieran": the relation said before the name
        role = _canonical(said) if said else _kin_role(m.group("pre") or "")
        found.append((name, role))
    return found


def _kin_role(word: str) -> str:
    """A relation or colleague word as its role ("brother", "mother", "colleague")."""
    low = word.lower()
    if not low:
        return ""
    return next((role for pattern, role in _ROLES if re.fullmatch(pattern, low, re.I)), low)


def _by_label(claims: Iterable[_Claim]) -> dict[str, list[_Claim]]:
    grouped: defaultdict[str, list[_Claim]] = defaultdict(list)
    for claim in claims:
        grouped[claim.speaker].append(claim)
    return grouped


def _agreeing(claims: list[_Claim]) -> _Claim | None:
    """The fullest of names that all name one person; None when they disagree."""
    if any(not _same_person(a.value, b.value) for a in claims for b in claims):
        return None
    return min(claims, key=lambda c: (-len(c.value.split()), c.index))


def _unique(claims: Iterable[_Claim]) -> list[_Claim]:
    """Each name for one label only: the strongest claim, then the earliest, keeps it."""
    kept: list[_Claim] = []
    for claim in sorted(claims, key=lambda c: (-c.strength, c.index)):
        if not any(_same_person(claim.value, k.value) for k in kept):
            kept.append(claim)
    return kept


def _resolve_names(intros: list[_Claim], addresses: list[_Claim],
                   confirmed: Mapping[str, Person]) -> tuple[dict[str, _Claim], set[str]]:
    """Winning name claims by label, and the labels that introduced two people."""
    # "I'm Daniels Careco-ordinator": recognition's "I'm Daniel's care coordinator", when
    # Daniel is a name the meeting uses, is no second name for the speaker
    said = {c.value for c in (*intros, *addresses)}
    intros = [c for c in intros if not (c.value.endswith("s") and " " not in c.value
                                        and c.value[:-1] in said)]
    best = {label: _agreeing(claims) for label, claims in _by_label(intros).items()}
    merged = {label for label, claim in best.items() if claim is None}
    winners = [claim for claim in best.values() if claim is not None]
    held = [_Claim(label, p.name, "", -1, _CONFIRMED) for label, p in confirmed.items() if p.name]
    kept = _unique(held + winners)
    taken = {c.speaker for c in intros} | set(confirmed)
    open_ = [a for a in addresses if a.speaker not in taken
             and not any(_same_person(a.value, k.value) for k in kept)]
    return {c.speaker: c for c in kept + _voted(open_)}, merged


def _voted(addresses: list[_Claim]) -> list[_Claim]:
    """Who answers to a name: each time it is called, the next voice gets a vote; the
    label with most votes (then the earliest) takes it, one name per label."""
    votes: dict[tuple[str, str], list[_Claim]] = defaultdict(list)
    for claim in addresses:
        first = claim.value.split()[0].lower()
        votes[(first, claim.speaker)].append(claim)
    per_label: dict[str, list[int]] = defaultdict(list)
    for (_, label), claims in votes.items():
        per_label[label].append(len(claims))
    # a label called two names equally often may be two people: it is named by neither
    tied = {label for label, counts in per_label.items()
            if len(counts) > 1 and sorted(counts)[-1] == sorted(counts)[-2]}
    ranked = sorted((claims for (_, label), claims in votes.items() if label not in tied),
                    key=lambda claims: (-len(claims), claims[0].index))
    chosen: list[_Claim] = []
    for claims in ranked:
        best = min(claims, key=lambda c: (-len(c.value.split()), c.index))
        if all(c.speaker != best.speaker and not _same_person(c.value, best.value)
               for c in chosen):
            chosen.append(best)
    return chosen


def _roles(roles: list[_Claim], names: Mapping[str, _Claim]) -> dict[str, list[_Claim]]:
    """Each label's role: said of oneself before said by others; where a label's roles
    disagree (diarisation may have merged two people), the one said with its name, if any."""
    out: dict[str, list[_Claim]] = {}
    for label, claims in _by_label(roles).items():
        strongest = max(c.strength for c in claims)
        claims = [c for c in claims if c.strength == strongest]
        if len({c.value for c in claims}) > 1:
            name = names.get(label)
            claims = [c for c in claims if name is not None and c.segment_id == name.segment_id]
        if claims and len({c.value for c in claims}) == 1:
            out[label] = claims
    return out


def suggest_names(segments: Sequence[Segment],
                  confirmed: Mapping[str, Person] | None = None) -> dict[str, NameSuggestion]:
    """Suggestions by speaker label, from self-introductions and forms of address."""
    confirmed = confirmed or {}
    intros, addresses, roles = _gather(segments)
    names, merged = _resolve_names(intros, addresses, confirmed)
    own_roles = _roles(roles, names)
    out: dict[str, NameSuggestion] = {}
    for label in dict.fromkeys(seg.speaker for seg in segments):
        if not label or label in confirmed or label in merged:   # "": no diarisation label
            continue
        role = own_roles.get(label, [])
        if (name := names.get(label)) is not None:
            out[label] = NameSuggestion(label, name.value, role[0].value if role else "",
                                        name.segment_id)
        elif role:
            out[label] = NameSuggestion(label, "", role[0].value, role[0].segment_id)
    return out


def present_people(segments: Sequence[Segment],
                   named: Mapping[str, Person]) -> list[Person]:
    """People the talk shows were there whose voice no label carries, in order of mention.

    Someone who introduced themselves, was presented ("that's my brother Kieran") or was
    called by name ("Thanks, Mo.") was in the meeting, even where diarisation cannot say
    which voice was theirs (it merged two people, or the name was said to nobody in
    particular). They are listed as present, with the role they gave or were given; the
    names the labels already carry are not repeated.
    """
    known = [p.name for p in named.values() if p.name]
    found: list[tuple[str, str, int]] = []     # (name, role, strength), in order of mention

    def add(name: str, role: str, strength: int) -> None:
        if not name or any(_same_person(name, k) for k in known):
            return
        at = next((i for i, (had, _, _) in enumerate(found) if _same_person(name, had)), None)
        if at is None:
            found.append((name, role, strength))
            return
        had, had_role, had_strength = found[at]
        fuller = name if len(name.split()) > len(had.split()) else had
        better = role and (not had_role or strength > had_strength)
        found[at] = (fuller, role if better else had_role, max(strength, had_strength))

    for i, seg in enumerate(segments):
        own = _introductions(seg.text)
        for name, end in own:
            # a line introducing two people (diarisation merged them) gives no roles
            add(name, _own_role(seg.text, [end]) if len(own) == 1 else "", _SELF)
        for name, role in [*_presented(segments, i), *_presented(segments, i, _POINTED)]:
            if not any(_same_person(name, mine) for mine, _ in own):
                add(name, role, _ADDRESS)
        for name in [*_addressed(seg.text), *_thanked(seg.text)]:
            if not any(_same_person(name, mine) for mine, _ in own):
                add(name, "", _ADDRESS)
    return [Person(name, role) for name, role, _ in found]

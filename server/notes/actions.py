"""Actions and next steps said in a transcript line, found by rules: no model, well under 1 ms.

The 0.5B drafter leaves owner and due null even when the line says "I'll ring the school on
Monday", and the note must never assert what nobody said, so owners and dates are read off
the words: who commits (the speaker of "I'll" / "we'll" / "let's", whoever is named in "Mum
will", the replier who says yes to "could you ...?"), the verb phrase as said, and the date
words of that clause (``resolve_date``). Polite formulas ("I'll be honest"), hypotheticals,
negations, the past and questions are not commitments. Two verb phrases under one "I'll"
give two commitments; a date stays with its own phrase, except that "..., and I'll do that
by Friday" dates the one before.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from server.engines.sentences import split_sentences
from server.notes.dates import MONTHS, WEEKDAYS, resolve_date
from server.notes.schema import Person, Segment


@dataclass(frozen=True)
class Commitment:
    segment_id: str
    kind: str             # "action" or "next_step"
    text: str             # "Sarah to ring the school on Monday morning."
    owner: str | None     # a name, else the speaker label; None only for unowned next steps
    due: dt.date | None
    due_words: str | None  # the words the date came from: "on Monday morning"


@dataclass(frozen=True)
class _Phrase:
    subject: str          # how the text names the owner: "Sam from housing"
    owner: str            # the owner field: "Sam"
    words: str            # the verb phrase as said
    voice: str            # "I", "can", "going", "we", "they" (someone named), "asked" (accepted)
    start: int            # where the trigger starts in its sentence
    end: int              # where the phrase ends


# --- dates -----------------------------------------------------------------------------------

_ORDINAL_NAMES = ("first second third fourth fifth sixth seventh eighth ninth tenth eleventh "
                  "twelfth thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth "
                  "nineteenth twentieth").split()
_ORDINAL_VALUES = {f"{tens} {name}".strip(): base + i
                   for tens, base in (("", 0), ("twenty", 20), ("thirty", 30))
                   for i, name in enumerate(_ORDINAL_NAMES, start=1)} | {"thirtieth": 30}
_ORD = rf"(?:(?:twenty|thirty)[- ])?(?:{'|'.join(_ORDINAL_NAMES)})|thirtieth"
_DAY = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?|(?:{_ORD}))"
_WD = "|".join(WEEKDAYS)
_MON = "|".join(sorted(MONTHS, key=len, reverse=True))
_COUNT = (r"(?:\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
          r"(?:a\s+)?couple\s+of|(?:a\s+)?few)")
_PREP = r"(?:(?:on|by|before|until|till|for|from|this\s+coming|this|coming|next|a\s+week\s+on)\s+)?"
_TIME = (r"(?:\s+(?:morning|afternoon|evening|night|lunchtime|first\s+thing))?"
         r"(?:\s+at\s+(?:(?:\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
         r"(?:[:.]\d{2})?(?:\s*(?:am|pm|o'clock))?|noon|midday|lunchtime))?")
_DATE = re.compile(
    rf"\b(?:{_PREP}(?:the\s+)?{_DAY}\s+(?:of\s+)?(?:{_MON})(?:,?\s+\d{{4}})?"
    rf"|{_PREP}(?:{_MON})\s+(?:the\s+)?{_DAY}(?:,?\s+\d{{4}})?"
    rf"|{_PREP}\d{{4}}-\d{{1,2}}-\d{{1,2}}|{_PREP}\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?"
    rf"|{_PREP}(?:the\s+)?(?:{_WD})s?(?:\s+week)?(?:,?\s+(?:the\s+{_DAY}|\d{{1,2}}(?:st|nd|rd|th))"
    rf"(?:\s+of\s+(?:{_MON}))?)?{_TIME}"
    rf"|(?:in|within|after)\s+(?:the\s+next\s+)?{_COUNT}\s+(?:(?:working|business)\s+)?"
    rf"(?:day|week|fortnight|month)s?'?s?"
    rf"(?:\s+time)?|(?:in|within)\s+(?:a|one)\s+fortnight"
    rf"|(?:by\s+|before\s+)?(?:the\s+)?end\s+of\s+(?:the|this)\s+(?:week|month)"
    rf"|{_COUNT}\s+(?:weeks?|fortnights?)\s+(?:today|tomorrow)"
    rf"|(?:by\s+|later\s+)?(?:today|tonight|this\s+(?:morning|afternoon|evening))"
    rf"|(?:first\s+thing\s+)?tomorrow{_TIME}|(?:by\s+|in\s+|during\s+)?next\s+(?:week|month)"
    # a bare day of the month, which dates.py leaves to the month-named forms
    # ("for the first month", "on the third floor": a word after it that is no link ends it)
    rf"|(?:on|by|before|until|till|for)\s+the\s+{_DAY}(?!\s+(?:of\b|(?!(?:at|in|on|and|or|"
    rf"then|so|but|if|when|because|please|as|with|to|is|would|will|that|which)\b)[a-z]))"
    # the day said again to pin it down: "I'll come back Tuesday week. That's the 17th."
    rf"|(?:that['’]?s|that\s+is|which\s+is|that['’]ll\s+be|that\s+would\s+be)\s+the\s+{_DAY}"
    rf"(?!\s+(?:of\b|[a-z]))"
    rf")\b", re.I)
DATE_WORDS = _DATE    # spoken dates, for not cutting a quote inside one
_DATE_GAP = re.compile(r"[\s,]*(?:and\s+)?")
_BARE_DAY = re.compile(rf"\bthe\s+(?:(?P<n>\d{{1,2}})(?:st|nd|rd|th)?|(?P<w>{_ORD}))\b", re.I)


def _day_of_month(words: str, ref: dt.date) -> dt.date | None:
    """ "by the 12th": the next 12th on or after the meeting date."""
    m = _BARE_DAY.search(words)
    if m is None:
        return None
    day = int(m["n"]) if m["n"] else _ORDINAL_VALUES[re.sub(r"[\s-]+", " ", m["w"].lower())]
    for ahead in range(13):
        year, month = ref.year + (ref.month - 1 + ahead) // 12, (ref.month - 1 + ahead) % 12 + 1
        if day <= calendar.monthrange(year, month)[1] and dt.date(year, month, day) >= ref:
            return dt.date(year, month, day)
    return None


def _take_date(words: str, ref: dt.date) -> tuple[str, str | None, dt.date | None]:
    """The phrase without its date words, the date words, and the date they resolve to."""
    spans = [m.span() for m in _DATE.finditer(words)]
    i = 0
    while i < len(spans):
        start, end = spans[i]
        while i + 1 < len(spans) and _DATE_GAP.fullmatch(words, end, spans[i + 1][0]):
            i += 1
            end = spans[i][1]   # "in two weeks, on the tenth of December" is one date
        said = words[start:end]
        due = resolve_date(said, ref) or _day_of_month(said, ref)
        if due is not None:
            rest = f"{words[:start]} {words[end:]}"
            return _tidy_ends(rest), said, due
        i += 1
    return words, None, None


def date_in(words: str, ref: dt.date) -> tuple[str | None, dt.date | None]:
    """The first spoken date in ``words`` that resolves, and its day."""
    _, said, due = _take_date(words, ref)
    return said, due


def request_in(text: str) -> str | None:
    """The last thing ``text`` asks of someone ("Could you get me your last two bills by
    the 1st of December?"), as said; None when it asks nothing."""
    asked = [s for s in split_sentences(text.translate(_APOSTROPHES)) if _REQUEST.search(s)]
    return asked[-1].strip() if asked else None


# --- who commits -------------------------------------------------------------------------------

_NOT_NAME = ("It|That|This|There|Which|What|Who|He|She|They|We|You|Everything|Nothing|"
             "Something|Someone|Somebody|Anyone|Anybody|Nobody|Everyone|Everybody|Things|So|"
             "And|But|Then|Yes|Yeah|No|OK|Okay|Well|Hopefully|Maybe|Obviously|Honestly|Now|"
             "Today|Tomorrow|Tonight|Next|Also|Both|All|One|Each|These|Those|Here|Where|When|"
             "How|Why|If|Or|Mum|Dad|" + "|".join(n.title() for n in (*WEEKDAYS, *MONTHS)))
_CAP = rf"(?!(?:{_NOT_NAME})\b)[A-Z][a-z]+(?:['-][A-Z][a-z]+)?"
_NAME = (rf"(?P<name>(?:(?:Mr|Mrs|Ms|Miss|Dr)\.?\s+)?{_CAP}(?:\s+{_CAP})?)"
         r"(?:\s+from\s+(?:the\s+)?[A-Za-z]+(?:\s+[A-Za-z]+)?)?")   # "Jo from the food bank"
_ROLE = (r"(?:[A-Z][a-z]+'s\s+|(?i:(?:the|your|his|her|their|my)\s+))?(?i:mum|mam|mom|dad|nan|"
         r"nana|gran|grandma|grandad|auntie|aunt|uncle|sister|brother|partner|foster\s+carers?|"
         r"school|nursery|college|GP|doctor|surgery|health\s+visitor|school\s+nurse|midwife|"
         r"landlord|housing(?:\s+(?:team|officer|association))?|council|police|(?:head\s*)?teacher|"
         r"SENCO|(?:family\s+)?support\s+worker|key\s*worker|youth\s+worker|advocate|"
         r"(?:team\s+)?manager|welfare\s+rights(?:\s+team)?|probation(?:\s+officer)?|CAMHS)")
# "I'm putting a referral in this afternoon": a plan, where a time or a piece of work is said
_PROGRESSIVE = {"putting": "put", "sending": "send", "making": "make", "booking": "book",
                "ringing": "ring", "calling": "call", "phoning": "phone", "emailing": "email",
                "referring": "refer", "arranging": "arrange", "applying": "apply",
                "chasing": "chase", "submitting": "submit", "requesting": "request",
                "raising": "raise", "contacting": "contact", "writing": "write",
                "visiting": "visit", "organising": "organise", "organizing": "organize",
                "completing": "complete", "escalating": "escalate"}
_WORK = re.compile(r"\b(?:referral|application|request|form|letter|complaint|report|assessment|"
                   r"appointment|safeguarding|alert)s?\b", re.I)
_TRIGGER = re.compile(
    r"\b(?:(?P<i>(?i:I(?:'ll|\s+will|\s+shall|'m\s+going\s+to|\s+am\s+going\s+to|'m\s+gonna|"
    r"\s+can(?!'t|not)|(?:\s+(?:also|just|really|still))?\s+need\s+to|'d\s+like\s+to|"
    r"\s+would\s+like\s+to)|let\s+me))"
    rf"|(?P<prog>(?i:I'm|I\s+am|we're|we\s+are)\s+(?=(?i:{'|'.join(_PROGRESSIVE)})\b))"
    r"|(?P<we>(?i:we(?:'ll|\s+will|'re\s+going\s+to|\s+are\s+going\s+to|'re\s+gonna|"
    r"\s+can(?!'t|not))|let's))"
    rf"|(?P<who>{_NAME}|{_ROLE})(?i:\s+(?:will|'ll|is\s+going\s+to|'s\s+going\s+to|is\s+gonna|"
    r"'s\s+gonna|are\s+going\s+to|'re\s+going\s+to|(?:has|have)\s+agreed\s+to|needs\s+to)"
    # "Gemma's going to ring the school", "Tom'll send it"
    r"|(?:'ll|'s\s+going\s+to|'s\s+gonna)))\b")
_MODAL = re.compile(r"\b(?:will|shall|going|gonna|can|need|needs|let|agreed|like\s+to)\b|'ll\b|"
                    rf"\b(?:I'm|I\s+am|we're|we\s+are)\s+(?:{'|'.join(_PROGRESSIVE)})\b", re.I)
_CONDITIONAL = re.compile(r"\b(?:if|unless|whether|wish|hope|hoping|wonder|than|as\s+much\s+as|"
                          # a fear, not a plan: "I keep thinking I'm going to lose the flat"
                          r"thinking|worried|worry|worries|scared|afraid|"
                          r"frightened|terrified|dread|convinced|feel\s+like|felt\s+like|"
                          r"feels\s+like)(?:\s+that)?\W*$|"
                          r"(?:\w.*\bwhat|\b(?:to|you|please))\s*$", re.I)  # "you let me"
_QUESTION = re.compile(r"^\W*(?:did|do|does|have|has|had|was|were|is|are|can|could|would|should|"
                       r"shall|will|may|what|when|why|how|who|where|which)\b", re.I)
_CUT = re.compile(r"\s*(?:[;:()]|\s-\s|\s(?:but|because|cos|although|though|unless|whereas|"
                  r"otherwise|so\s+that|so|when|once|(?<!soon\s)as(?!\s+(?:well|soon|possible)\b))\b|"
                  # a new clause after a comma: "I'll ring the surgery, mornings are easier"
                  r",\s*(?:[a-z]+\s+){1,2}(?:is|are|was|were)\b|"
                  r",\s*(?:if|which|who|then|I|we|you|he|she|they|it)\b|"
                  # a recap hands the next task to someone else: ", Marcus calls the GP"
                  r",\s*(?:and\s+)?(?=[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?(?:,|\s+[a-z]+s\b))|"
                  # "..., on Tuesday Alan's taking you": another's task, perhaps dated first
                  r",\s*(?:(?:and|then|so)\s+)?(?:(?:on|by|from|next|this)\s+\w+\s+)?"
                  r"(?=[A-Z][a-z]+(?:'s|'ll|\s+(?:will|is|can|has|needs))\s+[a-z])|"
                  # "..., and by Monday I'll know": the date opens the next task
                  rf",\s*(?:and\s+)?(?:then\s+)?(?:(?:by|on|before|from|this|next)\s+)?"
                  rf"(?:{_WD}|tomorrow|today)\b[^,]*$|"
                  r"\s+and\s+(?:you|he|she|they|it|there)"   # "and you'll get a copy": not theirs
                  r"(?:'ll|'re|'s|\s+(?:will|are|is|can|should|might|may|would))\b|"
                  r"\sif\s+(?:that's|that\s+is|it's|you)\b)", re.I)


# "I can" after a noun, not at a clause's start: a relative clause ("somewhere I can go").
_INSIDE_CLAUSE = re.compile(
    r"\b(?!(?:and|so|but|then|yes|yeah|well|ok|okay|right|sure|oh|because|cos|think|maybe|"
    r"probably|course|now|today|tomorrow|also|and then|that|fine|great|definitely)\b)[a-z]+\s+$",
    re.I)


_HERE_AND_NOW = re.compile(
    r"^\s*(?:just\s+)?(?:read|see|look|have\s+a\s+look|explain|think|show|tell\s+you|ask\s+you|"
    r"start|go\s+through|recap|sum\s+up|write\s+(?:that|this)\s+down|take\s+a\s+note|get\s+"
    r"(?:this|that)\s+right|check\s+(?:that|I've|I\s+have)|make\s+sure\s+I|understand|say|"
    r"finish|be\s+clear)\b", re.I)


def _name_of(label: str, speakers: Mapping[str, Person]) -> str | None:
    person = speakers.get(label)
    return person.name if person and person.name else None


# someone else's words quoted before the trigger: their "I'll" is not the speaker's task
_QUOTING = re.compile(r"\b(?:he|she|they|[A-Z][a-z]+) (?:said|says|goes|went|keeps? saying|"
                      r"kept saying|text(?:ed|s)?|messag(?:ed|es)|wrote|put),|\b(?:sending|sent|"
                      r"sends|saying) (?:stuff|things|messages|texts) like,|\bmessages? saying,")


def _phrases(sentence: str, label: str, speakers: Mapping[str, Person],
             bounds: list[int]) -> list[_Phrase]:
    """Each commitment trigger in ``sentence`` with the words it governs."""
    if (sentence.rstrip().endswith("?") and _QUESTION.match(sentence)) \
            or not _MODAL.search(sentence):    # most lines: no commitment, cheaply
        return []
    hits = list(_TRIGGER.finditer(sentence))
    stops = sorted({*(m.start() for m in hits), *bounds, len(sentence)})
    speaker = _name_of(label, speakers)
    found: list[_Phrase] = []
    for m in hits:
        if _CONDITIONAL.search(sentence[max(0, m.start() - 40):m.start()]):
            continue
        if _QUOTING.search(sentence[:m.start()]):
            continue    # "he keeps sending stuff like, you can't keep them, I'll take them"
        if m[0].lower().endswith("can") and _INSIDE_CLAUSE.search(sentence[:m.start()]):
            continue    # "a door I can shut at night" describes the door; it is no task
        end = next(s for s in stops if s > m.start() and s >= m.end())
        words = _CUT.split(sentence[m.end():end], maxsplit=1)[0]
        span = (m.start(), m.end() + len(words))
        if m["who"]:    # "my manager" said by Sarah is "Sarah's manager"
            who = re.sub(r"^[Mm]y\b", f"{speaker}'s", m["who"]) if speaker else m["who"]
            found.append(_Phrase(who, m["name"] or who, words, "they", *span))
            continue
        if m["prog"]:
            verb, _, rest = words.partition(" ")
            if not (_WORK.search(words) or _DATE.search(words)):
                continue    # "I'm making a cup of tea" is no plan
            words = f"{_PROGRESSIVE[verb.lower()]} {rest}".strip()
        if re.search(r"like\s+to$", m[0], re.I) and not _TASK_VERB.match(words.strip()):
            continue    # "I'd like to sing again" is a wish; "I'd like to refer you" a task
        if re.fullmatch(r"let\s+me", m[0], re.I) and _HERE_AND_NOW.match(words):
            continue    # "Let me read back what we've agreed": said now, not a task
        if (m[0].lower() == "let's" or re.fullmatch(r"we\s+can", m[0], re.I)) and not (
                _WORK.search(words) or _DATE.search(words)):
            continue    # "Let's pop her on the scales", "we can talk later": no task
        voice = ("going" if re.search(r"go(?:ing|nna)", m[0])    # may be a place, not a verb
                 else "we" if m["we"] or (m["prog"] or "").lower().startswith("we")
                 else "can" if m[0].lower().endswith("can") else "I")
        found.append(_Phrase(speaker or label, speaker or label, words, voice, *span))
    return found


# --- what is committed to ---------------------------------------------------------------------

# The verbs a wish to act ("I'd like to ...") must open with to be a task.
_TASK_VERB = re.compile(r"(?:refer|ring|call|phone|email|write|send|book|arrange|apply|request|"
                        r"contact|organise|organize|set\s+up|put\s+(?:in|you|him|her|them)|"
                        r"make\s+a\s+referral|get\s+(?:a|an|the|you|him|her|them)\b|visit|"
                        r"come\s+(?:back|out|round)|speak\s+to|talk\s+to|chase|check|order)\b",
                        re.I)
# "What I'll do is rebook it", "One thing I'd like to do is refer you": the task after "is"
_DO_IS = re.compile(r"\b(?:what|one\s+thing|the\s+(?:other\s+|first\s+|next\s+)?thing|"
                    r"something)\s+(I(?:'ll|\s+will|'d\s+like\s+to|\s+would\s+like\s+to|"
                    r"'m\s+going\s+to|\s+want\s+to|\s+can))\s+do\s+is\s+", re.I)

_LEAD = re.compile(r"^(?:(?:also|just|then|definitely|certainly|actually|personally|first|still|"
                   r"do\s+is|have\s+to|be\s+able\s+to|go\s+ahead\s+and|make\s+sure\s+(?:that\s+)?"
                   r"(?:to|I(?:'ll|\s+will)?)|,)\s+)+", re.I)
_TAIL = re.compile(r"(?:,\s*(?:ok(?:ay)?|alright|all\s+right|yeah|love|please|(?-i:[A-Z][a-z]+))|"
                   r"(?<!before)(?<!by)(?<!until)\s+then|\s+(?:and|too|as\s+well|for\s+you|"
                   r"for\s+me|please))*[\s,;:.!?-]*$", re.I)   # ", Donna": not part of the task
_NEGATED = re.compile(r"^(?:not|never)\b", re.I)
_NOT_ACTION = re.compile(
    r"^(?:(?:probably|maybe|possibly)\s+)?(?:be\b(?!\s+(?:back|in\s+touch)\b)|want\b|like\b|"
    r"love\b|prefer\b|know\b|do$|kill\b|murder\b|go\s+(?:mad|spare|mental)\b|shout\b|moan\b|"
    r"let\s+you\s+(?:go|get\s+on)\b|let\s+you\s+know\s+that\b|"
    r"tell\s+you\s+(?:what|something|this|that|now)\b|tell\s+you$|say\b|see(?:\s+(?:what|how|if|whether|"
    r"that|where|about)\b|$)|think\b|check\s+(?:that\s+|if\s+)?I(?:'ve|\s+have)?\s+(?:got|"
    r"understood|heard)|check\s+(?:my|the)\s+diary|sit\b|hear\b|imagine\b|understand\b|"
    r"remember\b|explain\b|go\s+through\b|talk\s+(?:to\s+you\s+)?about\b|ask\s+(?:you|a\s+few|"
    r"some)\b|start\b|begin\b|sum\s+up\b|summarise\b|recap\b|write\s+(?:that|this|it)\s+down|"
    r"(?:make|take)\s+a\s+note|note\s+(?:that|it|down)\b|(?:try\s+(?:and|to)\s+)?do\s+(?:my|our)"
    r"\s+best\b|leave\s+(?:it|you|that)\b|stop\s+(?:you|there)\b|move\s+on\b|get\s+(?:going|off|"
    r"started)\b|go(?:\s+(?:now|soon|in\s+a\s+minute))?$|head\s+off\b|have\s+(?:a\s+)?(?:look|"
    r"chat|think|break)\b|come\s+(?:back\s+)?to\s+(?:that|this|it)\b|put\s+the\s+kettle|"
    r"take\s+a\s+break|mind\b|show\s+me\b|tell\s+me\b|describe\b|confirm\s+your\b|try$|$)",
    re.I)
_NO_VERB = re.compile(r"^(?:now|then|here|there|too|yet|still|so|again|today|tomorrow|though|"
                      r"anyway|really|honestly|maybe|yes|yeah|no|ok|okay|sure)(?:\W+(?:yes|yeah|no|ok|okay|thanks|love))*\W*$",
                      re.I)   # "than I can now", "I can now, yes."
_PERCEIVE = re.compile(r"^(?:see|hear|tell|understand|imagine|appreciate|feel|smell|remember|"
                       r"relate|believe|only|totally|definitely)\b", re.I)
_PLACE = re.compile(r"^(?:the|a|an|my|your|his|her|their|our|school|work|bed|sleep|town|church|"
                    r"college|uni|university|hospital|court|prison|nursery|home|[A-Z]\w*)\b")
_PRO_FORM = re.compile(r"(?:do|sort|get)\s+(?:that|this|it|so)(?:\s+(?:done|sorted|for\s+you))?"
                       r"|(?:do\s+)?that", re.I)
_MEET = (r"(?:(?:home|school|family|network|professionals'?|strategy|core\s+group|child\s+"
         r"protection|child\s+in\s+need|CIN|LAC|looked\s+after|TAF|team\s+around\s+the\s+family|"
         r"case|best\s+interests|discharge|pathway(?:\s+plan)?|care|annual|six[- ]monthly|"
         r"follow[- ]up|joint)\s+)?(?:visit|meeting|review|appointment|conference|catch-up|"
         r"check-in|session|panel|hearing|discussion)")
_RETURN = re.compile(
    rf"^(?:reconvene|regroup|get\s+back\s+together|meet\s+back\b|"
    rf"(?:come|pop|call|be|get)\s+back\b(?!\s+to\s+(?:that|this|it|you)\b)|(?:come|pop|call)"
    rf"\s+(?:round|over|in)\b|(?:come|pop)\s+(?:and|to)\s+see\b|"
    rf"visit\b|see\s+(?:you|him|her|them|everyone)\b|meet\s+(?:again|up)\b|"
    rf"catch\s+up\s+again\b|(?:attend|be\s+at|come\s+to|go\s+to|chair|hold|have)\s+"
    rf"(?:the\s+|our\s+|a\s+|another\s+)?(?:next\s+)?{_MEET}"
    # "we'll get everyone back round the table in six weeks"
    rf"|get\s+(?:everyone|everybody|us\s+all|all\s+of\s+us)\s+(?:back\s+)?(?:round\s+the\s+"
    rf"table|together)\b"
    rf"|review\s+(?:it|this|things|everything|it\s+all|how\s+\w+\s+\w+)\b.{{0,30}}?\b(?:at\s+"
    rf"(?:the|our)\s+next\s+{_MEET})"
    # "I'll call her again in a fortnight", "we'll review everything again in three months"
    rf"|(?:call|ring|phone|see|visit|speak\s+to|meet)\s+(?:you|him|her|them)(?:\s+(?:both|all))?"
    rf"\s+again\b|review\s+(?:(?:everything|things|it|this|that|the\s+\w+|your\s+\w+|his\s+\w+|"
    rf"her\s+\w+|their\s+\w+)\s+)?(?:again\b|in\s+(?:a|an|one|two|three|four|six|\d+)\s))", re.I)
_VERBS = ("ring|call|phone|text|email|e-mail|write|draft|send|post|make|refer|ask|book|take|look|"
          "check|speak|talk|contact|arrange|apply|chase|visit|get|sort|find|put|pass|update|"
          "complete|fill|give|bring|follow|let|share|request|raise|submit|organise|organize|set|"
          "drop|collect|pick|attend|meet|discuss|liaise|confirm|provide|invite|notify|inform|"
          "tell|escalate|print|buy|pay|register|sign|come|go|pop|do|keep|try")
VERB_WORDS = _VERBS    # the verbs of tasks, for telling a task's object from its verb
_SPLIT = re.compile(rf"(?:,\s*and|,|\s+and)\s+(?:then\s+|also\s+)?(?=(?:{_VERBS})\b)", re.I)
_MEETING_WORD = re.compile(r"visit|meeting|review|appointment|conference|catch-up|check-in|"
                           r"session|panel|hearing", re.I)
_NEXT_STEP = re.compile(
    # the longest link first: "is booked for the 18th", not "is" then "booked for ..."
    rf"\b(?:(?:the|our|your|his|her|their)\s+)?(?P<next>next\s+)?{_MEET}(?P<link>\s+(?:"
    rf"(?:is|'s|has\s+been|'s\s+been)\s+(?:booked|set|arranged|planned|moved|pencilled\s+in)"
    rf"(?:\s+(?:to|in))?|is\s+going\s+to\s+be|will\s+be|'ll\s+be|is|'s))?\s+", re.I)


_CONTACT = re.compile(r"^(?:ring|call|phone|text|email|e-mail|write\s+to|speak\s+to|talk\s+to|"
                      r"contact|get\s+(?:in\s+touch\s+with|onto|on\s+to)|see|visit|meet)\b", re.I)
_FOLLOW_ON = re.compile(r"^(?:ask|tell|check|find\s+out|see\s+(?:if|whether)|explain|let\s+\w+\s+"
                        r"know|request|raise|mention|update)\b", re.I)
_ANAPHOR = re.compile(r"^\w+\s+(?:it|them|those|these)\b", re.I)


def _tidy_ends(words: str) -> str:
    words = re.sub(r"\s+", " ", words).strip()
    words = re.sub(r"\s+,", ",", words)
    return _TAIL.sub("", _LEAD.sub("", words))


def _parts(words: str) -> list[str]:
    """One verb phrase per part: "ring the surgery and take him" -> two, "email and post" one."""
    parts = [_tidy_ends(p) for p in _SPLIT.split(_tidy_ends(words))]
    merged: list[str] = []
    for part in parts:
        # "pull the record and email it over": a part about "it" is one task with the last;
        # "ring the school and ask about a placement" is one call
        if merged and (len(merged[-1].split()) < 2 or _ANAPHOR.search(part)
                       or (_CONTACT.match(merged[-1]) and _FOLLOW_ON.match(part))):
            merged[-1] = f"{merged[-1]} and {part}"
        else:
            merged.append(part)
    return [p for p in merged if p]


def _pronouns(words: str, voice: str, who: str | None) -> str:
    """Only safe swaps: the owner's "my" is "their"; "me" is ``who`` (the speaker of "Mum
    will ...", the asker of an accepted request) when named, else kept."""
    if voice in ("I", "can", "going"):
        return re.sub(r"\bmyself\b", "themselves", re.sub(r"\bmy\b", "their", words))
    if voice == "asked":
        words = re.sub(r"\byourself\b", "themselves", re.sub(r"\byour\b", "their", words))
    if voice in ("they", "asked") and who:
        words = re.sub(r"\bme\b", who, re.sub(r"\bmy\b", f"{who}'s", words))
    return words


_STARTS = re.compile(r"(?:start|begin)(?:\s+(?:it|them|that|the\s+\w+))?", re.I)


def _commitment(segment_id: str, phrase: _Phrase, dated: tuple[str, str | None, dt.date | None],
                who: str | None) -> Commitment | None:
    rest, said, due = dated
    if not rest or _NEGATED.match(rest) or _NO_VERB.match(rest):
        return None
    next_step = bool(_RETURN.match(rest))
    starts = due is not None and bool(_STARTS.fullmatch(rest))   # "We can start on Thursday."
    if not next_step and not starts and (_NOT_ACTION.match(rest)
                          or (phrase.voice in ("can", "asked") and _PERCEIVE.match(rest))
                          or (phrase.voice == "going" and _PLACE.match(rest))):
        return None
    text = f"{phrase.subject} to {_pronouns(rest, phrase.voice, who)}"
    text = f"{text} {said}." if said else f"{text}."
    return Commitment(segment_id, "next_step" if next_step else "action",
                      text[0].upper() + text[1:], phrase.owner, due, said)


_FILLER = re.compile(r"(?:\W|\b(?:so|then|and|right|ok|okay|well|first\s+thing)\b)*", re.I)


def _date_before(lead: str, ref: dt.date) -> tuple[str | None, dt.date | None]:
    """A date that opens a commitment's clause: "So this afternoon I'm ...", "Tomorrow I'll"."""
    clause = re.split(r"[;:]|\b(?:but|because|if)\b", lead)[-1]
    if not _FILLER.fullmatch(_DATE.sub(" ", clause)):
        return None, None     # other words stand between the date and the commitment
    _, said, due = _take_date(clause, ref)
    return (said.strip(), due) if said else (None, None)


_BACK_TO_IT = re.compile(r"(?:^|,)\W*(?:and|so)?\s*(?:you|she|he|they|we|I)(?:'ll|\s+will|'ve\s+got|"
                         r"\s+should|'d)\s+(?:have|get|receive|hear\s+about|see)\s+(?:it|them|that|"
                         r"this|a\s+copy)\b(?P<rest>[^.;:]*)", re.I)


BACK_TO_IT_CHARS = 80   # how far after the task a clause may give its date
# "I'll bring a new gate when I visit on Thursday afternoon": the task is done on that visit
_WHEN_THERE = re.compile(r"\W*(?:when|while)\s+(?:I|we)(?:'m|\s+am|'re|\s+are)?\s+"
                         r"(?:visit|come|pop|call|see\s+you|round|over|there|back)\w*"
                         r"(?P<rest>[^.;:]{0,40})", re.I)
_SAME_DAY = re.compile(r"\b(?:that|the)\s+same\s+day\b|\bon\s+the\s+day\b", re.I)
# A short line after a task that only names a day ("Friday the thirtieth?", "Thursday at
# ten, would that work?") says when that task is; it refines a vague "end of the month".
DATING_WORDS = 8
_AND_THEN = re.compile(r"[\s,]*(?:(?:and|then|and\s+then)[\s,]*)?", re.I)
_PAST = re.compile(r"\b(?:last|ago|yesterday|was|were|did|went|had|came)\b", re.I)
_VAGUE_DUE = re.compile(r"\b(?:week|month|fortnight|soon|end)\b", re.I)


_DATE_ENDS = re.compile(r"\s*(?:[,.;?!]|$|(?:about|at|around)\b)", re.I)
_AFTER_COMMA = re.compile(r"\s*,\s*(?:(?:so|that's|that\s+is|which\s+is)\s+)?", re.I)


def _date_after(tail: str, ref: dt.date) -> tuple[str | None, dt.date | None]:
    """The date a following clause gives the task: "I'll write up a plan, and she'll have
    it within five working days"."""
    # "I'll come back, three weeks today, so Tuesday the 31st, about four?"
    lead = _AFTER_COMMA.match(tail)
    if lead is not None and lead.end() < len(tail):
        said, due = date_in(tail[lead.end():], ref)
        more = tail[lead.end() + len(said or ""):]
        if (said is not None and tail[lead.end():].startswith(said)
                and _DATE_ENDS.match(more)):   # not "..., on Monday Alan's taking you"
            if (later := _AFTER_COMMA.match(more)) is not None:
                said_too, due_too = date_in(more[later.end():], ref)   # "..., so Tuesday the 31st"
                if said_too is not None and more[later.end():].startswith(said_too):
                    return f"{said.strip()}, {said_too.strip()}", due_too
            return said.strip(), due
    m = _BACK_TO_IT.search(tail[:BACK_TO_IT_CHARS]) or _WHEN_THERE.match(tail)
    if m is None:
        return None, None
    _, said, due = _take_date(m["rest"], ref)
    return (said.strip(), due) if said else (None, None)


_ABOUT_THEM = re.compile(r"^(?:speak|talk|ring|call|phone|email|text|write|tell|see|visit|chase|"
                         r"contact)\s+(?:to\s+|with\s+)?(?:her|him|them)\b", re.I)


# "I'll write a letter to the council. I'll have it done by Wednesday.": the second task
# only dates the first.
_GOING_THERE = re.compile(r"^(?:go|come|pop|call|head|get)\s+(?:round|over|out|in)\b|"
                          r"^(?:visit|see)\s+(?:him|her|them|you)\b", re.I)
_FOLLOWS_ON = re.compile(
    r"^(?:have|get|do|book|send|make\s+sure|put|bring|drop|sort|start|finish|post|hand|email)"
    r"\b[^.]*?\b(?:it|them|that|this|those|these)\b"
    r"|^(?:have|get)\s+(?:the|my|your|that)\s+\w+\s+(?:in|done|off|over|sent|ready|through)\b",
    re.I)


def task_words(text: str) -> str:
    """What is to be done: an action's text after "<who> to "."""
    return text.split(" to ", 1)[1].rstrip(".") if " to " in text else text


def _task(item: Commitment) -> str:
    return task_words(item.text)


def _joined(found: list[Commitment]) -> list[Commitment]:
    """"I need to let our safeguarding lead know. I'll speak to her before the end of
    tomorrow.": a task about "her" right after an undated one of the same owner is one task."""
    out: list[Commitment] = []
    for item in found:
        last = out[-1] if out else None
        task = _task(item)
        # "I'll do a capacity assessment. I'll visit him Monday week, the 17th.": going to
        # them on a day, right after an undated task, is when that task is done
        if (last is not None and last.kind == "action" and last.due is None
                and last.owner == item.owner
                and ((item.kind == "action" and (_ABOUT_THEM.match(task) or (
                    item.due is not None and _FOLLOWS_ON.match(task))))
                     or (item.due is not None and _GOING_THERE.match(task)))):
            out[-1] = replace(item, kind="action", text=f"{last.text.rstrip('.')}, and {task}.")
            continue
        # "I'll do that search and let you know by Monday": the search is done by then
        if (last is not None and last.kind == item.kind == "action" and last.due is None
                and item.due is not None and last.owner == item.owner
                and _REPORT_BACK.match(task)):
            out[-1] = replace(item, text=f"{last.text.rstrip('.')}, and {task}.")
            continue
        out.append(item)
    return out


_REPORT_BACK = re.compile(r"(?:let\s+\w+\s+know|get\s+back\s+to|update|tell|report\s+back|"
                          r"confirm|ring\s+(?:you|her|him|them)\s+(?:back|with))\b", re.I)


def _dated(item: Commitment, said: str | None, due: dt.date | None) -> Commitment:
    """``item`` given the date of a following "and I'll do that by Friday"."""
    if item.due is not None or said is None:
        return item
    return replace(item, text=f"{item.text[:-1]} {said}.", due=due, due_words=said)


def _dated_by(item: Commitment, sentence: str, ref: dt.date) -> Commitment:
    """``item`` dated by the short line after it that names a day, if it is one."""
    if (len(sentence.split()) > DATING_WORDS and not sentence.rstrip().endswith("?")) \
            or _PAST.search(sentence):
        return item
    if item.due is not None and not _VAGUE_DUE.search(item.due_words or ""):
        return item
    said, due = date_in(sentence, ref)
    if due is None or due < ref or due == item.due:
        return item
    return replace(item, text=f"{item.text[:-1]} ({said.strip()}).", due=due,
                   due_words=said.strip())


def _next_steps(sentence: str, segment_id: str,
                ref: dt.date) -> list[tuple[int, bool, Commitment]]:
    """ "The review is on the 3rd", "next visit on Thursday": (start, has a verb, next step)."""
    found: list[tuple[int, bool, Commitment]] = []
    for m in _NEXT_STEP.finditer(sentence) if _MEETING_WORD.search(sentence) else ():
        if not (m["next"] or m["link"]):
            continue    # "the review on Monday went well" is no next step
        _, said, due = _take_date(sentence[m.end():], ref)
        if said is None or not sentence[m.end():].startswith(said):
            continue
        text = sentence[m.start():m.end()] + said
        found.append((m.start(), bool(m["link"]), Commitment(
            segment_id, "next_step", f"{text[0].upper()}{text[1:]}.", None, due, said)))
    return found


# --- accepted requests --------------------------------------------------------------------------

_YES = (r"(?:yes|yeah|yep|yup|aye|ok(?:ay)?|sure|(?:of\s+)?course|certainly|absolutely|"
        r"definitely|no\s+(?:problem|worries)|not\s+a\s+problem|will\s+do|fine|that's\s+fine|"
        r"alright|all\s+right|I\s+will|I\s+can|I'll\s+do\s+(?:that|it)|I\s+can\s+do\s+(?:that|it))")
_ACCEPTS = re.compile(rf"\W*{_YES}(?:[\s,.!]+(?:{_YES}|thanks|cheers|love|great|lovely))*"
                      r"(?:,\s*[A-Z][a-z]+)?[\s,.!]*", re.I)
_REQUEST = re.compile(r"\b(?:(?:can|could|would|will)\s+you\s+(?:please\s+)?(?:possibly\s+)?|"
                      r"please\s+|"
                      # put as a question: "Darren, you're going to ring Clarion on Monday, yeah?"
                      r"(?:you['’]re|you\s+are)\s+(?:going\s+to|gonna)\s+(?=[^?]*\?))"
                      r"(?P<vp>[a-z][^?]*)", re.I)
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'"})


def _accepted(segment: Segment, previous: Segment, speakers: Mapping[str, Person],
              ref: dt.date, own_date: tuple[str | None, dt.date | None]) -> list[Commitment]:
    """What ``previous`` asked of the speaker of ``segment``, who said yes to it."""
    asked = [m for s in split_sentences(previous.text.translate(_APOSTROPHES))
             if (m := _REQUEST.search(s))]
    if not asked:
        return []
    owner = _name_of(segment.speaker, speakers) or segment.speaker
    words = _CUT.split(asked[-1]["vp"], maxsplit=1)[0]
    phrase = _Phrase(owner, owner, words, "asked", 0, len(words))
    found: list[Commitment] = []
    for part in _parts(words):
        rest, said, due = _take_date(part, ref)
        if own_date[0] is not None:
            said, due = own_date    # "Yes, I can do that by Thursday" overrides the ask
        item = _commitment(segment.segment_id, phrase, (rest, said, due),
                           _name_of(previous.speaker, speakers))
        if item is not None:
            found.append(item)
    return found


# --- the line -------------------------------------------------------------------------------------

def find_commitments(segment: Segment, previous: Segment | None,
                     speakers: Mapping[str, Person], meeting_date: dt.date) -> list[Commitment]:
    """Actions and next steps said in ``segment`` (``previous``: the line before, for replies
    like "Yes, I will.")."""
    text = segment.text.translate(_APOSTROPHES).strip()
    found: list[Commitment] = []
    deferred: tuple[str | None, dt.date | None] | None = None   # "I'll do that" as the reply
    last_said = 0   # how many of ``found`` the sentences before the last one gave
    for sentence in split_sentences(_DO_IS.sub(r"\1 ", text)):
        steps = _next_steps(sentence, segment.segment_id, meeting_date)
        phrases = _phrases(sentence, segment.speaker, speakers,
                           [start for start, linked, _ in steps if linked])
        before = len(found)
        if not phrases and not steps and len(found) > last_said:
            found[-1] = _dated_by(found[-1], sentence, meeting_date)
        last_said = before
        steps = [(start, step) for start, linked, step in steps   # not "I'll book the next visit"
                 if linked or not any(p.start <= start < p.end for p in phrases)]
        last_end, last_due = None, None   # the sentence's last task: where it ended, its day
        leading: tuple[str | None, dt.date | None] | None   # a day said before the task
        for phrase in phrases:
            while steps and steps[0][0] < phrase.start:   # in the order said
                found.append(steps.pop(0)[1])
            leading = None
            parts = _parts(phrase.words)
            for n, part in enumerate(parts):
                rest, said, due = _take_date(part, meeting_date)
                if said is None and n == 0:   # "Tomorrow I'll ring them", "So this afternoon I'm ..."
                    said, due = _date_before(sentence[:phrase.start], meeting_date)
                    leading = (said, due) if said is not None else None
                if (said is None and n == 0 and last_due is not None and last_end is not None
                        and _AND_THEN.fullmatch(sentence[last_end:phrase.start])):
                    # "Tomorrow at ten I'll come back and we'll ring the bank together"
                    said, due = last_due
                if said is None and _SAME_DAY.search(rest):
                    # "... delivered for next Tuesday, and I'll come out that same day"
                    said, due = date_in(sentence[:phrase.start], meeting_date)
                if said is None and n == len(parts) - 1:   # "..., and she'll have it by Friday"
                    said, due = _date_after(sentence[phrase.end:], meeting_date)
                if not _PRO_FORM.fullmatch(rest):
                    item = _commitment(segment.segment_id, phrase, (rest, said, due),
                                       _name_of(segment.speaker, speakers))
                    found.extend([item] if item else [])
                    if item is not None and n == 0:   # a day said first governs what follows
                        last_due = leading
                elif found:
                    found[-1] = _dated(found[-1], said, due)
                else:
                    deferred = (said, due)
            last_end = phrase.end
        found.extend(step for _, step in steps)
    found = _joined(found)
    if (not found and previous is not None and previous.speaker != segment.speaker
            and (deferred is not None or _ACCEPTS.fullmatch(text))):
        found = _accepted(segment, previous, speakers, meeting_date, deferred or (None, None))
    return found + _recap(text, segment.segment_id, speakers, meeting_date, found)


# --- a recap: "Marcus calls the GP tomorrow, Tom sends the grant off by the 4th" ------------

_CLAUSE = re.compile(r"\s*(?:[;:]|\.\s+|,?\s+and\s+|,\s+(?=[A-Z][a-z]+\b))\s*(?:then\s+)?")
_RECAP_VERB = re.compile(rf"^(?P<who>{_CAP})\s+(?P<verb>[a-z]+?)(?:es|s)\b(?P<rest>.*)$")
_RECAP_ASSIGN = re.compile(rf"^(?P<who>{_CAP}),?\s+(?P<rest>(?:the|your|his|her|their)\s+.+)$")
_RECAP_BASES = frozenset(_VERBS.split("|")) | {"have", "sort", "chase", "fix"}


def _recap(text: str, segment_id: str, speakers: Mapping[str, Person], ref: dt.date,
           found: list[Commitment]) -> list[Commitment]:
    """Tasks a summary hands to people by name: "Marcus calls the GP tomorrow", and in a
    list, "Ade, the call record by Monday". Only names of the meeting's people count."""
    names = {p.name.split()[0] for p in speakers.values() if p.name}
    taken = {c.owner for c in found}
    out: list[Commitment] = []
    last: str | None = None     # "Ade, the call record by Monday and the charts": both Ade's
    for clause in _CLAUSE.split(text):
        clause = clause.strip().rstrip(".!?")
        if last and re.match(r"(?:the|your|his|her|their)\s", clause):
            clause = f"{last}, {clause}"
        last = None
        if m := _RECAP_VERB.match(clause):
            verb = {"ha": "have", "do": "do", "goe": "go"}.get(m["verb"], m["verb"])
            if verb not in _RECAP_BASES and verb + "e" in _RECAP_BASES:
                verb += "e"                      # "makes" -> "make", "sends" -> "send"
            if verb not in _RECAP_BASES:
                continue
            task = f"{verb}{m['rest']}"
        elif m := _RECAP_ASSIGN.match(clause):
            task = m["rest"]
            last = m["who"]
        else:
            continue
        who = m["who"]
        if who.split()[0] not in names or _owner_name(who, speakers) in taken:
            continue
        rest, said, due = _take_date(task, ref)
        joint = ": " if last else " to "       # "Ade: the call record by Monday."
        sentence = f"{who}{joint}{rest}" + (f" {said}" if said else "")
        out.append(Commitment(segment_id, "action", f"{sentence}.", _owner_name(who, speakers),
                              due, said))
    return out


def _owner_name(said: str, speakers: Mapping[str, Person]) -> str:
    """The full name known for a first name said in a recap."""
    return next((p.name for p in speakers.values()
                 if p.name and p.name.split()[0] == said.split()[0]), said)

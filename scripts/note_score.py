#!/usr/bin/env python3
"""Score a case note against a fixture meeting's checklist and its stored transcript.

    python scripts/note_score.py NOTE.json SEGMENTS.json MEETING.json [--truth TRUTH.json]

NOTE.json is a case note as the wire protocol defines it (docs/protocol.md); SEGMENTS.json
the transcript the note was drafted from (a list of ``{"segment_id", "speaker", "start",
"end", "text"}``, or the meeting object of ``GET /v1/meetings/{id}`` that holds one);
MEETING.json one of ``scripts/note_meetings/*.json`` (turns and a checklist of facts);
TRUTH.json what ``scripts/make_meeting.py`` wrote beside the audio (utterance times), used
to map the checklist's turns to segment ids by time overlap. Without it, turns are mapped
by aligning their words with the segments' words.

Why a checklist rather than one planted clip: a worker judges a note by whether the facts
they would write down are there, in the right place, with the right owner and date, and
whether anything in it was made up. The report says, per meeting:

- ``facts``: checklist facts found, overall and per kind. A fact counts when an item of its
  section holds every keyword (``a|b`` alternatives; ``date:YYYY-MM-DD`` a date the text
  says or implies) and, for an action, names the right owner and due date; attendees are
  matched on the note's attendee list by name and role words. ``found_anywhere`` relaxes
  the section (and owner and date); ``cited`` also wants the item to cite the fact's turn.
- ``ungrounded``: items carrying specifics (numbers, money, dates, weekdays, capitalised
  names and acronyms, safeguarding words) that the segments they cite do not support;
  ``fabricated`` are those whose specifics no segment at all supports. Dates count as
  supported when the cited words resolve to the same day ("by Friday" supports "27
  November"), safeguarding words when the cited words speak of that harm ("better off
  without me" supports "suicidal"), and names of attendees, or of someone named in three
  or more segments (the child the visit is about), need no citation.
- ``misattributed``: items of the form "<Name> said/reported/wants ..." that cite no
  segment spoken by the speaker label the note's attendees give that name; with truth
  times, also against who really spoke (``misattributed_truth``).
- ``unsupported``: the note's own list of statements it could not ground, per item.
- ``words``: note words over transcript words.

Deterministic, standard library only: the same files always give the same report.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import difflib
import functools
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ITEM_SECTIONS = ("purpose", "discussion", "voice_of_person", "observations", "risks",
                 "actions", "next_steps")
CONTEXT_NAME_SEGMENTS = 3  # a name said in this many segments is the meeting's context
KINDS = ("attendee", "purpose", "discussion", "voice", "observation", "risk", "action",
         "next_step")

# ---------------------------------------------------------------------------------------
# Text normalisation: lower case, number words as digits, so that "nine days", "9 days"
# and a keyword "9" meet.

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
_MONTHS["sept"] = 9
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
# Month names that, alone, name a month ("May" and "March" are too often other words).
_BARE_MONTHS = {m.lower() for m in calendar.month_name if m} - {"may", "march"}
_UNITS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * (i + 2) for i, w in enumerate(
    "twenty thirty forty fifty sixty seventy eighty ninety".split())}
_ORDINALS = {w: i + 1 for i, w in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth".split())}
_ORDINALS |= {"twentieth": 20, "thirtieth": 30}
_SCALES = {"hundred": 100, "thousand": 1000}
_NUMBER_WORD = set(_UNITS) | set(_TENS) | set(_SCALES) | set(_ORDINALS)


def _suffix(n: int) -> str:
    """The written ordinal suffix of ``n`` ("st", "nd", "rd", "th")."""
    if 10 <= n % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def _words_to_number(words: Sequence[str]) -> tuple[str, int, bool]:
    """The number spelt at the start of ``words``: (digits, words used, is an ordinal).

    Handles "a hundred and twenty", "twenty eight", "four point nine" and ordinals
    ("eighth" is "8th", "twenty first" "21st"). A lone "one" or "a" is no number ("no
    one", "a week"): that gives ("", 0, False), as does a word that starts no number.
    """
    total, current, last, used = 0, 0, "", 0
    i = 0
    while i < len(words):
        w, nxt = words[i], words[i + 1] if i + 1 < len(words) else ""
        small_after_tens = last == "tens" and current % 10 == 0
        if w == "a" and not last and nxt in _SCALES:
            current, last = 1, "a"
        elif w == "and" and last in ("hundred", "thousand") and (
                nxt in _UNITS or nxt in _TENS or nxt in _ORDINALS):
            pass
        elif w in _UNITS and (last in ("", "hundred", "thousand")
                              or small_after_tens and _UNITS[w] < 10):
            current += _UNITS[w]
            last = "unit"
        elif w in _TENS and last in ("", "hundred", "thousand"):
            current += _TENS[w]
            last = "tens"
        elif w in _ORDINALS and (last in ("", "hundred", "thousand")
                                 or small_after_tens and _ORDINALS[w] < 10):
            value = total + current + _ORDINALS[w]
            return f"{value}{_suffix(value)}", i + 1, True
        elif w == "hundred" and last in ("unit", "a"):
            current, last = current * 100, "hundred"
        elif w == "thousand" and last in ("unit", "tens", "hundred", "a"):
            total, current, last = (total + current) * 1000, 0, "thousand"
        else:
            break
        i += 1
        if last not in ("a",) and w != "and":
            used = i
    if not used or (used == 1 and words[0] == "one"):
        return "", 0, False
    value = total + current
    if used + 1 < len(words) and words[used] == "point" and words[used + 1] in _UNITS \
            and _UNITS[words[used + 1]] < 10:
        j = used + 1
        decimals = []
        while j < len(words) and words[j] in _UNITS and _UNITS[words[j]] < 10:
            decimals.append(str(_UNITS[words[j]]))
            j += 1
        return f"{value}.{''.join(decimals)}", j, False
    return str(value), used, False


_DATE_NEIGHBOURS = {"of", "at", "by", "and", "or", "in", "on", "to", "for", "from", "before",
                    "after", "until", "till", ""}


def _ordinal_is_date(before: Sequence[str], after: Sequence[str]) -> bool:
    """Whether a spelt ordinal names a day ("the eighth", "eighth of December")."""
    month_after = bool(after) and (after[0] in _MONTHS or (
        after[0] == "of" and len(after) > 1 and after[1] in _MONTHS))
    month_before = bool(before) and (before[-1] in _MONTHS or before[-1] in _WEEKDAYS or (
        before[-1] == "the" and len(before) > 1 and (before[-2] in _MONTHS
                                                     or before[-2] in _WEEKDAYS)))
    the_alone = bool(before) and before[-1] == "the" and (not after
                                                         or after[0] in _DATE_NEIGHBOURS)
    return month_after or month_before or the_alone


def canonical(text: str) -> str:
    """``text`` in the form every comparison here uses.

    Lower case; curly quotes straight; hyphens and dashes between words as spaces (digits
    keep theirs, for ISO dates); thousands commas dropped ("1,240.50" is "1240.50"); a
    unit glued to a number split off ("4.9kg" is "4.9 kg"); number words as digits, and
    spelt ordinals that name a day ("the eighth of December") as "8th".
    """
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"[\u201c\u201d]", '"', text)
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    text = re.sub(r"(?<!\d)[-\u2013\u2014]|[-\u2013\u2014](?!\d)", " ", text)
    text = re.sub(r"(\d)(?!(?:st|nd|rd|th)\b)([a-z])", r"\1 \2", text)
    text = re.sub(r"\s+", " ", text).strip()
    tokens = re.findall(r"[a-z]+|[^a-z]+", text)
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok in _NUMBER_WORD or tok == "a":
            words, index = [], []
            j = i
            while j < len(tokens) and (tokens[j].isalpha() or tokens[j] == " "):
                if tokens[j].isalpha():
                    words.append(tokens[j])
                    index.append(j)
                j += 1
            digits, used, ordinal = _words_to_number(words)
            if used and ordinal:
                before = re.findall(r"[a-z]+", "".join(out))[-2:]
                after = words[used:used + 2]
                if index[used - 1] + 1 < len(tokens) and not tokens[index[used - 1] + 1
                                                                   ].isspace():
                    after = []  # punctuation right after the ordinal
                if not _ordinal_is_date(before, after):
                    used = 0
            if used:
                out.append(digits)
                i = index[used - 1] + 1
                continue
        out.append(tok)
        i += 1
    return "".join(out)


# ---------------------------------------------------------------------------------------
# Dates said in speech or written in a note, resolved against the meeting date with UK
# conventions: a bare weekday is the next such day after the meeting; "next Tuesday" the
# Tuesday of the following calendar week; "Tuesday week" a week after the bare one.

_DAY_RE = r"(\d{1,2})(?:st|nd|rd|th)?"
_WEEKDAY_RE = "|".join(_WEEKDAYS)


@dataclass(frozen=True)
class DateMention:
    """A span of canonical text that names a date (or a few, for "next week")."""

    start: int
    end: int
    dates: frozenset[dt.date]
    bare_weekday: str | None = None  # "friday" for a weekday said without next/this/last


def _nearest(month: int, day: int, on: dt.date) -> dt.date | None:
    """The date with this month and day nearest the meeting (a spoken date has no year)."""
    options = []
    for year in (on.year - 1, on.year, on.year + 1):
        try:
            options.append(dt.date(year, month, day))
        except ValueError:
            continue
    return min(options, key=lambda d: abs((d - on).days)) if options else None


def _next_day_of_month(day: int, on: dt.date) -> dt.date | None:
    """"The 12th": the first date on or after the meeting whose day of month is ``day``."""
    for months in range(0, 3):
        year, month = divmod(on.month - 1 + months, 12)
        try:
            candidate = dt.date(on.year + year, month + 1, day)
        except ValueError:
            continue
        if candidate >= on:
            return candidate
    return None


def _add_months(on: dt.date, months: int) -> dt.date:
    year, month = divmod(on.month - 1 + months, 12)
    day = min(on.day, calendar.monthrange(on.year + year, month + 1)[1])
    return dt.date(on.year + year, month + 1, day)


def _add_working_days(on: dt.date, days: int) -> dt.date:
    step = 1 if days >= 0 else -1
    current, left = on, abs(days)
    while left:
        current += dt.timedelta(days=step)
        if current.weekday() < 5:
            left -= 1
    return current


def _weekday(name: str, modifier: str, on: dt.date) -> frozenset[dt.date]:
    """A weekday with its modifier ("next", "this", "last", "week" after, or none)."""
    target = _WEEKDAYS.index(name)
    ahead = (target - on.weekday()) % 7 or 7  # the next such day after the meeting
    bare = on + dt.timedelta(days=ahead)
    if modifier == "next":
        monday = on - dt.timedelta(days=on.weekday()) + dt.timedelta(days=7)
        return frozenset({monday + dt.timedelta(days=target)})
    if modifier == "this":
        this_week = on - dt.timedelta(days=on.weekday()) + dt.timedelta(days=target)
        return frozenset({this_week if this_week >= on else bare})
    if modifier == "last":
        return frozenset({on - dt.timedelta(days=(on.weekday() - target) % 7 or 7)})
    if modifier == "week":
        return frozenset({bare + dt.timedelta(days=7)})
    return frozenset({bare})


def _amount(word: str) -> int:
    return 1 if word in ("a", "an") else int(word)


def date_mentions(text: str, on: dt.date) -> list[DateMention]:
    """Every date mention in canonical ``text``, longest first where they overlap."""
    found: list[DateMention] = []

    def add(m: re.Match[str], dates: Iterable[dt.date | None], bare: str | None = None) -> None:
        kept = frozenset(d for d in dates if d is not None)
        if kept:
            found.append(DateMention(m.start(), m.end(), kept, bare))

    for m in re.finditer(r"\b(\d{4})-(\d{2})-(\d{2})\b", text):
        try:
            add(m, [dt.date(int(m[1]), int(m[2]), int(m[3]))])
        except ValueError:
            pass
    for m in re.finditer(rf"\b{_DAY_RE}(?: of)? ({_MONTH_RE})\b(?:,? (\d{{4}}))?", text):
        month, day = _MONTHS[m[2]], int(m[1])
        add(m, [_dated(int(m[3]), month, day) if m[3] else _nearest(month, day, on)])
    for m in re.finditer(rf"\b({_MONTH_RE}) (?:the )?{_DAY_RE}\b(?:,? (\d{{4}}))?", text):
        if m[1] in ("may", "mar") and not re.search(r"\d(?:st|nd|rd|th)|the", m[0]):
            continue
        month, day = _MONTHS[m[1]], int(m[2])
        add(m, [_dated(int(m[3]), month, day) if m[3] else _nearest(month, day, on)])
    for m in re.finditer(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?\b", text):
        day, month = int(m[1]), int(m[2])
        year = int(m[3]) + (2000 if m[3] and len(m[3]) == 2 else 0) if m[3] else None
        add(m, [_dated(year, month, day) if year else _nearest(month, day, on)]
            if 1 <= month <= 12 else [])
    for m in re.finditer(r"\b(\d{1,2})(?:st|nd|rd|th)\b", text):
        add(m, [_next_day_of_month(int(m[1]), on)])
    for m in re.finditer(rf"\b(?:(next|this|last|on|by|from|until|before) )?({_WEEKDAY_RE})s?"
                         rf"(?: (week))?\b", text):
        modifier = m[3] or (m[1] if m[1] in ("next", "this", "last") else "")
        add(m, _weekday(m[2], modifier, on), None if modifier else m[2])
    for m in re.finditer(r"\b(today|tonight|this (?:morning|afternoon|evening))\b", text):
        add(m, [on])
    for m in re.finditer(r"\b(?:the day after )?tomorrow\b", text):
        add(m, [on + dt.timedelta(days=2 if m[0].startswith("the day") else 1)])
    for m in re.finditer(r"\byesterday\b", text):
        add(m, [on - dt.timedelta(days=1)])
    unit = r"(working days?|business days?|days?|weeks?|months?|years?)"
    for m in re.finditer(rf"\b(?:(?:in|within|after|over) (?:the next )?)?(\d+|a|an) {unit}"
                         rf"(?:'s?)?(?: (time|ago))?\b", text):
        if not (m[0].startswith(("in ", "within ", "after ", "over ")) or m[3]):
            continue
        add(m, [_offset(on, _amount(m[1]) * (-1 if m[3] == "ago" else 1), m[2])])
    for m in re.finditer(r"\b(?:in |within )?(?:a|one) fortnight(?:'s time)?( ago)?\b", text):
        add(m, [on + dt.timedelta(days=-14 if m[1] else 14)])
    for m in re.finditer(r"\b(next|this) week\b", text):
        monday = on - dt.timedelta(days=on.weekday()) + dt.timedelta(days=7 if m[1] == "next"
                                                                        else 0)
        add(m, [monday + dt.timedelta(days=k) for k in range(7)
                if monday + dt.timedelta(days=k) >= on])
    for m in re.finditer(r"\bend of (?:the |this )?(week|month)\b", text):
        if m[1] == "week":
            add(m, [on + dt.timedelta(days=(4 - on.weekday()) % 7)])
        else:
            add(m, [on.replace(day=calendar.monthrange(on.year, on.month)[1])])
    found = [m for m in found if not any(
        o.start <= m.start and m.end <= o.end and o.end - o.start > m.end - m.start
        for o in found)]  # "14th" inside "14th of October" is no second date
    found.sort(key=lambda d: (d.start, -(d.end - d.start)))
    return _weekdays_joined(found, text)


def _weekdays_joined(mentions: list[DateMention], text: str) -> list[DateMention]:
    """A weekday that labels the date after it ("Tuesday the 8th", "Friday, 4 December")
    names that date only, not the next such weekday as well."""
    out: list[DateMention] = []
    skip: set[int] = set()
    for k, m in enumerate(mentions):
        if k in skip:
            continue
        nxt = mentions[k + 1] if k + 1 < len(mentions) else None
        if (m.bare_weekday and nxt is not None and not nxt.bare_weekday
                and re.fullmatch(r",? (?:the )?", text[m.end:nxt.start])):
            out.append(DateMention(m.start, nxt.end, nxt.dates))
            skip.add(k + 1)
        else:
            out.append(m)
    return out


def _dated(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _offset(on: dt.date, amount: int, unit: str) -> dt.date:
    if unit.startswith(("working", "business")):
        return _add_working_days(on, amount)
    if unit.startswith("day"):
        return on + dt.timedelta(days=amount)
    if unit.startswith("week"):
        return on + dt.timedelta(weeks=amount)
    if unit.startswith("month"):
        return _add_months(on, amount)
    return _add_months(on, 12 * amount)


def spoken_dates(text: str, on: dt.date) -> set[dt.date]:
    """Every date ``text`` names or implies, resolved against the meeting date ``on``."""
    return {d for m in date_mentions(canonical(text), on) for d in m.dates}


def parse_due(value: Any, on: dt.date) -> dt.date | None:
    """An action's ``due``: an ISO date, or (leniently) words such as "Friday"."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        dates = sorted(spoken_dates(value, on))
        return dates[0] if dates else None


# ---------------------------------------------------------------------------------------
# Keywords.


@functools.lru_cache(maxsize=4096)
def _keyword_pattern(alternative: str) -> re.Pattern[str]:
    """A keyword matches at a word start; short words and numbers must match whole."""
    kw = canonical(alternative)
    tail = ""
    if re.fullmatch(r"[a-z]{1,3}", kw):
        tail = r"(?![a-z0-9])"
    elif re.search(r"\d$", kw):
        tail = r"(?![0-9])"
    return re.compile(rf"(?<![a-z0-9]){re.escape(kw)}{tail}")


def keyword_found(keyword: str, text: str, dates: set[dt.date]) -> bool:
    """Whether ``text`` (canonical) holds one of ``keyword``'s ``|`` alternatives.

    ``date:YYYY-MM-DD`` alternatives match when ``dates`` (what the item says or implies)
    hold that date.
    """
    for alternative in keyword.split("|"):
        alternative = alternative.strip()
        if alternative.startswith("date:"):
            if dt.date.fromisoformat(alternative[5:]) in dates:
                return True
        elif alternative and _keyword_pattern(alternative).search(text):
            return True
    return False


def all_keywords(keywords: Sequence[str], text: str, dates: set[dt.date]) -> bool:
    return all(keyword_found(k, text, dates) for k in keywords)


# ---------------------------------------------------------------------------------------
# Specifics an item states, and whether its cited segments support them.

_SAFEGUARDING: list[tuple[str, str, str]] = [
    # (family, what in an item names it, what in speech grounds it)
    ("suicide",
     r"suicid|end(?:ing)? (?:his|her|their|my) (?:own )?life|take (?:his|her|their|my) own life"
     r"|kill (?:him|her|them|my)sel(?:f|ves)",
     r"suicid|kill (?:my|him|her)self|end (?:it|my life)|better off without|better off if"
     r"|(?:wasn't|weren't|not) (?:around|here)|not (?:wake|waking) up|no point|want to die"
     r"|don't want to (?:live|be here)|own life"),
    ("self-harm",
     r"self harm|(?:harm|hurt|cut)(?:ing|ed|s)? (?:him|her|them|my)sel(?:f|ves)",
     r"self harm|(?:hurt|harm|cut|burn)(?:ing)? (?:my|him|her)self|cutting"),
    ("domestic abuse",
     r"domestic (?:abuse|violence)|abus(?:e|ive)|coerci|controlling behaviou?r|assault"
     r"|violen|intimidat",
     r"abus|violen|hit(?:s|ting)?\b|grab|push|shov|slap|punch|kick|chok|strangl|threat"
     r"|scared|frighten|afraid|left a mark|bruis|won't let me|doesn't like me going"
     r"|keeps my|checks my|controls"),
    ("neglect", r"neglect", r"neglect|no food|hungry|skip(?:ping)? meals|left alone|unwashed"),
    ("sexual abuse", r"sexual", r"sexual|touched"),
    ("substance misuse", r"overdos|substance|drug|alcohol|drunk",
     r"overdos|drug|alcohol|drunk|drink|pills|tablets|using"),
    ("police", r"police|arrest", r"police|arrest|999"),
    ("child protection", r"child protection|section 47|s47\b|strategy meeting|mash\b|marac",
     r"child protection|section 47|strategy|mash|marac"),
    ("refuge", r"refuge", r"refuge"),
]

_NAME_STOP = {"i", "i'm", "i'll", "i've", "i'd", "ok", "okay", "mr", "mrs", "ms", "miss", "dr",
              "mx"} | set(_WEEKDAYS) | set(_MONTHS)
_ATTRIBUTION = (r"said|says|reported|reports|stated|states|explained|explains|told|tells"
                r"|shared|shares|disclosed|discloses|mentioned|mentions|described|describes"
                r"|expressed|expresses|wants|wanted|would like|wishes|wished|feels|felt"
                r"|thinks|thought|believes|believed|hopes|hoped|agreed|agrees|confirmed"
                r"|confirms|asked|asks|raised|raises|noted|notes|observed|observes|added"
                r"|adds|admitted|admits|denied|denies|worries|worried|is worried|was worried")
_TITLES = {"mr", "mrs", "ms", "miss", "dr", "mx"}
_PRONOUNS = {"she", "he", "they", "it", "we", "you", "mum", "dad", "mother", "father",
             "worker", "the", "this", "that", "there", "her", "his", "their", "both", "all"}


@dataclass(frozen=True)
class Evidence:
    """What an item's cited segments say, in the forms the grounding checks compare."""

    text: str  # canonical
    numbers: frozenset[float]
    dates: frozenset[dt.date]
    weekdays: frozenset[str]
    months: frozenset[int]
    words: frozenset[str]  # lower-case words, for names


def _numbers(text: str, skip: Sequence[tuple[int, int]] = ()) -> list[tuple[str, float]]:
    """Digit numbers in canonical ``text`` outside the ``skip`` spans, as (shown, value)."""
    out = []
    for m in re.finditer(r"(?<![\d.])\d+(?:\.\d+)?(?!\d)", text):
        if any(a <= m.start() < b for a, b in skip):
            continue
        out.append((m[0], float(m[0])))
    return out


def evidence_of(texts: Sequence[str], on: dt.date, extra_names: Iterable[str] = ()
                ) -> Evidence:
    """The comparable facts of some segments' texts (``extra_names``: their speakers')."""
    text = canonical(" ".join(texts))
    mentions = date_mentions(text, on)
    numbers = {v for _, v in _numbers(text)}
    if re.search(r"\btwice\b", text):
        numbers.add(2.0)
    if re.search(r"\bone\b", text):  # "one o'clock", which canonical() leaves spelt
        numbers.add(1.0)
    dates = {d for m in mentions for d in m.dates}
    weekdays = {w for w in _WEEKDAYS if re.search(rf"\b{w}", text)}
    weekdays |= {_WEEKDAYS[d.weekday()] for d in dates}
    months = {_MONTHS[m] for m in _BARE_MONTHS if re.search(rf"\b{m}\b", text)}
    months |= {d.month for d in dates}
    words = set(re.findall(r"[a-z][a-z']*", text))
    words |= {w.removesuffix("'s") for w in words}
    for name in extra_names:
        words |= set(re.findall(r"[a-z][a-z']*", name.lower()))
    return Evidence(text, frozenset(numbers), frozenset(dates), frozenset(weekdays),
                    frozenset(months), frozenset(words))


def _acronym_grounded(acronym: str, evidence: Evidence) -> bool:
    """"OT" is grounded by "occupational therapy": consecutive words with those initials."""
    words = re.findall(r"[a-z]+", evidence.text)
    initials = "".join(w[0] for w in words)
    return acronym.lower() in evidence.words or acronym.lower() in initials


def proper_nouns(text: str, known: set[str]) -> list[str]:
    """Capitalised names and acronyms in ``text`` (original case).

    A word opening a sentence counts only when it is an acronym, is ``known`` (seen
    capitalised mid-sentence somewhere, or an attendee's name), or leads an attribution
    ("Kevin said"); weekdays, months and "I" are left to the other checks.
    """
    out = []
    for m in re.finditer(r"\b[A-Z][A-Za-z']*(?:-[A-Z][A-Za-z']+)?", text):
        word = m[0].removesuffix("'s").removesuffix("'")
        low = word.lower()
        if low in _NAME_STOP or low.removesuffix("s") in _NAME_STOP or len(word) < 2:
            continue
        if low in _UNITS or low in _TENS or low in _ORDINALS:
            continue   # "Year Four": a number, checked as one, not a name
        before = text[:m.start()].rstrip(" \"'(")
        initial = not before or before[-1] in ".!?:\n"
        acronym = word.isupper()
        if initial and not acronym and low not in known and not re.match(
                rf"\s+(?:{_ATTRIBUTION})\b", text[m.end():]):
            continue
        out.append(word)
    return out


def capitalised_mid_sentence(texts: Iterable[str]) -> set[str]:
    """Lower-cased words that appear capitalised somewhere other than a sentence start."""
    known: set[str] = set()
    for text in texts:
        for m in re.finditer(r"\b[A-Z][a-z']+", text):
            before = text[:m.start()].rstrip(" \"'(")
            if before and before[-1] not in ".!?:\n":
                known.add(m[0].lower().removesuffix("'s"))
    return known


SPEAKER_LABEL = re.compile(r"\bS[1-9]\d{0,2}\b")


def specifics(text: str, on: dt.date, known: set[str]) -> list[tuple[str, Any]]:
    """The checkable specifics an item's text states, as (kind, value) pairs. A speaker
    label ("S2 said ...") names a voice, not the number 2."""
    canon = canonical(SPEAKER_LABEL.sub("someone", text))
    mentions = date_mentions(canon, on)
    out: list[tuple[str, Any]] = []
    taken: list[tuple[int, int]] = []
    for m in mentions:
        if any(a <= m.start < b for a, b in taken):
            continue
        taken.append((m.start, m.end))
        if m.bare_weekday:
            out.append(("weekday", m.bare_weekday))
        else:
            out.append(("date", (canon[m.start:m.end], m.dates)))
    for m in re.finditer(r"\b(\d{1,2}):(\d{2})\b", canon):
        taken.append((m.start(), m.end()))
        out.append(("time", int(m[1])))
    for shown, value in _numbers(canon, taken):
        out.append(("number", (shown, value)))
    for month in sorted(_BARE_MONTHS):
        for m in re.finditer(rf"\b{month}\b", canon):
            if not any(a <= m.start() < b for a, b in taken):
                out.append(("month", _MONTHS[month]))
    for word in proper_nouns(text, known):
        out.append(("name", word))
    for family, item_pattern, _ in _SAFEGUARDING:
        if re.search(rf"\b(?:{item_pattern})", canon):
            out.append(("safeguarding", family))
    return out


def grounded(kind: str, value: Any, evidence: Evidence) -> bool:
    """Whether one specific of an item is supported by ``evidence``."""
    if kind == "weekday":
        return value in evidence.weekdays
    if kind == "date":
        return bool(value[1] & evidence.dates)
    if kind == "time":  # "16:00" is grounded by "at four"
        return float(value) in evidence.numbers or float(value - 12) in evidence.numbers
    if kind == "number":
        return value[1] in evidence.numbers
    if kind == "month":
        return value in evidence.months
    if kind == "name":
        low = value.lower()
        if low in evidence.words:
            return True
        return value.isupper() and _acronym_grounded(value, evidence)
    if kind == "safeguarding":
        cue = next(c for f, _, c in _SAFEGUARDING if f == value)
        item = next(p for f, p, _ in _SAFEGUARDING if f == value)
        return bool(re.search(rf"\b(?:{cue}|{item})", evidence.text))
    raise ValueError(kind)


def _shown(kind: str, value: Any) -> str:
    if kind == "date":
        return f"date:{value[0]}"
    if kind == "number":
        return f"number:{value[0]}"
    if kind == "month":
        return f"month:{calendar.month_name[value].lower()}"
    return f"{kind}:{value}"


# ---------------------------------------------------------------------------------------
# Inputs.


@dataclass(frozen=True)
class Segment:
    segment_id: str
    speaker: str
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Item:
    """One item of a note section, with where it sits."""

    section: str
    index: int
    text: str
    evidence: tuple[str, ...]
    owner: str | None = None
    due: Any = None


@dataclass
class Context:
    """Everything scoring one note needs, loaded once."""

    note: dict[str, Any]
    segments: list[Segment]
    meeting: dict[str, Any]
    on: dt.date
    items: list[Item]
    by_id: dict[str, Segment]
    label_names: dict[str, str]  # speaker label -> the note's attendee name
    known: set[str]
    context_names: set[str] = field(default_factory=set)  # named in many segments
    turn_segments: dict[int, list[str]] = field(default_factory=dict)
    segment_roles: dict[str, set[str]] = field(default_factory=dict)


def load_segments(data: Any) -> list[Segment]:
    """Segments from a list, or from an object that holds one under ``segments``."""
    rows = data["segments"] if isinstance(data, dict) else data
    return [Segment(str(r["segment_id"]), str(r.get("speaker") or ""),
                    float(r.get("start", r.get("start_s", 0.0))),
                    float(r.get("end", r.get("end_s", 0.0))), str(r.get("text") or ""))
            for r in rows]


def note_items(note: dict[str, Any]) -> list[Item]:
    items = []
    for section in ITEM_SECTIONS:
        for i, raw in enumerate(note.get(section) or []):
            if not isinstance(raw, dict):
                continue
            items.append(Item(section, i, str(raw.get("text") or ""),
                              tuple(str(e) for e in raw.get("evidence") or []),
                              raw.get("owner"), raw.get("due")))
    return items


def _first_name(name: str) -> str:
    words = [w for w in re.findall(r"[a-z][a-z'-]*", (name or "").lower()) if w not in _TITLES]
    return words[0] if words else ""


def names_match(a: str | None, b: str | None) -> bool:
    """Case-insensitive name match: the first names agree, or one holds the other whole."""
    if not a or not b:
        return False
    la, lb = a.lower().strip(), b.lower().strip()
    if la == lb:
        return True
    fa, fb = _first_name(a), _first_name(b)
    if fa and fa == fb:
        return True
    return bool(re.search(rf"\b{re.escape(fb)}\b", la)) if fb else False


# ---------------------------------------------------------------------------------------
# Turns to segments.


def map_by_time(truth: Sequence[dict[str, Any]], segments: Sequence[Segment],
                min_share: float = 0.3, min_overlap_s: float = 1.0) -> dict[int, list[str]]:
    """Turn index -> ids of the segments that overlap its true utterance in time.

    A segment belongs to a turn when they share at least ``min_overlap_s`` seconds, or at
    least ``min_share`` of the shorter of the two (short replies, split utterances).
    """
    out: dict[int, list[str]] = {}
    for i, utt in enumerate(truth):
        turn = int(utt.get("turn", i))
        start, end = float(utt["start_s"]), float(utt["end_s"])
        for seg in segments:
            overlap = min(end, seg.end) - max(start, seg.start)
            if overlap <= 0:
                continue
            shorter = max(1e-6, min(end - start, seg.end - seg.start))
            if overlap >= min_overlap_s or overlap / shorter >= min_share:
                out.setdefault(turn, [])
                if seg.segment_id not in out[turn]:
                    out[turn].append(seg.segment_id)
    return out


def map_by_text(turns: Sequence[str], segments: Sequence[Segment]) -> dict[int, list[str]]:
    """Turn index -> segment ids, by aligning the turns' words with the segments' words.

    For when no truth times are at hand (a transcript of a real reading of the script):
    a segment belongs to a turn when at least half the words of the shorter are aligned.
    """
    turn_words, turn_of = [], []
    for i, text in enumerate(turns):
        words = re.findall(r"[a-z0-9']+", canonical(text))
        turn_words += words
        turn_of += [i] * len(words)
    seg_words, seg_of = [], []
    for seg in segments:
        words = re.findall(r"[a-z0-9']+", canonical(seg.text))
        seg_words += words
        seg_of += [seg.segment_id] * len(words)
    shared: dict[tuple[int, str], int] = {}
    matcher = difflib.SequenceMatcher(None, turn_words, seg_words, autojunk=False)
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            key = (turn_of[block.a + k], seg_of[block.b + k])
            shared[key] = shared.get(key, 0) + 1
    turn_len, seg_len = Counter(turn_of), Counter(seg_of)
    out: dict[int, list[str]] = {}
    order = {seg.segment_id: k for k, seg in enumerate(segments)}
    for (turn, seg), n in sorted(shared.items(), key=lambda kv: (kv[0][0], order[kv[0][1]])):
        if n >= 0.5 * min(turn_len[turn], seg_len[seg]):
            out.setdefault(turn, []).append(seg)
    return out


# ---------------------------------------------------------------------------------------
# Facts.


def _fact_turns(fact: dict[str, Any]) -> list[int]:
    turn = fact.get("turn")
    return [int(t) for t in turn] if isinstance(turn, list) else [] if turn is None else [int(turn)]


def _item_dates(item: Item, on: dt.date) -> set[dt.date]:
    dates = spoken_dates(item.text, on)
    due = parse_due(item.due, on)
    return dates | {due} if due else dates


def _owner_name(owner: Any, ctx: Context) -> str:
    """An item's owner as a name: a speaker label is read through the attendee list."""
    text = str(owner or "")
    return ctx.label_names.get(text.strip(), text)


def _action_problem(fact: dict[str, Any], item: Item, ctx: Context) -> str | None:
    """Why an action item with the right words still does not carry the fact, or None."""
    if fact.get("owner") and not names_match(_owner_name(item.owner, ctx), fact["owner"]):
        return f"owner {item.owner!r}, not {fact['owner']!r}"
    want = fact.get("due")
    got = parse_due(item.due, ctx.on)
    if want is None and got is not None:
        return f"due {item.due!r}, but none was said"
    if want is not None and got != dt.date.fromisoformat(want):
        return f"due {item.due!r}, not {want!r}"
    return None


def match_attendee(fact: dict[str, Any], note: dict[str, Any]) -> tuple[bool, str]:
    """Whether the note's attendee list names the fact's person with the right role words."""
    named = [a for a in note.get("attendees") or []
             if isinstance(a, dict) and names_match(a.get("name"), fact["name"])]
    if not named:
        return False, f"no attendee named {fact['name']!r}"
    for a in named:
        text = canonical(f"{a.get('name') or ''} {a.get('role') or ''}")
        if all_keywords(fact.get("keywords") or [], text, set()):
            return True, "suggested" if a.get("suggested") else "confirmed"
    return False, f"role {named[0].get('role')!r} lacks {fact.get('keywords')}"


def match_fact(fact: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """One fact's verdict: found (in section, with owner and due), anywhere, cited, why."""
    row: dict[str, Any] = {"id": fact["id"], "kind": fact["kind"], "section": fact["section"]}
    if fact["kind"] == "attendee":
        ok, why = match_attendee(fact, ctx.note)
        return row | {"found": ok, "found_anywhere": ok, "cited": None, "why": why}
    wanted = {sid for t in _fact_turns(fact) for sid in ctx.turn_segments.get(t, [])}
    hits = [i for i in ctx.items
            if all_keywords(fact["keywords"], canonical(i.text), _item_dates(i, ctx.on))]
    in_section = [i for i in hits if i.section == fact["section"]]
    why = "no item with the keywords" if not hits else (
        f"keywords only in {sorted({i.section for i in hits})}" if not in_section else "")
    matches = []
    for item in in_section:
        problem = _action_problem(fact, item, ctx) if fact["kind"] == "action" else None
        if problem is None:
            matches.append(item)
        else:
            why = why or problem
    # Prefer an item that cites the fact's own turn.
    matches.sort(key=lambda i: not set(i.evidence) & wanted)
    found = matches[0] if matches else None
    return row | {"found": found is not None, "found_anywhere": bool(hits),
                  "cited": found is not None and bool(set(found.evidence) & wanted),
                  "item": f"{found.section}[{found.index}]" if found else None,
                  "why": "" if found else why}


# ---------------------------------------------------------------------------------------
# Items.


def item_grounding(item: Item, ctx: Context, everything: Evidence) -> dict[str, Any] | None:
    """An item's specifics that its cited segments do not support (None if all are).

    Names of attendees, and of the people the meeting is about (``ctx.context_names``),
    need no citation: they are the meeting's, not one line's.
    """
    cited = [ctx.by_id[e] for e in item.evidence if e in ctx.by_id]
    names = set(ctx.label_names.values()) | ctx.context_names
    for a in ctx.note.get("attendees") or []:
        if isinstance(a, dict):
            names.add(f"{a.get('name') or ''} {a.get('role') or ''}")
    evidence = evidence_of([s.text for s in cited], ctx.on, names)
    texts = [(item.text, "text")]
    if item.section == "actions" and item.due:
        texts.append((str(item.due), "due"))
    missing, invented = [], []
    for text, where in texts:
        for kind, value in specifics(text, ctx.on, ctx.known):
            if not grounded(kind, value, evidence):
                shown = _shown(kind, value) + (" (due)" if where == "due" else "")
                missing.append(shown)
                if not grounded(kind, value, everything):
                    invented.append(shown)
    unknown = [e for e in item.evidence if e not in ctx.by_id]
    if not missing and not unknown:
        return None
    return {"item": f"{item.section}[{item.index}]", "text": item.text,
            "ungrounded": sorted(set(missing)), "not_in_transcript": sorted(set(invented)),
            "unknown_evidence": unknown}


_ATTRIBUTED = re.compile(
    rf"(?:^|[.;:!?]\s+)((?:[A-Z][A-Za-z'\u2019-]+)(?:\s+[A-Z][A-Za-z'\u2019-]+)?)\s*"
    rf"(?:\([^)]*\)\s*)?(?:has\s+|had\s+)?(?:also\s+|then\s+|clearly\s+)?"
    rf"(?:{_ATTRIBUTION})\b")


def attributions(text: str) -> list[str]:
    """Names that lead a clause of the form "<Name> said/reported/wants ..."."""
    out = []
    for m in _ATTRIBUTED.finditer(text):
        words = [w.removesuffix("'s").removesuffix("\u2019s") for w in m[1].split()]
        words = [w for w in words if w.lower() not in _TITLES] or words
        if words[0].lower() not in _PRONOUNS:
            out.append(" ".join(words))
    return out


def item_attribution(item: Item, ctx: Context, truth_names: dict[str, set[str]] | None
                     ) -> dict[str, Any]:
    """Attribution problems of one item: against the note's labels, and against truth."""
    cited = [ctx.by_id[e] for e in item.evidence if e in ctx.by_id]
    verdict: dict[str, Any] = {"misattributed": [], "non_attendee": [], "truth": []}
    for name in attributions(item.text):
        labels = {label for label, person in ctx.label_names.items()
                  if names_match(person, name)}
        if not labels:
            verdict["non_attendee"].append(name)
        elif not any(s.speaker in labels for s in cited):
            verdict["misattributed"].append(name)
        if truth_names is not None:
            roles = {role for role, names in truth_names.items()
                     if any(names_match(n, name) for n in names)}
            spoken = set().union(*(ctx.segment_roles.get(s.segment_id, set())
                                   for s in cited)) if cited else set()
            if roles and not roles & spoken:
                verdict["truth"].append(name)
    return verdict


# ---------------------------------------------------------------------------------------
# The report.


def _attendee_names(note: dict[str, Any]) -> dict[str, str]:
    out = {}
    for a in note.get("attendees") or []:
        if isinstance(a, dict) and a.get("speaker") and a.get("name"):
            out.setdefault(str(a["speaker"]), str(a["name"]))
    return out


def _word_count(texts: Iterable[str]) -> int:
    return sum(len(re.findall(r"[A-Za-z0-9£$%'.,-]+", t)) for t in texts)


def build_context(note: dict[str, Any], segments: list[Segment], meeting: dict[str, Any],
                  truth: Sequence[dict[str, Any]] | None = None) -> Context:
    """Load a note, its transcript and a meeting into what the checks compare."""
    on = dt.date.fromisoformat(str(meeting.get("date") or note.get("date"))[:10])
    items = note_items(note)
    label_names = _attendee_names(note)
    known = capitalised_mid_sentence([i.text for i in items] + [s.text for s in segments])
    known |= {_first_name(n) for n in label_names.values()}
    ctx = Context(note, segments, meeting, on, items, {s.segment_id: s for s in segments},
                  label_names, known, context_names(segments))
    turns = [t[1] for t in meeting.get("turns") or []]
    ctx.turn_segments = (map_by_time(truth, segments) if truth else map_by_text(turns, segments))
    roles = [t[0] for t in meeting.get("turns") or []]
    for turn, ids in ctx.turn_segments.items():
        for sid in ids:
            if turn < len(roles):
                ctx.segment_roles.setdefault(sid, set()).add(roles[turn])
    return ctx


def context_names(segments: Sequence[Segment], min_segments: int = CONTEXT_NAME_SEGMENTS
                  ) -> set[str]:
    """Capitalised names said in at least ``min_segments`` segments: who the meeting is
    about (the child, the tenant's daughter), whom an item may name without citing it."""
    counts: dict[str, int] = {}
    for seg in segments:
        for word in set(capitalised_mid_sentence([seg.text])):
            counts[word] = counts.get(word, 0) + 1
    return {w for w, n in counts.items() if n >= min_segments and w not in _NAME_STOP}


def _share(found: int, total: int) -> float:
    return round(found / total, 3) if total else 0.0


def _facts_part(facts: list[dict[str, Any]]) -> dict[str, Any]:
    """Facts found overall and per kind."""
    by_kind: dict[str, dict[str, Any]] = {}
    for row in facts:
        entry = by_kind.setdefault(row["kind"], {"found": 0, "total": 0})
        entry["found"] += row["found"]
        entry["total"] += 1
    found = sum(r["found"] for r in facts)
    return {"facts": {"found": found, "total": len(facts), "share": _share(found, len(facts)),
                      "found_anywhere": sum(r["found_anywhere"] for r in facts),
                      "cited": sum(bool(r["cited"]) for r in facts)},
            "by_kind": {k: by_kind[k] | {"share": _share(by_kind[k]["found"],
                                                         by_kind[k]["total"])}
                        for k in KINDS if k in by_kind}}


def _grounding_part(ctx: Context) -> dict[str, Any]:
    """Items with specifics their citations do not support."""
    everything = evidence_of([s.text for s in ctx.segments], ctx.on,
                             [f"{a.get('name') or ''} {a.get('role') or ''}"
                              for a in ctx.note.get("attendees") or [] if isinstance(a, dict)]
                             + sorted(ctx.context_names))
    details = [g for g in (item_grounding(i, ctx, everything) for i in ctx.items) if g]
    flagged = len([g for g in details if g["ungrounded"]])
    return {"items": flagged, "share": _share(flagged, len(ctx.items)),
            "fabricated": len([g for g in details if g["not_in_transcript"]]),
            "unknown_evidence": sum(len(g["unknown_evidence"]) for g in details),
            "details": details}


def _truth_names(meeting: dict[str, Any]) -> dict[str, set[str]]:
    """Script role -> the names its attendee facts give it."""
    out: dict[str, set[str]] = {}
    for fact in meeting.get("checklist") or []:
        if fact["kind"] == "attendee" and fact.get("speaker"):
            out.setdefault(fact["speaker"], set()).add(fact["name"])
    return out


def _attribution_part(ctx: Context, truth_names: dict[str, set[str]] | None
                      ) -> dict[str, list[dict[str, Any]]]:
    """Items whose "<Name> said" the citations contradict, by the kind of contradiction."""
    out: dict[str, list[dict[str, Any]]] = {"misattributed": [], "non_attendee": [],
                                            "truth": []}
    for item in ctx.items:
        for key, names in item_attribution(item, ctx, truth_names).items():
            if names:
                out[key].append({"item": f"{item.section}[{item.index}]", "text": item.text,
                                 "names": names})
    return out


def score(note: dict[str, Any], segments: Sequence[Segment] | Sequence[dict[str, Any]],
          meeting: dict[str, Any], truth: Sequence[dict[str, Any]] | None = None
          ) -> dict[str, Any]:
    """The report for one note (see the module docstring for what each part means).

    ``truth``: make_meeting's utterances for the meeting's turns (times, and optionally
    ``turn``); without it (and without ``utterances`` in ``meeting``) turns are mapped to
    segments by their words, and there is no check of attribution against truth.
    """
    rows = [s if isinstance(s, Segment) else load_segments([s])[0] for s in segments]
    truth = truth if truth is not None else meeting.get("utterances")
    ctx = build_context(note, rows, meeting, truth)
    facts = [match_fact(f, ctx) for f in meeting.get("checklist") or []]
    truth_names = _truth_names(meeting) if truth else None
    attribution = _attribution_part(ctx, truth_names)
    unsupported = [u for u in note.get("unsupported") or [] if u]
    n_items = len(ctx.items)
    note_words = _word_count(i.text for i in ctx.items)
    transcript_words = _word_count(s.text for s in ctx.segments)
    report: dict[str, Any] = {
        "meeting": meeting.get("title"),
        **_facts_part(facts),
        "items": n_items,
        "ungrounded": _grounding_part(ctx),
        "misattributed": {"items": len(attribution["misattributed"]),
                          "details": attribution["misattributed"],
                          "non_attendee": attribution["non_attendee"]},
        "unsupported": {"count": len(unsupported),
                        "per_item": round(len(unsupported) / n_items, 3) if n_items else 0.0},
        "words": {"note": note_words, "transcript": transcript_words,
                  "ratio": round(note_words / transcript_words, 3) if transcript_words else 0.0},
        "per_fact": facts,
        "turn_segments": {str(k): v for k, v in sorted(ctx.turn_segments.items())},
    }
    if truth_names is not None:
        report["misattributed_truth"] = {"items": len(attribution["truth"]),
                                         "details": attribution["truth"]}
    return report


def aggregate(reports: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Totals over several meetings' reports (facts per kind, ungrounded, misattributed)."""
    kinds: dict[str, dict[str, int]] = {}
    for r in reports:
        for kind, entry in r["by_kind"].items():
            total = kinds.setdefault(kind, {"found": 0, "total": 0})
            total["found"] += entry["found"]
            total["total"] += entry["total"]
    found = sum(r["facts"]["found"] for r in reports)
    facts = sum(r["facts"]["total"] for r in reports)
    items = sum(r["items"] for r in reports)
    return {"meetings": len(reports), "facts": {"found": found, "total": facts,
                                                 "share": _share(found, facts)},
            "by_kind": {k: v | {"share": _share(v["found"], v["total"])}
                        for k, v in kinds.items()},
            "items": items,
            "ungrounded_items": sum(r["ungrounded"]["items"] for r in reports),
            "misattributed_items": sum(r["misattributed"]["items"] for r in reports),
            "unsupported": sum(r["unsupported"]["count"] for r in reports)}


def _load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("note", type=Path, help="the case note (PROTOCOL.md JSON)")
    parser.add_argument("segments", type=Path, help="the transcript segments it rests on")
    parser.add_argument("meeting", type=Path, help="a scripts/note_meetings/*.json script")
    parser.add_argument("--truth", type=Path,
                        help="make_meeting.py's truth JSON (utterance times) for this script")
    parser.add_argument("--brief", action="store_true",
                        help="leave out per-fact rows, details and the turn map")
    args = parser.parse_args(argv)
    truth = None
    if args.truth:
        data = _load_json(args.truth)
        truth = data["utterances"] if isinstance(data, dict) else data
    report = score(_load_json(args.note), load_segments(_load_json(args.segments)),
                   _load_json(args.meeting), truth)
    if args.brief:
        for key in ("per_fact", "turn_segments"):
            report.pop(key, None)
        for key in ("ungrounded", "misattributed", "misattributed_truth"):
            if key in report:
                report[key].pop("details", None)
    json.dump(report, sys.stdout, indent=1, ensure_ascii=False)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Spoken dates ("next Tuesday", "by Friday", "in two weeks", "the eighth of December")
resolved against the meeting date.

Conventions (UK usage; a worker can correct the note):
- a bare weekday, "by/on/this Friday": the first such day after the meeting date;
- "next Tuesday": that weekday in the calendar week (Monday first) after the meeting's;
- "Tuesday week", "a week on Tuesday": a week after the bare weekday;
- a day and month without a year: the next one on or after the meeting date;
- numeric dates are day/month/year.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9

_UNITS = {"zero": 0, "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
          "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
          "couple of": 2, "a couple of": 2, "few": 3, "a few": 3}
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
             "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12,
             "thirteenth": 13, "fourteenth": 14, "fifteenth": 15, "sixteenth": 16,
             "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20,
             "thirtieth": 30}
for _tens, _base in (("twenty", 20), ("thirty", 30)):
    for _word, _n in list(_ORDINALS.items())[:9]:
        if _base + _n <= 31:
            _ORDINALS[f"{_tens} {_word}"] = _base + _n
            _ORDINALS[f"{_tens}-{_word}"] = _base + _n

_WD = "|".join(WEEKDAYS)
_MON = "|".join(sorted(MONTHS, key=len, reverse=True))
_ORD = "|".join(sorted(_ORDINALS, key=len, reverse=True))
_DAYNUM = rf"(?:(?P<dnum>\d{{1,2}})(?:st|nd|rd|th)?|(?:the\s+)?(?P<dword>{_ORD}))"
_NUM = "|".join(sorted(_UNITS, key=len, reverse=True))

_ISO = re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b")
_NUMERIC = re.compile(r"\b(?P<d>\d{1,2})/(?P<m>\d{1,2})(?:/(?P<y>\d{2}|\d{4}))?\b")
_DAY_MONTH = re.compile(rf"\b{_DAYNUM}\s+(?:of\s+)?(?P<mon>{_MON})\b\.?(?:,?\s+(?P<y>\d{{4}}))?",
                        re.I)
_MONTH_DAY = re.compile(rf"\b(?P<mon>{_MON})\s+(?:the\s+)?{_DAYNUM}\b(?:,?\s+(?P<y>\d{{4}}))?",
                        re.I)
_WEEKDAY = re.compile(rf"\b(?:(?P<mod>next|this|coming|on|by|before|until|a\s+week\s+on)\s+)?"
                      rf"(?:the\s+)?(?P<wd>{_WD})s?\b(?P<week>\s+week)?", re.I)
_IN_SPAN = re.compile(rf"\b(?:in|within|after)\s+(?:the\s+next\s+)?(?:(?P<n>\d+)|(?P<w>{_NUM}))"
                      r"\s+(?P<working>(?:working|business)\s+)?(?P<unit>day|week|fortnight|month)s?"
                      r"(?:'s)?(?:\s+time)?\b", re.I)
# "a week today", "three weeks tomorrow", "a fortnight today": counted from that day
_WEEKS_FROM = re.compile(rf"\b(?:(?P<n>\d+)|(?P<w>{_NUM}))\s+(?P<unit>week|fortnight)s?\s+"
                         r"(?P<day>today|tomorrow)\b", re.I)
_FORTNIGHT = re.compile(r"\b(?:in|within)\s+(?:a|one)\s+fortnight\b", re.I)
_RELATIVE = re.compile(r"\b(?P<what>today|tonight|this\s+(?:afternoon|evening)|tomorrow|"
                       r"next\s+week|next\s+month|end\s+of\s+(?:the|this)\s+week|"
                       r"end\s+of\s+(?:the|this)\s+month)\b", re.I)


def resolve_date(text: str | None, meeting_date: dt.date) -> dt.date | None:
    """The first date ``text`` names, resolved against ``meeting_date``; None if it names none.

    Absolute dates win over relative ones ("in two weeks, on the tenth of December")."""
    if not text:
        return None
    for finder in (_absolute, _weekday, _weeks_from, _span, _relative):
        found = finder(text, meeting_date)
        if found is not None:
            return found
    return None


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _next_on_or_after(month: int, day: int, ref: dt.date) -> dt.date | None:
    for year in (ref.year, ref.year + 1):
        found = _safe_date(year, month, day)
        if found is not None and found >= ref:
            return found
    return None


def _absolute(text: str, ref: dt.date) -> dt.date | None:
    if m := _ISO.search(text):
        return _safe_date(int(m["y"]), int(m["m"]), int(m["d"]))
    if m := _NUMERIC.search(text):
        day, month = int(m["d"]), int(m["m"])
        if m["y"]:
            year = int(m["y"]) + (2000 if len(m["y"]) == 2 else 0)
            return _safe_date(year, month, day)
        return _next_on_or_after(month, day, ref)
    for pattern in (_DAY_MONTH, _MONTH_DAY):
        if m := pattern.search(text):
            day = int(m["dnum"]) if m["dnum"] else _ORDINALS[m["dword"].lower()]
            month = MONTHS[m["mon"].lower().rstrip(".")]
            if m["y"]:
                return _safe_date(int(m["y"]), month, day)
            return _next_on_or_after(month, day, ref)
    return None


_BARE_DAY = re.compile(rf"\bthe\s+(?:(?P<dnum>\d{{1,2}})(?:st|nd|rd|th)\b|(?P<dword>{_ORD})\b)|"
                       rf"\b(?P<dsuf>\d{{1,2}})(?:st|nd|rd|th)\b", re.I)
WEEKDAY_DAY_MONTHS = 2   # "Tuesday the 22nd" is looked for this month and next, else the weekday wins


def _weekday(text: str, ref: dt.date) -> dt.date | None:
    m = _WEEKDAY.search(text)
    if m is None:
        return None
    target = WEEKDAYS[m["wd"].lower()]
    if day := _BARE_DAY.search(text):
        # "Tuesday the 22nd": the next 22nd that is a Tuesday, not the next Tuesday
        n = int(day["dnum"] or day["dsuf"]) if (day["dnum"] or day["dsuf"]) else \
            _ORDINALS[day["dword"].lower()]
        month, year = ref.month, ref.year
        for _ in range(WEEKDAY_DAY_MONTHS):
            found = _safe_date(year, month, n)
            if found is not None and found > ref and found.weekday() == target:
                return found
            month, year = (1, year + 1) if month == 12 else (month + 1, year)
    mod = re.sub(r"\s+", " ", (m["mod"] or "").lower())
    if mod == "next":
        next_monday = ref + dt.timedelta(days=7 - ref.weekday())
        return next_monday + dt.timedelta(days=target)
    ahead = (target - ref.weekday()) % 7 or 7
    found = ref + dt.timedelta(days=ahead)
    if m["week"] or mod == "a week on":
        found += dt.timedelta(days=7)
    return found


def _weeks_from(text: str, ref: dt.date) -> dt.date | None:
    m = _WEEKS_FROM.search(text)
    if m is None:
        return None
    count = int(m["n"]) if m["n"] else _UNITS[re.sub(r"\s+", " ", m["w"].lower())]
    days = count * (14 if m["unit"].lower() == "fortnight" else 7)
    return ref + dt.timedelta(days=days + (m["day"].lower() == "tomorrow"))


def _span(text: str, ref: dt.date) -> dt.date | None:
    if _FORTNIGHT.search(text):
        return ref + dt.timedelta(days=14)
    m = _IN_SPAN.search(text)
    if m is None:
        return None
    count = int(m["n"]) if m["n"] else _UNITS[re.sub(r"\s+", " ", m["w"].lower())]
    unit = m["unit"].lower()
    if unit == "month":
        month_index = ref.month - 1 + count
        year, month = ref.year + month_index // 12, month_index % 12 + 1
        day = min(ref.day, calendar.monthrange(year, month)[1])
        return dt.date(year, month, day)
    if m["working"] and unit == "day":   # "within five working days": Monday to Friday
        found = ref
        while count > 0:
            found += dt.timedelta(days=1)
            count -= found.weekday() < 5
        return found
    days = {"day": 1, "week": 7, "fortnight": 14}[unit]
    return ref + dt.timedelta(days=days * count)


def _relative(text: str, ref: dt.date) -> dt.date | None:
    m = _RELATIVE.search(text)
    if m is None:
        return None
    what = re.sub(r"\s+", " ", m["what"].lower())
    if what in ("today", "tonight", "this afternoon", "this evening"):
        return ref
    if what == "tomorrow":
        return ref + dt.timedelta(days=1)
    if what == "next week":
        return ref + dt.timedelta(days=7)
    if what == "next month":
        return _span("in one month", ref)
    if what.endswith("week"):
        return ref + dt.timedelta(days=(4 - ref.weekday()) % 7)
    return dt.date(ref.year, ref.month, calendar.monthrange(ref.year, ref.month)[1])

import datetime as dt

import pytest

from server.notes.dates import resolve_date

THURSDAY = dt.date(2026, 11, 26)


@pytest.mark.parametrize(("spoken", "expected"), [
    ("next Tuesday", dt.date(2026, 12, 1)),
    ("Tuesday the 22nd", dt.date(2026, 12, 22)),    # the 22nd that is a Tuesday
    ("Tuesday 8th", dt.date(2026, 12, 8)),          # as recognition writes it, no "the"
    ("within five working days", dt.date(2026, 12, 3)),   # Thursday + 5 weekdays
    ("within ten working days", dt.date(2026, 12, 10)),
    ("Monday the seventh", dt.date(2026, 12, 7)),
    ("I'll do that by Friday", dt.date(2026, 11, 27)),
    ("on Thursday", dt.date(2026, 12, 3)),          # the same weekday means next week's
    ("Tuesday week", dt.date(2026, 12, 8)),
    ("a week on Friday", dt.date(2026, 12, 4)),
    ("in two weeks", dt.date(2026, 12, 10)),
    ("in a couple of weeks", dt.date(2026, 12, 10)),
    ("in a fortnight", dt.date(2026, 12, 10)),
    ("within 3 days", dt.date(2026, 11, 29)),
    ("in a month", dt.date(2026, 12, 26)),
    ("on the eighth of December", dt.date(2026, 12, 8)),
    ("in two weeks, on the tenth of December", dt.date(2026, 12, 10)),
    ("December 8th", dt.date(2026, 12, 8)),
    ("8th December 2027", dt.date(2027, 12, 8)),
    ("the twenty-first of January", dt.date(2027, 1, 21)),   # past this year: next year's
    ("8/12", dt.date(2026, 12, 8)),                           # day/month, UK order
    ("2026-12-08", dt.date(2026, 12, 8)),
    ("tonight", THURSDAY),
    ("tomorrow", dt.date(2026, 11, 27)),
    ("by the end of the week", dt.date(2026, 11, 27)),
    ("end of the month", dt.date(2026, 11, 30)),
    ("a week today", dt.date(2026, 12, 3)),                  # counted from today, not today
    ("three weeks tomorrow", dt.date(2026, 12, 18)),
    ("a fortnight today", dt.date(2026, 12, 10)),
])
def test_spoken_dates_resolve_against_the_meeting_date(spoken: str, expected: dt.date) -> None:
    assert resolve_date(spoken, THURSDAY) == expected


@pytest.mark.parametrize("spoken", [None, "", "soon", "when she's ready", "the 31st of February"])
def test_no_date_is_none(spoken: str | None) -> None:
    assert resolve_date(spoken, THURSDAY) is None


def test_next_weekday_from_a_monday_is_in_the_following_week() -> None:
    monday = dt.date(2026, 11, 23)
    assert resolve_date("next Tuesday", monday) == dt.date(2026, 12, 1)
    assert resolve_date("on Tuesday", monday) == dt.date(2026, 11, 24)

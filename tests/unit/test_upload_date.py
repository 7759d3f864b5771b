"""The optional `date` of an upload: the day the visit took place, as the meeting's time."""

import datetime as dt

import pytest

from server.casenotes import meeting_date
from server.uploads import recorded_at


def test_a_visit_day_becomes_noon_utc_that_day_and_dates_the_note():
    held = recorded_at("2026-11-24")
    assert held == "2026-11-24T12:00:00.000000+00:00"
    assert meeting_date(held) == dt.date(2026, 11, 24)


def test_no_date_leaves_the_upload_time():
    assert recorded_at(None) is None and recorded_at("") is None


@pytest.mark.parametrize("bad", ["24/11/2026", "yesterday", "2026-13-01",
                                 (dt.date.today() + dt.timedelta(days=2)).isoformat()])
def test_a_bad_or_future_date_is_refused_with_a_reason(bad):
    with pytest.raises(ValueError, match="date"):
        recorded_at(bad)

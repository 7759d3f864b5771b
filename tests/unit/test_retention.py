from datetime import datetime, timedelta, timezone

from server.live import LiveMeetings
from server.retention import purge_expired
from server.settings import Settings
from server.state import AppState
from server.store import STOPPED, Store


class NoRunner:
    def close(self):
        pass


async def test_meetings_past_retention_are_deleted_and_newer_ones_kept(tmp_path):
    store = Store(tmp_path / "db.sqlite")
    now = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
    for meeting_id, age_days in (("m_old", 40), ("m_new", 3)):
        created = (now - timedelta(days=age_days)).isoformat(timespec="microseconds")
        store.create_meeting(meeting_id, "t", "en", "share-" + meeting_id, created, STOPPED)
    state = AppState(Settings(retention_days=30), "tok", store, NoRunner(), LiveMeetings())
    assert await purge_expired(state, now) == ["m_old"]
    assert store.meeting("m_old") is None and store.meeting("m_new") is not None
    keep_all = AppState(Settings(retention_days=0), "tok", store, NoRunner(), LiveMeetings())
    assert await purge_expired(keep_all, now + timedelta(days=400)) == []
    assert store.meeting("m_new") is not None

from datetime import datetime, timedelta, timezone

from server.casenotes import Notes
from server.live import LiveMeetings
from server.retention import purge_expired
from server.settings import Settings
from server.state import AppState
from server.store import STOPPED, SegmentRow, Store


class NoRunner:
    def close(self):
        pass


async def test_meetings_past_retention_are_deleted_and_newer_ones_kept(tmp_path):
    store = Store(tmp_path / "db.sqlite")
    now = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
    for meeting_id, age_days in (("m_old", 40), ("m_new", 3)):
        created = (now - timedelta(days=age_days)).isoformat(timespec="microseconds")
        store.create_meeting(meeting_id, "t", "en", "share-" + meeting_id, created, STOPPED)
    state = AppState(Settings(retention_days=30), "tok", store, NoRunner(), Notes(store),
                     LiveMeetings())
    assert await purge_expired(state, now) == ["m_old"]
    assert store.meeting("m_old") is None and store.meeting("m_new") is not None
    keep_all = AppState(Settings(retention_days=0), "tok", store, NoRunner(), Notes(store),
                        LiveMeetings())
    assert await purge_expired(keep_all, now + timedelta(days=400)) == []
    assert store.meeting("m_new") is not None


def test_delete_removes_transcript_note_flags_and_documents_from_the_file(tmp_path):
    path = tmp_path / "db.sqlite"
    store = Store(path)
    store.create_meeting("m_1", "t", "en", "share", "2026-11-27T10:00:00+00:00", STOPPED)
    store.add_final("m_1", 1, SegmentRow("s_1", "S1", 0.0, 1.0, "Zanzibarquux said it", []),
                    1.0, 2)
    store.save_draft("m_1", {"purpose": [{"text": "Quetzalwombat draft"}]}, "2026-11-27T10:01")
    store.save_edit("m_1", {"purpose": [{"text": "Quetzalwombat edit"}]}, "2026-11-27T10:02")
    store.add_risk_flag("m_1", "s_1", "no heating", "Flamingoplumb flag")
    store.add_document("d_1", "m_1", "letter", "2026-11-27T10:03", {"text": "Xylophant letter"})
    assert store.note("m_1").current()[0] == "edited"
    assert store.delete_meeting("m_1")
    assert store.note("m_1") is None and store.risk_flags("m_1") == []
    assert store.documents("m_1") == [] and store.segments("m_1") == []
    store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    for secret in (b"Zanzibarquux", b"Quetzalwombat", b"Flamingoplumb", b"Xylophant"):
        assert secret not in raw

"""Persistence: meetings and final segments in SQLite (WAL), durable when a call returns.

Calls are blocking and short; the transport runs them on a worker thread. The SQL is kept
portable (no SQLite-only types) so PostgreSQL can follow.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SCHEMA = """
CREATE TABLE IF NOT EXISTS meetings (
    id            TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    status        TEXT NOT NULL,
    language      TEXT,
    created_at    TEXT NOT NULL,
    ended_at      TEXT,
    duration_s    REAL NOT NULL DEFAULT 0,
    received_s    REAL NOT NULL DEFAULT 0,
    next_segment  INTEGER NOT NULL DEFAULT 1,
    share_token   TEXT NOT NULL,
    speakers_json TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS segments (
    meeting_id  TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    segment_id  TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    speaker     TEXT NOT NULL,
    start_s     REAL NOT NULL,
    end_s       REAL NOT NULL,
    text        TEXT NOT NULL,
    words_json  TEXT NOT NULL,
    PRIMARY KEY (meeting_id, segment_id)
);
CREATE INDEX IF NOT EXISTS segments_by_time ON segments (meeting_id, start_s, seq);
CREATE TABLE IF NOT EXISTS notes (
    meeting_id   TEXT PRIMARY KEY REFERENCES meetings(id) ON DELETE CASCADE,
    status       TEXT NOT NULL,
    message      TEXT,
    draft_json   TEXT,
    drafted_at   TEXT,
    edited_json  TEXT,
    edited_at    TEXT
);
CREATE TABLE IF NOT EXISTS risk_flags (
    meeting_id  TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    segment_id  TEXT NOT NULL,
    cue         TEXT NOT NULL,
    text        TEXT NOT NULL,
    PRIMARY KEY (meeting_id, segment_id, cue)
);
CREATE TABLE IF NOT EXISTS documents (
    id          TEXT PRIMARY KEY,
    meeting_id  TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    body_json   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS voices (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    print       BLOB NOT NULL,
    speech_s    REAL NOT NULL,
    created_at  TEXT NOT NULL
);
"""

NOTE_NONE = "none"
NOTE_DRAFTING = "drafting"
NOTE_READY = "ready"
NOTE_FAILED = "failed"

LIVE = "live"
INTERRUPTED = "interrupted"
PROCESSING = "processing"
STOPPED = "stopped"


@dataclass(frozen=True)
class MeetingRow:
    id: str
    title: str
    status: str
    language: str | None
    created_at: str
    ended_at: str | None
    duration_s: float
    received_s: float
    next_segment: int
    share_token: str
    speakers: dict[str, Any]


@dataclass(frozen=True)
class SegmentRow:
    segment_id: str
    speaker: str
    start_s: float
    end_s: float
    text: str
    words: list[dict[str, Any]]

    def frame_fields(self) -> dict[str, Any]:
        return {"segment_id": self.segment_id, "speaker": self.speaker, "start": self.start_s,
                "end": self.end_s, "text": self.text, "words": self.words}


class Store:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            # FULL: a final is on disk before it is sent, even across a power cut.
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            # Deleted meetings are overwritten on disk, not just unlinked from the b-tree.
            self._db.execute("PRAGMA secure_delete=ON")
            self._db.executescript(SCHEMA)
        path.chmod(0o600)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _write(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        with self._lock:
            return self._db.execute(sql, params).rowcount

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def create_meeting(self, meeting_id: str, title: str, language: str | None,
                       share_token: str, created_at: str, status: str = LIVE) -> None:
        self._write("INSERT INTO meetings (id, title, status, language, created_at, share_token)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (meeting_id, title, status, language, created_at, share_token))

    def add_final(self, meeting_id: str, seq: int, segment: SegmentRow, received_s: float,
                  next_segment: int) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT INTO segments (meeting_id, segment_id, seq, speaker, start_s, end_s,"
                    " text, words_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (meeting_id, segment.segment_id, seq, segment.speaker, segment.start_s,
                     segment.end_s, segment.text, json.dumps(segment.words)))
                self._db.execute(
                    "UPDATE meetings SET received_s = MAX(received_s, ?), next_segment = ?"
                    " WHERE id = ?", (received_s, next_segment, meeting_id))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def update_speakers(self, meeting_id: str, changes: list[tuple[str, str]]) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "UPDATE segments SET speaker = ? WHERE meeting_id = ? AND segment_id = ?",
                    [(label, meeting_id, sid) for sid, label in changes])
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def set_status(self, meeting_id: str, status: str, *, duration_s: float | None = None,
                   ended_at: str | None = None) -> None:
        self._write("UPDATE meetings SET status = ?, duration_s = COALESCE(?, duration_s),"
                    " ended_at = COALESCE(?, ended_at) WHERE id = ?",
                    (status, duration_s, ended_at, meeting_id))

    def mark_live_interrupted(self) -> list[str]:
        """At start-up: meetings that were live when the server went down can be resumed;
        those it was still processing keep what was stored and count as stopped."""
        ids = [r["id"] for r in self._rows("SELECT id FROM meetings WHERE status = ?", (LIVE,))]
        self._write("UPDATE meetings SET status = ? WHERE status = ?", (INTERRUPTED, LIVE))
        self._write("UPDATE meetings SET status = ? WHERE status = ?", (STOPPED, PROCESSING))
        return ids

    def meeting(self, meeting_id: str) -> MeetingRow | None:
        rows = self._rows("SELECT * FROM meetings WHERE id = ?", (meeting_id,))
        return _meeting(rows[0]) if rows else None

    def meetings(self) -> list[MeetingRow]:
        return [_meeting(r) for r in
                self._rows("SELECT * FROM meetings ORDER BY created_at DESC, id DESC")]

    def segments(self, meeting_id: str) -> list[SegmentRow]:
        rows = self._rows("SELECT * FROM segments WHERE meeting_id = ? ORDER BY start_s, seq",
                          (meeting_id,))
        return [SegmentRow(r["segment_id"], r["speaker"], r["start_s"], r["end_s"], r["text"],
                           json.loads(r["words_json"])) for r in rows]

    def set_speakers(self, meeting_id: str, speakers: dict[str, Any]) -> None:
        self._write("UPDATE meetings SET speakers_json = ? WHERE id = ?",
                    (json.dumps(speakers), meeting_id))

    def rotate_share_token(self, meeting_id: str, token: str) -> bool:
        return self._write("UPDATE meetings SET share_token = ? WHERE id = ?",
                           (token, meeting_id)) > 0

    def is_share_token(self, token: str) -> bool:
        return bool(self._rows("SELECT 1 FROM meetings WHERE share_token = ?", (token,)))

    def meetings_created_before(self, cutoff_iso: str) -> list[str]:
        rows = self._rows("SELECT id FROM meetings WHERE created_at < ? AND status != ?",
                          (cutoff_iso, LIVE))
        return [r["id"] for r in rows]

    # -- notes, risk flags, documents ---------------------------------------------------

    def set_note_status(self, meeting_id: str, status: str, message: str | None = None) -> None:
        self._write("INSERT INTO notes (meeting_id, status, message) VALUES (?, ?, ?)"
                    " ON CONFLICT (meeting_id) DO UPDATE SET status = excluded.status,"
                    " message = excluded.message", (meeting_id, status, message))

    def save_draft(self, meeting_id: str, note: dict[str, Any], drafted_at: str,
                   status: str = NOTE_READY) -> None:
        self._write("INSERT INTO notes (meeting_id, status, draft_json, drafted_at)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT (meeting_id) DO UPDATE SET"
                    " status = excluded.status, message = NULL,"
                    " draft_json = excluded.draft_json, drafted_at = excluded.drafted_at",
                    (meeting_id, status, json.dumps(note), drafted_at))

    def save_edit(self, meeting_id: str, note: dict[str, Any], edited_at: str) -> bool:
        return self._write("UPDATE notes SET edited_json = ?, edited_at = ? WHERE meeting_id = ?"
                           " AND draft_json IS NOT NULL",
                           (json.dumps(note), edited_at, meeting_id)) > 0

    def note(self, meeting_id: str) -> NoteRow | None:
        rows = self._rows("SELECT * FROM notes WHERE meeting_id = ?", (meeting_id,))
        if not rows:
            return None
        r = rows[0]
        return NoteRow(r["status"], r["message"], _json_or_none(r["draft_json"]),
                       r["drafted_at"], _json_or_none(r["edited_json"]), r["edited_at"])

    def add_risk_flag(self, meeting_id: str, segment_id: str, cue: str, text: str) -> None:
        self._write("INSERT OR IGNORE INTO risk_flags (meeting_id, segment_id, cue, text)"
                    " VALUES (?, ?, ?, ?)", (meeting_id, segment_id, cue, text))

    def risk_flags(self, meeting_id: str) -> list[dict[str, str]]:
        rows = self._rows("SELECT segment_id, cue, text FROM risk_flags WHERE meeting_id = ?"
                          " ORDER BY rowid", (meeting_id,))
        return [{"type": "risk", "segment_id": r["segment_id"], "cue": r["cue"],
                 "text": r["text"]} for r in rows]

    def add_document(self, doc_id: str, meeting_id: str, kind: str, created_at: str,
                     body: dict[str, Any]) -> None:
        self._write("INSERT INTO documents (id, meeting_id, kind, created_at, body_json)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (doc_id, meeting_id, kind, created_at, json.dumps(body)))

    def document(self, meeting_id: str, doc_id: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT body_json FROM documents WHERE meeting_id = ? AND id = ?",
                          (meeting_id, doc_id))
        return json.loads(rows[0]["body_json"]) if rows else None

    def update_document(self, meeting_id: str, doc_id: str, body: dict[str, Any]) -> bool:
        return self._write("UPDATE documents SET body_json = ? WHERE meeting_id = ? AND id = ?",
                           (json.dumps(body), meeting_id, doc_id)) > 0

    def documents(self, meeting_id: str) -> list[dict[str, Any]]:
        rows = self._rows("SELECT body_json FROM documents WHERE meeting_id = ?"
                          " ORDER BY created_at, id", (meeting_id,))
        return [json.loads(r["body_json"]) for r in rows]

    def notes_left_drafting(self) -> list[str]:
        """At start-up: stopped meetings whose note the last shutdown cut short or that
        never got one (stopped while processing)."""
        rows = self._rows("SELECT m.id FROM meetings m LEFT JOIN notes n ON n.meeting_id = m.id"
                          " WHERE m.status IN (?, ?) AND (n.status IS NULL OR n.status = ?)",
                          (STOPPED, PROCESSING, NOTE_DRAFTING))
        return [r["id"] for r in rows]

    def add_voice(self, voice_id: str, name: str, role: str, print_: np.ndarray,
                  speech_s: float, created_at: str) -> None:
        self._write("INSERT INTO voices (id, name, role, print, speech_s, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (voice_id, name, role, np.asarray(print_, dtype="<f4").tobytes(),
                     float(speech_s), created_at))

    def voices(self) -> list[VoiceRow]:
        return [VoiceRow(r["id"], r["name"], r["role"],
                         np.frombuffer(r["print"], dtype="<f4").astype(np.float64),
                         r["speech_s"], r["created_at"])
                for r in self._rows("SELECT * FROM voices ORDER BY created_at, id")]

    def delete_voice(self, voice_id: str) -> bool:
        deleted = self._write("DELETE FROM voices WHERE id = ?", (voice_id,))
        if deleted:
            with self._lock:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return bool(deleted)

    def delete_meeting(self, meeting_id: str) -> bool:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            for table in ("segments", "notes", "risk_flags", "documents"):
                self._db.execute(f"DELETE FROM {table} WHERE meeting_id = ?", (meeting_id,))
            deleted = self._db.execute("DELETE FROM meetings WHERE id = ?",
                                       (meeting_id,)).rowcount
            self._db.execute("COMMIT")
        if deleted:
            with self._lock:
                # Old page images linger in the WAL until it is checkpointed and truncated.
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return bool(deleted)


@dataclass(frozen=True)
class VoiceRow:
    """An enrolled voice: whom it belongs to, and its voice print (a unit vector)."""
    voice_id: str
    name: str
    role: str
    print: np.ndarray
    speech_s: float
    created_at: str

    def to_wire(self) -> dict[str, Any]:
        return {"voice_id": self.voice_id, "name": self.name, "role": self.role,
                "speech_s": round(self.speech_s, 1), "created_at": self.created_at}


@dataclass(frozen=True)
class NoteRow:
    status: str                       # NOTE_DRAFTING, NOTE_READY or NOTE_FAILED
    message: str | None
    draft: dict[str, Any] | None      # the drafter's note (PROTOCOL.md's schema)
    drafted_at: str | None
    edited: dict[str, Any] | None     # the worker's saved version, kept beside the draft
    edited_at: str | None

    def current(self) -> tuple[str, dict[str, Any]] | None:
        """The note as it stands: the worker's version unless a newer draft replaced it."""
        if self.edited is not None and (self.draft is None
                                        or (self.edited_at or "") >= (self.drafted_at or "")):
            return "edited", self.edited
        if self.draft is not None:
            return "draft", self.draft
        return None


def _json_or_none(text: str | None) -> dict[str, Any] | None:
    return None if text is None else json.loads(text)


def _meeting(row: sqlite3.Row) -> MeetingRow:
    return MeetingRow(row["id"], row["title"], row["status"], row["language"],
                      row["created_at"], row["ended_at"], row["duration_s"], row["received_s"],
                      row["next_segment"], row["share_token"], json.loads(row["speakers_json"]))

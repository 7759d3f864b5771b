"""Transcript exports: txt, json, srt, vtt."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from server.store import MeetingRow, SegmentRow

MEDIA_TYPES = {
    "txt": "text/plain; charset=utf-8",
    "json": "application/json",
    "srt": "application/x-subrip; charset=utf-8",
    "vtt": "text/vtt; charset=utf-8",
}


def speaker_name(label: str, speakers: dict[str, Any]) -> str:
    named = speakers.get(label) or {}
    name = (named.get("name") or "").strip()
    role = (named.get("role") or "").strip()
    if name and role:
        return f"{name} ({role})"
    return name or label


def meeting_json(row: MeetingRow, segments: list[SegmentRow],
                 duration_s: float | None = None) -> dict[str, Any]:
    return {"id": row.id, "title": row.title, "status": row.status,
            "created_at": row.created_at,
            "duration_s": round(duration_s if duration_s is not None else row.duration_s, 3),
            "speakers": row.speakers,
            "segments": [s.frame_fields() for s in segments]}


def _clock(seconds: float, sep: str) -> str:
    ms = max(0, int(round(seconds * 1000)))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _mmss(seconds: float) -> str:
    total = int(seconds)
    return f"{total // 60:02d}:{total % 60:02d}"


def to_txt(row: MeetingRow, segments: list[SegmentRow]) -> str:
    lines = [row.title, f"Recorded {row.created_at}", ""]
    lines += [f"[{_mmss(s.start_s)}] {speaker_name(s.speaker, row.speakers)}: {s.text}"
              for s in segments]
    return "\n".join(lines) + "\n"


def to_srt(row: MeetingRow, segments: list[SegmentRow]) -> str:
    cues = [f"{i}\n{_clock(s.start_s, ',')} --> {_clock(max(s.end_s, s.start_s), ',')}\n"
            f"{speaker_name(s.speaker, row.speakers)}: {s.text}\n"
            for i, s in enumerate(segments, start=1)]
    return "\n".join(cues)


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(row: MeetingRow, segments: list[SegmentRow]) -> str:
    cues = [f"{_clock(s.start_s, '.')} --> {_clock(max(s.end_s, s.start_s), '.')}\n"
            f"<v {_vtt_escape(speaker_name(s.speaker, row.speakers))}>{_vtt_escape(s.text)}\n"
            for s in segments]
    return "WEBVTT\n\n" + "\n".join(cues)


def to_json(row: MeetingRow, segments: list[SegmentRow]) -> str:
    return json.dumps(meeting_json(row, segments), ensure_ascii=False, indent=1)


EXPORTERS: dict[str, Callable[[MeetingRow, list[SegmentRow]], str]] = {
    "txt": to_txt, "json": to_json, "srt": to_srt, "vtt": to_vtt,
}

"""A whole recording through the live pipeline (session + stream), as fast as it runs."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from server.engines.base import SAMPLE_RATE_HZ, Transcriber
from server.live import segment_row
from server.session import MeetingSession, SegmentFinalised, SessionEvent
from server.speakers import MeetingSpeakers
from server.store import SegmentRow
from server.wire import Start

FEED_S = 1.0


def transcribe_audio(engine: Transcriber, audio: np.ndarray, language: str | None,
                     meeting_id: str = "offline", diariser: Any = None) -> list[SegmentRow]:
    fmt = Start(sample_rate_hz=SAMPLE_RATE_HZ, encoding="pcm_f32le", channels=1,
                language=language, title=meeting_id, meeting_id=None, resume_from_s=None)
    session = MeetingSession(meeting_id, fmt, max_frame_s=FEED_S)
    stream = engine.open_stream(language, partials=False)
    rows: list[SegmentRow] = []
    step = int(FEED_S * SAMPLE_RATE_HZ)
    for lo in range(0, audio.size, step):
        session.receive_audio(audio[lo:lo + step].astype("<f4").tobytes())
        stream.accept(session.take_audio())
        rows += _finals(session.apply(stream.step()))
    stream.accept(session.take_audio(final=True))
    rows += _finals(session.apply(stream.finish()))
    rows.sort(key=lambda r: r.start_s)
    return label_speakers(rows, audio, diariser) if diariser is not None else rows


def label_speakers(rows: list[SegmentRow], audio: np.ndarray, diariser: Any
                   ) -> list[SegmentRow]:
    """The whole-recording speaker pass over finished segments."""
    speakers = MeetingSpeakers(diariser)
    speakers.accept(audio)
    for row in rows:
        speakers.track(row.segment_id, row.start_s, row.end_s, row.speaker)
    changes = dict(speakers.refine())
    return [replace(row, speaker=changes.get(row.segment_id, row.speaker)) for row in rows]


def _finals(events: list[SessionEvent]) -> list[SegmentRow]:
    return [segment_row(e) for e in events if isinstance(e, SegmentFinalised)]

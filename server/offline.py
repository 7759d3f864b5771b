"""A whole recording through the live pipeline (session + stream), as fast as it runs."""

from __future__ import annotations

import numpy as np

from server.engines.base import SAMPLE_RATE_HZ, Transcriber
from server.live import event_frame
from server.session import MeetingSession, SegmentFinalised
from server.store import SegmentRow
from server.wire import Start

FEED_S = 1.0


def transcribe_audio(engine: Transcriber, audio: np.ndarray, language: str | None,
                     meeting_id: str = "offline") -> list[SegmentRow]:
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
    return sorted(rows, key=lambda r: r.start_s)


def _finals(events: list) -> list[SegmentRow]:
    out = []
    for event in events:
        if isinstance(event, SegmentFinalised):
            frame = event_frame(event)
            out.append(SegmentRow(frame["segment_id"], frame["speaker"], frame["start"],
                                  frame["end"], frame["text"], frame["words"]))
    return out

"""MeetingSession: the state of one meeting's recognition, with no I/O.

Bytes go in, typed events come out; no asyncio, no sockets, no models, so a unit test can
drive it with a fake engine. The caller's duties:

* pass every binary frame to :meth:`receive_audio` (it raises :class:`WireError` for a
  frame that is not whole samples or is over the limit, and keeps everything before it);
* hand :meth:`take_audio` to the meeting's ``TranscriberStream`` and feed each
  ``StreamUpdate`` it returns back through :meth:`apply`, in order;
* store every ``SegmentFinalised`` durably before sending it anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from server.audio import StreamResampler, decode_pcm
from server.engines.base import Hypothesis, StreamUpdate
from server.wire import CLOSE_TOO_LARGE, Start, WireError

DEFAULT_SPEAKER = "S1"


@dataclass(frozen=True)
class PartialRevised:
    segment_id: str
    speaker: str
    hypothesis: Hypothesis
    behind_s: float


@dataclass(frozen=True)
class SegmentFinalised:
    segment_id: str
    speaker: str
    hypothesis: Hypothesis
    behind_s: float


SessionEvent = PartialRevised | SegmentFinalised
Labeler = Callable[[Hypothesis], list[str]]
MIN_PIECE_WORDS = 2  # a lone word labelled differently is more likely noise than a turn


def split_by_speaker(hyp: Hypothesis, labels: list[str], fallback: str
                     ) -> list[tuple[str, Hypothesis]]:
    """Cut a final where its words' speakers change (one label per word)."""
    words = hyp.words
    if not labels or len(labels) != len(words) or not words:
        return [(labels[0] if labels else fallback, hyp)]
    runs: list[list[int]] = []
    for i, label in enumerate(labels):
        if runs and labels[runs[-1][0]] == label:
            runs[-1].append(i)
        else:
            runs.append([i])
    merged: list[list[int]] = []
    for run in runs:
        if merged and (len(run) < MIN_PIECE_WORDS or len(merged[-1]) < MIN_PIECE_WORDS):
            merged[-1].extend(run)  # keeps the label of the longer-standing run
        else:
            merged.append(run)
    if len(merged) == 1:
        return [(_majority([labels[i] for i in merged[0]]), hyp)]
    pieces = []
    for run in merged:
        piece_words = tuple(words[i] for i in run)
        text = " ".join(w.text for w in piece_words)
        pieces.append((_majority([labels[i] for i in run]),
                       Hypothesis(text, piece_words[0].start_s, piece_words[-1].end_s,
                                  piece_words)))
    return pieces


def _majority(labels: list[str]) -> str:
    return max(sorted(set(labels)), key=labels.count)


class MeetingSession:
    """One meeting's audio clock, audio buffer and segment numbering."""

    def __init__(self, meeting_id: str, fmt: Start, *, max_frame_s: float = 1.0,
                 start_s: float = 0.0, next_segment: int = 1) -> None:
        self.meeting_id = meeting_id
        self.fmt = fmt
        self._max_frame_s = max_frame_s
        self.max_frame_bytes = self._frame_limit(fmt)
        self._start_s = start_s
        self._samples_in = 0  # at the client's rate, since start_s
        self._resampler = StreamResampler(fmt.sample_rate_hz)
        self._pending: list[np.ndarray] = []
        self._next_segment = next_segment
        self._open_segment: str | None = None
        self._processed_s = start_s
        self._speaker = DEFAULT_SPEAKER  # of the latest final: partials take it meanwhile

    def _frame_limit(self, fmt: Start) -> int:
        return max(1, int(round(self._max_frame_s * fmt.sample_rate_hz))) * fmt.bytes_per_sample

    @property
    def received_s(self) -> float:
        """Meeting time of the end of the audio received so far (client's sample clock)."""
        return self._start_s + self._samples_in / self.fmt.sample_rate_hz

    @property
    def behind_s(self) -> float:
        """How far recognition trails the audio received."""
        return max(0.0, self.received_s - self._processed_s)

    @property
    def next_segment(self) -> int:
        return self._next_segment

    def receive_audio(self, data: bytes) -> None:
        if len(data) > self.max_frame_bytes:
            raise WireError("frame_too_large",
                            f"audio frames are limited to {self.max_frame_bytes} bytes",
                            CLOSE_TOO_LARGE)
        try:
            samples = decode_pcm(data, self.fmt.encoding)
        except ValueError as exc:
            raise WireError("bad_audio", str(exc)) from None
        self._samples_in += samples.size
        self._pending.append(self._resampler.process(samples))

    def change_format(self, fmt: Start) -> None:
        """A reconnecting client may announce another rate or encoding; the clock goes on."""
        self._pending.append(self._resampler.flush())
        self._start_s = self.received_s
        self._samples_in = 0
        self.fmt = fmt
        self.max_frame_bytes = self._frame_limit(fmt)
        self._resampler = StreamResampler(fmt.sample_rate_hz)

    def add_silence(self, duration_s: float) -> None:
        """Record a gap the client cannot send (resume after a lost stretch)."""
        n = int(round(duration_s * self.fmt.sample_rate_hz))
        if n > 0:
            self._samples_in += n
            self._pending.append(self._resampler.process(np.zeros(n, dtype=np.float32)))

    def take_audio(self, final: bool = False) -> np.ndarray:
        """16 kHz audio received since the last call (``final`` also drains the resampler)."""
        if final:
            self._pending.append(self._resampler.flush())
        if not self._pending:
            return np.zeros(0, dtype=np.float32)
        audio = np.concatenate(self._pending) if len(self._pending) > 1 else self._pending[0]
        self._pending = []
        return audio.astype(np.float32, copy=False)


    def apply(self, update: StreamUpdate, labeler: Labeler | None = None
              ) -> list[SessionEvent]:
        """Events for one engine update. ``labeler`` gives the speaker of each word of a
        final (diarisation); a final whose words change speaker becomes one segment each."""
        self._processed_s = max(self._processed_s, update.processed_s)
        behind = round(self.behind_s, 2)
        events: list[SessionEvent] = []
        for hyp in update.finals:
            if not hyp.text.strip():
                continue
            labels = labeler(hyp) if labeler is not None else []
            for i, (speaker, piece) in enumerate(split_by_speaker(hyp, labels,
                                                                  self._speaker)):
                segment_id = (self._open_segment if i == 0 else None) or self._new_segment_id()
                if i == 0:
                    self._open_segment = None
                self._speaker = speaker
                events.append(SegmentFinalised(segment_id, speaker, piece, behind))
        partial = update.partial
        if partial is not None:
            if partial.text.strip():
                if self._open_segment is None:
                    self._open_segment = self._new_segment_id()
                events.append(PartialRevised(self._open_segment, self._speaker, partial, behind))
            elif self._open_segment is not None:
                events.append(PartialRevised(self._open_segment, self._speaker, partial, behind))
                self._open_segment = None
        return events

    def withdraw_open_partial(self) -> list[SessionEvent]:
        """At stop: a partial that no final replaced is withdrawn."""
        if self._open_segment is None:
            return []
        empty = Hypothesis("", self._processed_s, self._processed_s)
        event = PartialRevised(self._open_segment, DEFAULT_SPEAKER, empty, 0.0)
        self._open_segment = None
        return [event]

    def _new_segment_id(self) -> str:
        segment_id = f"s_{self._next_segment}"
        self._next_segment += 1
        return segment_id

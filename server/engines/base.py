"""The small protocols the session talks to, and the values that cross them.

Engines own models; a ``Transcriber`` is loaded once per process and shared by every
meeting, each of which opens its own ``TranscriberStream`` holding that meeting's state.
Stream methods are blocking and may be slow: callers run them on a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

SAMPLE_RATE_HZ = 16000


@dataclass(frozen=True)
class Word:
    text: str
    start_s: float
    end_s: float
    probability: float | None = None


@dataclass(frozen=True)
class Hypothesis:
    """Recognised text over a span of meeting audio (times in meeting seconds)."""

    text: str
    start_s: float
    end_s: float
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class StreamUpdate:
    """What a stream learned in one step.

    ``finals`` are committed, in time order, and never repeated by a later update.
    ``partial`` is the provisional text after the last final: ``None`` leaves the
    previous partial as it was, an empty ``Hypothesis.text`` withdraws it.
    ``processed_s`` is how far into the meeting audio the stream has looked.
    """

    finals: tuple[Hypothesis, ...] = ()
    partial: Hypothesis | None = None
    processed_s: float = 0.0


@dataclass(frozen=True)
class ModelInfo:
    name: str
    path: str
    details: dict[str, str] = field(default_factory=dict)


class TranscriberStream(Protocol):
    def accept(self, audio: np.ndarray) -> None:
        """Append 16 kHz mono float32 samples that follow the previous ones without a gap."""

    def step(self) -> StreamUpdate:
        """Recognise what the new audio allows. Blocking; call off the event loop."""

    def finish(self) -> StreamUpdate:
        """Commit everything accepted so far as finals. Blocking."""


class Transcriber(Protocol):
    name: str

    def open_stream(self, language: str | None, start_s: float = 0.0,
                    partials: bool = True) -> TranscriberStream:
        """A fresh per-meeting stream whose first sample is at meeting time ``start_s``.

        ``partials=False`` skips provisional text (offline transcription)."""

    def models(self) -> list[ModelInfo]:
        """The models this engine runs on, for ``/v1/health`` and ``casenote models``."""

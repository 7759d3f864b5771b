"""One meeting's speaker labels: live from the diariser stream, refined at the end.

Sans-I/O like the session: the live meeting feeds it audio and the finals it published,
runs its blocking steps on the worker thread, and sends the relabels it returns. Times here
are meeting seconds; the diariser's are seconds of the audio it was given, which begins at
``start_s`` (a resumed meeting starts its diariser afresh).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from server.engines.base import Hypothesis

RECENT_S = 30.0  # finals this close to the live edge may still be relabelled live
# Live review of the labels against a clustering of the kept voices (``review_stream``):
# first after this much audio, then each time the audio has grown by REVIEW_GROWTH (and by
# REVIEW_EVERY_S at least), so a long meeting is reviewed less and less often. Its cost is
# the clustering: milliseconds for minutes of speech, ~1 s for an hour.
REVIEW_FIRST_S = 20.0
REVIEW_EVERY_S = 15.0
REVIEW_GROWTH = 1.25


class Turn(Protocol):
    speaker: str
    start_s: float
    end_s: float


@dataclass
class _Tracked:
    start_s: float
    end_s: float
    speaker: str


@dataclass(frozen=True)
class _Span:
    start_s: float
    end_s: float


class MeetingSpeakers:
    def __init__(self, diariser: Any, start_s: float = 0.0) -> None:
        self._diariser = diariser
        self._stream = diariser.open_stream()
        self._start_s = start_s
        # A diariser that refines from its live stream needs no audio at the end; others
        # (a pyannote pipeline) diarise the whole meeting again from int16 kept here.
        self._from_stream = bool(getattr(diariser, "refines_streams", False))
        self._audio: list[np.ndarray] = []
        self._segments: dict[str, _Tracked] = {}
        self._reviews = self._from_stream and hasattr(diariser, "review_stream")
        self._next_review_s = REVIEW_FIRST_S

    def accept(self, audio: np.ndarray) -> None:
        if audio.size:
            self._stream.accept(audio)
            if not self._from_stream:
                self._audio.append((np.clip(audio, -1, 1) * 32767).astype(np.int16))

    # -- live ---------------------------------------------------------------------------

    def step(self) -> list[tuple[str, str]]:
        """Advance live diarisation (blocking); relabels of recent finals it implies."""
        if not self._stream.step():
            return []
        if self._reviews and self._stream.processed_s >= self._next_review_s:
            heard = self._stream.processed_s
            self._next_review_s = max(heard + REVIEW_EVERY_S, heard * REVIEW_GROWTH)
            if self._diariser.review_stream(self._stream):
                return self._relabel(self._segments)
        return self._relabel_recent()

    def finish(self) -> list[tuple[str, str]]:
        self._stream.finish()
        return self._relabel_recent()

    def voices(self) -> dict[str, tuple[Any, float]]:
        """Voice prints by label (``DiariserStream.voices``); none from a diariser that
        keeps no stream of its own."""
        voices = getattr(self._stream, "voices", None)
        return voices() if callable(voices) else {}

    def labeler(self, hyp: Hypothesis) -> list[str]:
        """The speaker of each word of a final; empty when the diariser knows nobody yet."""
        if not hyp.words:
            label = self._stream.label(hyp.start_s - self._start_s, hyp.end_s - self._start_s)
            return [label] if label else []
        shifted = [_Span(w.start_s - self._start_s, w.end_s - self._start_s) for w in hyp.words]
        labels = _fill_gaps(self._stream.labels_for_words(shifted))
        return labels if labels and all(labels) else []

    def track(self, segment_id: str, start_s: float, end_s: float, speaker: str) -> None:
        self._segments[segment_id] = _Tracked(start_s, end_s, speaker)

    def _relabel_recent(self) -> list[tuple[str, str]]:
        horizon = self._start_s + self._stream.revised_from_s - RECENT_S
        return self._relabel({sid: seg for sid, seg in self._segments.items()
                              if seg.end_s >= horizon})

    def _relabel(self, segments: dict[str, _Tracked]) -> list[tuple[str, str]]:
        """Changes of these segments' labels to what the stream now says."""
        changes = []
        for segment_id, seg in segments.items():
            label = self._stream.label(seg.start_s - self._start_s, seg.end_s - self._start_s)
            if label and label != seg.speaker:
                seg.speaker = label
                changes.append((segment_id, label))
        return changes

    # -- at the end ---------------------------------------------------------------------

    def refine(self) -> list[tuple[str, str]]:
        """Diarise the whole meeting again (blocking); relabels against the live labels.

        Either from what the live stream kept (it labels any audio it has not stepped over
        first) or from the meeting's audio. Refined clusters are matched to live labels by
        overlap, so names the worker gave stay with the same voice; a voice the live pass
        missed gets a fresh label."""
        if not self._segments:
            return []
        if self._from_stream:
            turns = self._diariser.refine_stream(self._stream)
        elif self._audio:
            audio = np.concatenate(self._audio).astype(np.float32) / 32768.0
            turns = self._diariser.refine(audio)
        else:
            return []
        refined = {sid: _majority(turns, seg.start_s - self._start_s,
                                  seg.end_s - self._start_s)
                   for sid, seg in self._segments.items()}
        mapping = _align({sid: seg.speaker for sid, seg in self._segments.items()}, refined,
                         {sid: seg.end_s - seg.start_s for sid, seg in self._segments.items()})
        changes = []
        for sid, seg in self._segments.items():
            label = mapping.get(refined[sid] or "", seg.speaker)
            if label != seg.speaker:
                seg.speaker = label
                changes.append((sid, label))
        return changes



def _fill_gaps(labels: Sequence[str | None]) -> list[str]:
    """Unknown words take the label of the nearest known word before (else after) them."""
    out: list[str | None] = list(labels)
    last = None
    for i, label in enumerate(out):
        out[i] = label or last
        last = out[i]
    following = None
    for i in range(len(out) - 1, -1, -1):
        out[i] = out[i] or following
        following = out[i]
    return [label or "" for label in out]


def _majority(turns: Sequence[Turn], start_s: float, end_s: float) -> str | None:
    talk: dict[str, float] = {}
    for turn in turns:
        overlap = min(end_s, turn.end_s) - max(start_s, turn.start_s)
        if overlap > 0:
            talk[turn.speaker] = talk.get(turn.speaker, 0.0) + overlap
    return max(sorted(talk), key=talk.__getitem__) if talk else None


def _align(live: dict[str, str], refined: dict[str, str | None],
           weight: dict[str, float]) -> dict[str, str]:
    """refined label -> live label, maximising the speech both agree on."""
    from scipy.optimize import linear_sum_assignment

    new_labels = sorted({r for r in refined.values() if r})
    old_labels = sorted(set(live.values()))
    if not new_labels:
        return {}
    agree = np.zeros((len(new_labels), len(old_labels)))
    for sid, new in refined.items():
        if new:
            agree[new_labels.index(new), old_labels.index(live[sid])] += weight[sid]
    rows, cols = linear_sum_assignment(-agree)
    mapping = {new_labels[r]: old_labels[c] for r, c in zip(rows, cols) if agree[r, c] > 0}
    taken = set(mapping.values())
    next_index = 1
    for label in new_labels:
        if label in mapping:
            continue
        while f"S{next_index}" in taken or f"S{next_index}" in old_labels:
            next_index += 1
        mapping[label] = f"S{next_index}"
        taken.add(mapping[label])
    return mapping

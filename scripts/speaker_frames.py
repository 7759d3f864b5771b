"""What a recording socket says about speakers, as a benchmark client keeps it.

``Recording.take`` every frame of one meeting in arrival order (times in s since the first
audio frame was sent): it keeps each ``final``, applies each ``speakers`` relabel as it
arrives, remembers whether it came before or after ``stopped``, and snapshots the labels
as they stood at ``stopped``. No sockets here, so the bookkeeping can be checked alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from server.engines.speakers_live import SpeakerTurn


@dataclass(frozen=True)
class FinalSeen:
    segment_id: str
    speaker: str  # as sent in the final
    start_s: float
    end_s: float
    arrived_s: float


@dataclass(frozen=True)
class Relabel:
    segment_id: str
    speaker: str
    arrived_s: float
    after_stopped: bool


@dataclass
class Recording:
    """The frames of one meeting, times in s since the first audio frame was sent.

    ``take`` every frame in arrival order. A ``speakers`` change that names a segment's
    current label again changes nothing and is counted apart (``unchanged``)."""

    finals: dict[str, FinalSeen] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # every segment's label now
    live: dict[str, str] | None = None  # the labels when ``stopped`` arrived
    settled_s: dict[str, float] = field(default_factory=dict)  # last live change
    relabels: list[Relabel] = field(default_factory=list)
    unchanged: int = 0
    unknown: int = 0  # changes naming a segment no final had announced
    late_finals: int = 0  # finals after ``stopped`` (the protocol says none)
    stop_sent_s: float | None = None
    stopped_s: float | None = None
    note_s: float | None = None  # the last ``note`` frame (ready or failed)
    closed_s: float | None = None
    close_code: int | None = None
    timed_out: bool = False
    errors: list[dict[str, Any]] = field(default_factory=list)

    def take(self, frame: dict[str, Any], now_s: float) -> None:
        kind = frame.get("type")
        if kind == "final":
            self._final(frame, now_s)
        elif kind == "speakers":
            for change in frame.get("changes", []):
                self._relabel(change["segment_id"], change["speaker"], now_s)
        elif kind == "stopped":
            self.stopped_s, self.live = now_s, dict(self.labels)
        elif kind == "note" and frame.get("status") in ("ready", "failed"):
            self.note_s = now_s
        elif kind == "error":
            self.errors.append(frame | {"arrived_s": round(now_s, 3)})

    def _final(self, frame: dict[str, Any], now_s: float) -> None:
        if self.stopped_s is not None:
            self.late_finals += 1
        seen = FinalSeen(frame["segment_id"], frame["speaker"], float(frame["start"]),
                         float(frame["end"]), now_s)
        self.finals[seen.segment_id] = seen
        self.labels[seen.segment_id] = seen.speaker

    def _relabel(self, segment_id: str, speaker: str, now_s: float) -> None:
        if segment_id not in self.finals:
            self.unknown += 1
        if self.labels.get(segment_id) == speaker:
            self.unchanged += 1
            return
        self.labels[segment_id] = speaker
        after = self.stopped_s is not None
        self.relabels.append(Relabel(segment_id, speaker, now_s, after))
        if not after:
            self.settled_s[segment_id] = now_s

    def live_labels(self) -> dict[str, str]:
        """At ``stopped``; if it never came, as things stood at the end."""
        return self.live if self.live is not None else dict(self.labels)

    def label_latency_s(self) -> list[float]:
        """Per final: from its arrival to its last live label change (0 if none)."""
        return [self.settled_s.get(f.segment_id, f.arrived_s) - f.arrived_s
                for f in self.finals.values()]


def turns_from(segments: Iterable[tuple[str, float, float]]) -> list[SpeakerTurn]:
    """Speaker turns from (label, start_s, end_s) of transcript segments; empty spans go."""
    return [SpeakerTurn(label, start, end) for label, start, end in segments if end > start]


def live_turns(rec: Recording) -> list[SpeakerTurn]:
    labels = rec.live_labels()
    return turns_from((labels[f.segment_id], f.start_s, f.end_s) for f in rec.finals.values())


def stored_turns(segments: list[dict[str, Any]]) -> list[SpeakerTurn]:
    return turns_from((s["speaker"], float(s["start"]), float(s["end"])) for s in segments)


def store_mismatches(rec: Recording, segments: list[dict[str, Any]]) -> list[str]:
    """Segments whose stored label is not the one the frames left it with, or that only
    one side has: the socket and the store should tell the same story."""
    stored = {s["segment_id"]: s["speaker"] for s in segments}
    ids = sorted(set(stored) | set(rec.labels), key=lambda sid: (len(sid), sid))  # s_9 < s_10
    return [sid for sid in ids if stored.get(sid) != rec.labels.get(sid)]

"""Speaker turns, and live speaker labels for one meeting while it is recorded.

``DiariserStream`` runs segmentation-3.0 on a rolling window of the newest audio every
``step_s`` of audio, embeds each local speaker's clean speech in the newest part of the
window with CAM++, and matches it to running voice centroids (cosine): close enough is that
speaker, far from all of them with enough speech is a new one. Labels S1, S2, … are given
in order of first appearance and never renamed; the newest ``settle_s`` of labels may still
be revised by the next step, older ones are final. The whole meeting is diarised again,
better, when it ends (``Diariser.refine``); or, with ``keep_windows``, each step keeps its
window's segmentation and the embeddings of its local speakers (``windows``, ~6 MiB an
hour) and ``Diariser.refine_stream`` clusters them over the whole meeting without running a
model again.

Not thread-safe: one meeting's stream is used by one worker at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
from scipy.optimize import linear_sum_assignment

from server.engines.base import SAMPLE_RATE_HZ

if TYPE_CHECKING:
    from server.engines.diarise import Segmenter, SpeakerEmbedder

FBANK_HOP_S = 0.010
FBANK_WIN_S = 0.025
LOCAL_SPEAKERS = 3  # per segmentation window, at most two at once (the model's powerset)
SILENT = -1  # frame label: nobody (or nobody known) speaks
STRANGER = -2  # a local speaker unlike every known one, not yet a speaker of its own
MAX_STRANGERS = 20


@dataclass(frozen=True)
class SpeakerTurn:
    """One speaker talking over a span of the given audio; turns may overlap."""

    speaker: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class WindowVoices:
    """What one step saw, kept for re-clustering the whole meeting at its end."""

    first_frame: int  # of the stream's frames
    activity: np.ndarray  # (frames, LOCAL_SPEAKERS) bool: who of the locals talks
    locals_: tuple[int, ...]  # the locals with an embedding ...
    vectors: np.ndarray  # ... their unit CAM++ embeddings, (len(locals_), dim) float32
    speech_s: tuple[float, ...]  # ... and the speech each embedding is of


class TimedWord(Protocol):
    start_s: float
    end_s: float


@dataclass(frozen=True)
class LiveOptions:
    window_s: float = 8.0  # audio the segmentation sees each step
    step_s: float = 1.5  # new audio between steps; labels lag the audio by up to this
    settle_s: float = 2.5  # labels this close to the newest audio may still change
    embed_s: float = 5.0  # only the newest part of a window is embedded (cost)
    min_embed_s: float = 0.6  # speech a local speaker needs for an embedding
    new_speaker_s: float = 1.2  # clean speech needed to open a new speaker
    same_voice: float = 0.55  # cosine similarity to a centroid that is that speaker
    new_voice: float = 0.45  # below this against every centroid: somebody new
    young_s: float = 4.0  # a speaker with less speech than this so far is young ...
    young_margin: float = 0.1  # ... and voices may be this much less similar to it
    fill_gap_s: float = 0.3  # same-speaker pauses shorter than this are bridged in turns
    min_turn_s: float = 0.2


class DiariserStream:
    def __init__(self, segmenter: Segmenter, embedder: SpeakerEmbedder,
                 options: LiveOptions | None = None, keep_windows: bool = False) -> None:
        self.options = options or LiveOptions()
        self.keep_windows = keep_windows
        self._segmenter = segmenter
        self._embedder = embedder
        self._step_s = segmenter.frame_step_s
        self._pending: list[np.ndarray] = []
        self._audio = np.zeros(0, dtype=np.float32)  # the newest ``window_s`` at most
        self._audio_start_s = 0.0
        self._stepped_to_s = 0.0
        # Per segmentation frame: who holds the floor, and who talks over them.
        self._labels = np.full((0, 2), SILENT, dtype=np.int16)
        self._settled = 0  # frames before this index are final
        self._centroids: list[np.ndarray] = []  # running sums of unit embeddings
        self._mass: list[float] = []  # seconds of speech behind each centroid
        self._strangers: list[tuple[np.ndarray, float]] = []  # far voices, too short alone
        self.revised_from_s = 0.0
        self.windows: list[WindowVoices] = []  # with ``keep_windows``: each step's

    # -- audio in, turns out ------------------------------------------------------------------

    def accept(self, audio: np.ndarray) -> None:
        """Append 16 kHz mono float32 samples that follow the previous ones without a gap."""
        if audio.size:
            self._pending.append(np.asarray(audio, dtype=np.float32).reshape(-1))

    @property
    def labelled_s(self) -> float:
        """Labels reach this far into the audio (up to ``step_s`` behind what was accepted)."""
        return len(self._labels) * self._step_s

    @property
    def frame_step_s(self) -> float:
        return self._step_s

    @property
    def processed_s(self) -> float:
        """Audio the steps have seen (all that was accepted, after ``finish``)."""
        return self._stepped_to_s

    @property
    def settled_s(self) -> float:
        """Labels before this time are final."""
        return self._settled * self._step_s

    @property
    def frame_labels(self) -> np.ndarray:
        """(frames, 2) speaker index per segmentation frame: the floor, and who talks over
        it; ``SILENT`` (-1) where nobody known does. A copy."""
        return self._labels.copy()

    @property
    def speaker_count(self) -> int:
        return len(self._centroids)

    def voices(self) -> dict[str, tuple[np.ndarray, float]]:
        """Each label's voice print so far (a unit vector) and the seconds of speech it
        rests on; labels with no speech behind them are left out."""
        out: dict[str, tuple[np.ndarray, float]] = {}
        for index, (centroid, mass) in enumerate(zip(self._centroids, self._mass)):
            norm = float(np.linalg.norm(centroid))
            if mass > 0 and norm > 0:
                out[_name(index)] = (centroid / norm, float(mass))
        return out

    def adopt(self, active: np.ndarray, voices: dict[int, tuple[np.ndarray, float]]) -> None:
        """Take another labelling of the meeting so far (``Diariser.review_stream``):
        ``active`` (frames, speakers) says who talks in each frame, by speaker index, and
        ``voices`` gives each index its summed embedding and speech seconds. Every frame is
        relabelled, settled or not; an index absent from ``voices`` keeps no voice print
        (nothing matches it again). Later steps label new audio by the new voice prints."""
        from server.engines.review import floor_labels

        count = max([len(self._centroids), *(i + 1 for i in voices)])
        dim = next(iter(voices.values()))[0].shape[0] if voices else 0
        self._centroids = [np.asarray(voices[i][0], dtype=np.float64).copy() if i in voices
                           else np.zeros(dim) for i in range(count)]
        self._mass = [float(voices[i][1]) if i in voices else 0.0 for i in range(count)]
        self._strangers = []
        self._labels = floor_labels(active, self._labels).astype(np.int16)
        self.revised_from_s = 0.0

    def step(self) -> list[SpeakerTurn]:
        """Turns from ``revised_from_s`` on, replacing any the caller holds after that time
        (a turn that runs past it is cut there).

        Empty until ``step_s`` of new audio arrived; a stream that fell behind catches up in
        windows ``window_s - settle_s`` apart. Blocking; call off the event loop."""
        self._take_pending()
        if self._end_s - self._stepped_to_s < self.options.step_s:
            self.revised_from_s = self.labelled_s  # nothing revised
            return []
        revised = self._settled
        while self._end_s - self._stepped_to_s >= self.options.step_s:
            self._process(min(self._end_s, self._stepped_to_s + self._max_advance_s), final=False)
        return self._revised_since(revised)

    def finish(self) -> list[SpeakerTurn]:
        """Label the rest of the audio and make every label final."""
        self._take_pending()
        revised = self._settled
        while self._end_s > self._stepped_to_s:
            self._process(min(self._end_s, self._stepped_to_s + self._max_advance_s), final=True)
        self._settled = len(self._labels)
        return self._revised_since(revised)

    def turns(self) -> list[SpeakerTurn]:
        """Every turn so far (final and provisional)."""
        return self._turns_from(0)

    def label(self, start_s: float, end_s: float) -> str | None:
        """The speaker most active in [start_s, end_s], or None if nobody known spoke."""
        lo, hi = self._frame(start_s), max(self._frame(end_s), self._frame(start_s) + 1)
        span = self._labels[max(lo, 0):max(hi, 0)].ravel()
        span = span[span != SILENT]
        if span.size == 0:
            return None
        return _name(int(np.bincount(span).argmax()))

    def labels_for_words(self, words: Sequence[TimedWord]) -> list[str | None]:
        """The speaker at each word's midpoint (else the nearest within 1 s, else None), so
        that a segment spanning a change of speaker can be split between words."""
        out = []
        for word in words:
            middle = (word.start_s + word.end_s) / 2
            found = self.label(middle - self._step_s, middle + self._step_s)
            if found is None:
                found = self.label(word.start_s, word.end_s) or self._nearest(middle, 1.0)
            out.append(found)
        return out

    # -- internals ------------------------------------------------------------------------------

    @property
    def _end_s(self) -> float:
        return self._audio_start_s + self._audio.size / SAMPLE_RATE_HZ

    def _frame(self, time_s: float) -> int:
        return int(round(time_s / self._step_s))

    @property
    def _max_advance_s(self) -> float:
        return max(self.options.step_s, self.options.window_s - self.options.settle_s)

    def _take_pending(self) -> None:
        if self._pending:
            self._audio = np.concatenate([self._audio, *self._pending])
            self._pending = []

    def _process(self, end_s: float, final: bool) -> None:
        """Segment, match and label the ``window_s`` of audio up to ``end_s``."""
        opts = self.options
        start_s = max(self._audio_start_s, end_s - opts.window_s)
        lo = int(round((start_s - self._audio_start_s) * SAMPLE_RATE_HZ))
        hi = int(round((end_s - self._audio_start_s) * SAMPLE_RATE_HZ))
        window = self._audio[lo:hi]
        if window.size < SAMPLE_RATE_HZ:
            window = np.pad(window, (0, SAMPLE_RATE_HZ - window.size))
        activity = self._segmenter(window[None])[0]
        first = self._frame(start_s)
        labels, voices = self._match_locals(activity, window, first)
        self._write(activity, labels, first)
        self._keep(first, activity, voices)
        settle = 0 if final else int(opts.settle_s / self._step_s)
        self._settled = max(self._settled, min(first + activity.shape[0] - settle,
                                               len(self._labels)))
        self._stepped_to_s = end_s
        drop = int((end_s - opts.window_s - self._audio_start_s) * SAMPLE_RATE_HZ)
        if drop > 0:  # keep one window before the newest step's end
            self._audio = self._audio[drop:]
            self._audio_start_s += drop / SAMPLE_RATE_HZ

    def _revised_since(self, frame: int) -> list[SpeakerTurn]:
        self.revised_from_s = frame * self._step_s
        return self._turns_from(frame)

    def _keep(self, first: int, activity: np.ndarray,
              voices: dict[int, tuple[np.ndarray, float]]) -> None:
        if not self.keep_windows or not activity.any():  # nobody spoke: nothing to stitch
            return
        locals_ = tuple(sorted(voices))
        vectors = np.stack([voices[k][0] for k in locals_]).astype(np.float32) if locals_ \
            else np.zeros((0, 0), dtype=np.float32)
        self.windows.append(WindowVoices(first, activity > 0, locals_, vectors,
                                         tuple(voices[k][1] for k in locals_)))

    def _match_locals(self, activity: np.ndarray, window: np.ndarray, first: int
                      ) -> tuple[list[int], dict[int, tuple[np.ndarray, float]]]:
        """The global speaker of each local speaker of this window, SILENT if unknown, and
        the embedding and speech seconds of each local that had enough speech for one."""
        opts = self.options
        centres = self._segmenter.frame_centres_s(activity.shape[0])
        # The newest ``embed_s``, or from the first unsettled frame when catching up.
        unsettled_s = (self._settled - first) * self._step_s
        recent = activity * (centres >= min(centres[-1] - opts.embed_s, unsettled_s))[:, None]
        voices: dict[int, tuple[np.ndarray, float]] = {}
        feats = None
        for local in range(LOCAL_SPEAKERS):
            mask = local_speech(recent, local, opts.min_embed_s / self._step_s)
            if mask is not None:
                feats = self._embedder.fbank(window) if feats is None else feats
                rows = fbank_rows_for(mask, centres, feats.shape[0])
                speech_s = float(mask.sum()) * self._step_s
                voices[local] = (self._embedder.embed(feats[rows]), speech_s)
        labels = self._match_voices(voices)
        for local, votes in enumerate(self._votes(activity, first)):
            continued = _continued(votes)
            if local not in voices and continued not in labels:
                labels[local] = continued  # too little speech to embed: as before, if free
        return labels, voices

    def _match_voices(self, voices: dict[int, tuple[np.ndarray, float]]) -> list[int]:
        """Close voices to their centroids (distinct), far ones with enough speech to new
        speakers, the rest to their nearest free centroid when not far from it."""
        opts = self.options
        labels = [SILENT] * LOCAL_SPEAKERS
        if not voices:
            return labels
        locals_ = list(voices)
        vectors = np.stack([voices[k][0] for k in locals_])
        sims = np.zeros((len(locals_), 0))
        if self._centroids:
            centroids = np.stack(self._centroids)
            centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-8)
            # A voice print from little speech is noisy: let voices come closer to it.
            young = np.array(self._mass) < opts.young_s
            sims = vectors @ centroids.T + opts.young_margin * young
            for row, col in zip(*linear_sum_assignment(-sims)):
                if sims[row, col] >= opts.same_voice:
                    labels[locals_[row]] = int(col)
                    self._centroids[col] += vectors[row] * voices[locals_[row]][1]
                    self._mass[col] += voices[locals_[row]][1]
        for row, local in enumerate(locals_):
            if labels[local] != SILENT:
                continue
            speech_s = voices[local][1]
            free = [c for c in range(sims.shape[1]) if c not in labels]
            if sims[row].max(initial=-1.0) < opts.new_voice:
                labels[local] = self._newcomer(vectors[row], speech_s)
            elif free and sims[row, free].max() >= opts.new_voice:
                labels[local] = free[int(np.argmax(sims[row, free]))]
        return labels

    def _votes(self, activity: np.ndarray, first: int) -> list[np.ndarray]:
        """Per local speaker: how many of its frames earlier steps gave to each speaker."""
        frames = max(0, min(activity.shape[0], len(self._labels) - first))
        known = self._labels[first:first + frames, 0]
        alone = activity[:frames].sum(axis=1) == 1
        counts = []
        for local in range(LOCAL_SPEAKERS):
            mine = known[(activity[:frames, local] > 0) & alone & (known != SILENT)]
            counts.append(np.bincount(mine, minlength=len(self._centroids)).astype(float))
        return counts

    def _newcomer(self, vector: np.ndarray, speech_s: float) -> int:
        """A voice far from every speaker: a new speaker once it, with earlier short pieces
        that sound like it, has ``new_speaker_s`` of speech; until then STRANGER."""
        pieces = [(vector, speech_s)] + [(v, w) for v, w in self._strangers
                                         if float(v @ vector) >= self.options.same_voice]
        if sum(w for _, w in pieces) < self.options.new_speaker_s:
            self._strangers = (self._strangers + [(vector, speech_s)])[-MAX_STRANGERS:]
            return STRANGER
        self._strangers = [(v, w) for v, w in self._strangers
                           if float(v @ vector) < self.options.same_voice]
        return self._open(sum(v * w for v, w in pieces), sum(w for _, w in pieces))

    def _open(self, vector: np.ndarray, speech_s: float) -> int:
        self._centroids.append(vector.copy())
        self._mass.append(speech_s)
        return len(self._centroids) - 1

    def _write(self, activity: np.ndarray, local_labels: list[int], first: int) -> None:
        """Relabel this window's frames from the first unsettled one on."""
        last = first + activity.shape[0]
        if len(self._labels) < last:
            grow = np.full((last - len(self._labels), 2), SILENT, dtype=np.int16)
            self._labels = np.concatenate([self._labels, grow])
        start = max(self._settled, first)
        floor = int(self._labels[start - 1, 0]) if start > 0 else SILENT
        mapping = np.array(local_labels)
        for frame in range(start, last):
            speakers = mapping[activity[frame - first] > 0]
            known = [int(k) for k in speakers if k >= 0]
            if not known and (speakers == SILENT).any():
                continue  # too little speech to tell who: keep what an earlier step said
            if floor in known:  # whoever holds the floor keeps it through an overlap
                known.remove(floor)
                known.insert(0, floor)
            self._labels[frame] = (known + [SILENT, SILENT])[:2]
            floor = int(self._labels[frame, 0])

    def _turns_from(self, frame: int) -> list[SpeakerTurn]:
        opts = self.options
        labels = self._labels[frame:]
        offset = frame * self._step_s
        turns = []
        for speaker in np.unique(labels[labels != SILENT]):
            talking = (labels == speaker).any(axis=1)
            for start_s, end_s in label_runs(talking, self._step_s, opts.fill_gap_s):
                if end_s - start_s >= opts.min_turn_s:
                    turns.append(SpeakerTurn(_name(int(speaker)), round(offset + start_s, 3),
                                             round(offset + end_s, 3)))
        return sorted(turns, key=lambda t: (t.start_s, t.speaker))

    def _nearest(self, time_s: float, reach_s: float) -> str | None:
        centre, reach = self._frame(time_s), int(reach_s / self._step_s)
        lo = max(0, centre - reach)
        near = np.flatnonzero(self._labels[lo:centre + reach + 1, 0] != SILENT)
        if near.size == 0:
            return None
        index = lo + int(near[np.argmin(np.abs(near + lo - centre))])
        return _name(int(self._labels[index, 0]))


def _name(speaker: int) -> str:
    return f"S{speaker + 1}"


def _continued(votes: np.ndarray) -> int:
    """The speaker that earlier steps gave most of these frames, if any."""
    return int(votes.argmax()) if votes.size and votes.max() > 0 else SILENT


# -- helpers shared with whole-recording diarisation --------------------------------------------


def local_speech(activity: np.ndarray, local: int, min_frames: float) -> np.ndarray | None:
    """Frames where ``local`` speaks alone, else all its frames; None if too few."""
    active = activity[:, local] > 0
    clean = active & (activity.sum(axis=1) == 1)
    if clean.sum() >= min_frames:
        return clean
    if active.sum() >= 2 * min_frames:
        return active
    return None


def fbank_rows_for(mask: np.ndarray, centres_s: np.ndarray, rows: int) -> np.ndarray:
    """Indices of fbank rows whose centre falls in a frame where ``mask`` is true."""
    row_centres = np.arange(rows) * FBANK_HOP_S + FBANK_WIN_S / 2
    step = centres_s[1] - centres_s[0] if centres_s.size > 1 else 1.0
    frame = np.clip(np.rint((row_centres - centres_s[0]) / step).astype(int), 0, mask.size - 1)
    return np.flatnonzero(mask[frame])


def match_distinct(similarity: np.ndarray) -> list[int]:
    """Best column for each row, no two rows sharing one while columns last."""
    best = [int(c) for c in np.argmax(similarity, axis=1)]
    for row, col in zip(*linear_sum_assignment(-similarity)):
        best[int(row)] = int(col)
    return best


def label_runs(active: np.ndarray, frame_step_s: float, fill_gap_s: float
               ) -> list[tuple[float, float]]:
    """Runs of true frames as (start_s, end_s), pauses under ``fill_gap_s`` bridged."""
    edges = np.diff(np.concatenate([[0], active.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    runs: list[tuple[float, float]] = []
    for a, b in zip(starts * frame_step_s, stops * frame_step_s):
        if runs and a - runs[-1][1] < fill_gap_s:
            runs[-1] = (runs[-1][0], float(b))
        else:
            runs.append((float(a), float(b)))
    return runs


def frames_to_turns(active: np.ndarray, frame_step_s: float, fill_gap_s: float,
                    min_turn_s: float, end_s: float) -> list[SpeakerTurn]:
    """(frames, speakers) activity as turns, labelled S1, S2, … by first turn."""
    spans: list[tuple[float, float, int]] = []
    for speaker in range(active.shape[1]):
        for start_s, stop_s in label_runs(active[:, speaker], frame_step_s, fill_gap_s):
            if stop_s - start_s >= min_turn_s:
                spans.append((start_s, min(stop_s, end_s), speaker))
    spans.sort()
    names: dict[int, str] = {}
    for _, _, speaker in spans:
        names.setdefault(speaker, _name(len(names)))
    return [SpeakerTurn(names[s], round(a, 3), round(b, 3)) for a, b, s in spans if b > a]


def most_active(turns: Sequence[SpeakerTurn], start_s: float, end_s: float) -> str | None:
    """The speaker with the most talk inside [start_s, end_s], or None if nobody spoke."""
    talk: dict[str, float] = {}
    for turn in turns:
        overlap = min(turn.end_s, end_s) - max(turn.start_s, start_s)
        if overlap > 0:
            talk[turn.speaker] = talk.get(turn.speaker, 0.0) + overlap
    return max(talk, key=lambda s: talk[s]) if talk else None

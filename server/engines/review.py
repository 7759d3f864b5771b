"""Judging a meeting's speaker labels by the voices themselves, with no truth to hand.

The live stream keeps a CAM++ embedding of each local speaker of each window
(``WindowVoices``). Any labelling of the meeting gives each of those voices a label, and
two measures say how well it fits them (``Fit``):

- ``cohesion``: how much each voice sounds like the rest of its own label. Two people
  under one label (a collapsed stream) lower it; splitting a person raises it a little.
- ``breaks``: the segmentation model hears one lone voice over the same frames of two
  overlapping windows; those two embeddings are one person for sure. The share of such
  linked speech that a labelling puts under two labels. Splitting a person raises it;
  merging people cannot.

Neither needs a threshold on what "different people" sound like. The end-of-meeting pass
is kept unless it fits worse on either, and a live stream takes a clustering of its own
voices when that clustering is clearly more cohesive and breaks no more
(``Diariser.review_stream``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from server.engines.speakers_live import SILENT, WindowVoices

MIN_LINK_S = 0.5    # the same lone speech in two windows, for them to be one person
MAX_SCORED = 2000   # voices whose cohesion is scored (those with the most speech)


@dataclass(frozen=True)
class Fit:
    """How a labelling fits the kept voices (see the module's docstring)."""

    cohesion: float   # weighted mean similarity of each voice to the rest of its label
    breaks: float     # share of the same person's linked speech put under two labels


def fit(vectors: np.ndarray, weights: np.ndarray, labels: np.ndarray,
        links: tuple[np.ndarray, np.ndarray, np.ndarray]) -> Fit:
    return Fit(cohesion(vectors, weights, labels), breaks(labels, links))


def cohesion(vectors: np.ndarray, weights: np.ndarray, labels: np.ndarray) -> float:
    """Weighted mean over voices of the similarity to the rest of its own label (0 for a
    voice with no label, or alone under its label). Two people under one label lower it."""
    if labels.size == 0 or weights.sum() <= 0:
        return 0.0
    if labels.size > MAX_SCORED:
        keep = np.argsort(-weights, kind="stable")[:MAX_SCORED]
        vectors, weights, labels = vectors[keep], weights[keep], labels[keep]
    scores = np.zeros(labels.size)
    weighted = vectors * weights[:, None]
    for c in np.unique(labels[labels >= 0]):
        mine = np.flatnonzero(labels == c)
        rest = weighted[mine].sum(axis=0)[None, :] - weighted[mine]   # leave each one out
        norms = np.linalg.norm(rest, axis=1)
        sims = np.einsum("ij,ij->i", vectors[mine], rest) / np.maximum(norms, 1e-8)
        scores[mine] = np.where(norms > 1e-6, sims, 0.0)
    return float(scores @ weights / weights.sum())


def breaks(labels: np.ndarray, links: tuple[np.ndarray, np.ndarray, np.ndarray]) -> float:
    """Of the speech linked across windows (``continuity_links``: one person, for sure),
    the share whose two voices do not carry one same label (different labels, or either
    unlabelled). Splitting a person raises it; merging people never does."""
    first, second, seconds = links
    if not first.size or seconds.sum() <= 0:
        return 0.0
    same = (labels[first] == labels[second]) & (labels[first] >= 0)
    return float(seconds[~same].sum() / seconds.sum())


def continuity_links(windows: Sequence[WindowVoices], frame_step_s: float
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of kept voices (``kept_voices`` indices) from two overlapping windows whose
    local speakers talk alone over the same frames for ``MIN_LINK_S`` or more: the
    segmentation heard one voice there in both windows, so both are the same person.
    Returns (first indices, second indices, seconds shared)."""
    base, index = [], 0
    for kept in windows:
        base.append(index)
        index += len(kept.locals_)
    alone = [k.activity & (k.activity.sum(axis=1, keepdims=True) == 1) for k in windows]
    first, second, shared = [], [], []
    for a, wa in enumerate(windows):
        end_a = wa.first_frame + wa.activity.shape[0]
        for b in range(a + 1, len(windows)):
            wb = windows[b]
            if wb.first_frame >= end_a:
                break
            lo, hi = wb.first_frame, min(end_a, wb.first_frame + wb.activity.shape[0])
            both = (alone[a][lo - wa.first_frame:hi - wa.first_frame].T.astype(np.float32)
                    @ alone[b][:hi - lo].astype(np.float32)) * frame_step_s
            for i, p in enumerate(wa.locals_):
                for j, q in enumerate(wb.locals_):
                    if both[p, q] >= MIN_LINK_S:
                        first.append(base[a] + i)
                        second.append(base[b] + j)
                        shared.append(float(both[p, q]))
    return (np.asarray(first, dtype=int), np.asarray(second, dtype=int),
            np.asarray(shared, dtype=float))


def kept_voices(windows: Sequence[WindowVoices]) -> tuple[np.ndarray, np.ndarray]:
    """Every kept voice's embedding and speech seconds, window by window, local by local."""
    vectors = [kept.vectors[i] for kept in windows for i in range(len(kept.locals_))]
    weights = [s for kept in windows for s in kept.speech_s]
    if not vectors:
        return np.zeros((0, 0)), np.zeros(0)
    return np.stack(vectors).astype(np.float64), np.asarray(weights, dtype=float)


def live_labels(windows: Sequence[WindowVoices], frame_labels: np.ndarray) -> np.ndarray:
    """The live label (speaker index) of each kept voice: the one most of its frames carry
    in ``frame_labels`` ((frames, 2): the floor and who talks over it), -1 if none."""
    out = []
    for kept in windows:
        for local in kept.locals_:
            frames = kept.first_frame + np.flatnonzero(kept.activity[:, local])
            frames = frames[frames < len(frame_labels)]
            said = frame_labels[frames].ravel()
            said = said[said >= 0]
            out.append(int(np.bincount(said).argmax()) if said.size else -1)
    return np.asarray(out, dtype=int)


def window_labels(windows: Sequence[WindowVoices], assignment: np.ndarray) -> np.ndarray:
    """Each kept voice's cluster from a (windows, locals) assignment, in ``kept_voices``
    order."""
    return np.asarray([assignment[w, local] for w, kept in enumerate(windows)
                       for local in kept.locals_], dtype=int)


def map_to_live(new: np.ndarray, live: np.ndarray, weights: np.ndarray,
                live_count: int) -> dict[int, int]:
    """Cluster id -> live speaker index, keeping as much speech under its live label as
    possible (so names the worker gave stay with their voice); clusters no live speaker
    matches get fresh indices after the ``live_count`` in use."""
    clusters = sorted(int(c) for c in np.unique(new[new >= 0]))
    if not clusters:
        return {}
    agree = np.zeros((len(clusters), max(live_count, 1)))
    for c, l, w in zip(new, live, weights):
        if c >= 0 and 0 <= l < agree.shape[1]:
            agree[clusters.index(int(c)), l] += w
    mapping = {clusters[r]: int(col) for r, col in zip(*linear_sum_assignment(-agree))
               if agree[r, col] > 0}
    fresh = live_count
    for c in clusters:
        if c not in mapping:
            mapping[c] = fresh
            fresh += 1
    return mapping


def floor_labels(active: np.ndarray, old: np.ndarray) -> np.ndarray:
    """(frames, 2) floor/overlap labels from (frames, speakers) activity: whoever held the
    floor keeps it through an overlap; frames where nobody is active keep ``old``."""
    out = old.copy()
    floor = SILENT
    for frame in range(min(len(active), len(old))):
        talking = [int(s) for s in np.flatnonzero(active[frame])]
        if not talking:
            floor = int(out[frame, 0])
            continue
        if floor in talking:
            talking.remove(floor)
            talking.insert(0, floor)
        out[frame] = (talking + [SILENT, SILENT])[:2]
        floor = int(out[frame, 0])
    return out

"""Re-clustering a live stream's kept windows at a meeting's end, on synthetic embeddings."""

from dataclasses import dataclass, field

import numpy as np
import pytest

from server.engines.diarise import Diariser, RefineOptions
from server.engines.speakers_live import LOCAL_SPEAKERS, SpeakerTurn, WindowVoices, most_active

STEP_S = 0.02  # frame step
WINDOW_S, HOP_S = 8.0, 1.5  # as the live stream's windows
DIM = 64


def unit(v):
    return v / np.linalg.norm(v)


@dataclass
class KeptStream:
    """What DiariserStream keeps with ``keep_windows``; nothing left to step over."""

    windows: list
    processed_s: float
    frame_step_s: float = STEP_S
    keep_windows: bool = True
    finished: int = field(default=0)
    live: list = field(default_factory=list)   # [(speaker index, start_s, end_s)]

    def finish(self):
        self.finished += 1
        return []

    @property
    def frame_labels(self):
        """The live labels: nobody known, or the ``live`` turns."""
        labels = np.full((int(np.ceil(self.processed_s / STEP_S)) + 1, 2), -1)
        for index, start, end in self.live:
            labels[int(round(start / STEP_S)):int(round(end / STEP_S)), 0] = index
        return labels

    def turns(self):
        return [SpeakerTurn(f"S{i + 1}", a, b) for i, a, b in self.live]


def live_windows(script, voice_of, rng, noise=0.15):
    """Windows every HOP_S over ``script`` [(who, start_s, end_s)], each talker of a window
    a local speaker (numbered in an order that differs between windows) with an embedding
    of its voice from the newest 5 s of the window, as the live stream takes them."""
    end_s = max(e for _, _, e in script)
    windows = []
    stop = HOP_S
    while stop < end_s + HOP_S:
        start = max(0.0, stop - WINDOW_S)
        first, frames = int(round(start / STEP_S)), int(round((stop - start) / STEP_S))
        times = (first + np.arange(frames)) * STEP_S
        talkers = sorted({w for w, a, b in script if a < stop and b > start})
        rng.shuffle(talkers)
        activity = np.zeros((frames, LOCAL_SPEAKERS), dtype=bool)
        locals_, vectors, speech = [], [], []
        for local, who in enumerate(talkers):
            for w, a, b in script:
                if w == who:
                    activity[:, local] |= (times >= a) & (times < b)
            recent = activity[:, local] & (times >= stop - 5.0)
            if recent.sum() * STEP_S >= 0.6:
                locals_.append(local)
                vectors.append(unit(voice_of(who, times[recent].mean())
                                    + noise * rng.standard_normal(DIM) / np.sqrt(DIM)))
                speech.append(float(recent.sum() * STEP_S))
        if activity.any():
            windows.append(WindowVoices(first, activity, tuple(locals_),
                                        np.array(vectors, dtype=np.float32).reshape(-1, DIM),
                                        tuple(speech)))
        stop += HOP_S
    return windows, end_s


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def test_a_voice_that_drifted_is_one_speaker_and_each_turn_gets_its_voice(rng):
    a, b = unit(rng.standard_normal(DIM)), unit(rng.standard_normal(DIM))
    drift = unit(rng.standard_normal(DIM))
    # A's voice print drifts through the meeting (a live pass that splits A into two
    # speakers): early and late prints are ~0.75 similar, each far from B.
    def voice_of(who, time_s):
        return unit(a + 0.9 * drift * (time_s / 60.0 - 0.5)) if who == "A" else b

    script = [("A", 1.0, 9.0), ("B", 9.6, 17.0), ("A", 17.5, 26.0), ("B", 26.4, 31.0),
              ("A", 31.5, 40.0), ("B", 40.5, 47.0), ("A", 47.5, 58.0)]
    early, late = unit(voice_of("A", 0)), unit(voice_of("A", 60))
    assert float(early @ late) < 0.8
    windows, end_s = live_windows(script, voice_of, rng)
    stream = KeptStream(windows, end_s)
    turns = Diariser(None, None).refine_stream(stream)
    assert stream.finished == 1
    assert {t.speaker for t in turns} == {"S1", "S2"}
    for who, start, stop in script:
        assert most_active(turns, start + 0.3, stop - 0.3) == {"A": "S1", "B": "S2"}[who]
    assert all(t.end_s <= end_s + STEP_S for t in turns)


def test_three_voices_and_a_short_far_noise_that_stays_unlabelled(rng):
    prints = {who: unit(rng.standard_normal(DIM)) for who in "ABCN"}
    script = [("A", 0.5, 8.0), ("B", 8.5, 15.0), ("C", 15.5, 22.0), ("A", 22.5, 28.0),
              ("N", 30.0, 30.9), ("B", 33.0, 40.0), ("C", 40.5, 46.0)]
    windows, end_s = live_windows(script, lambda who, _: prints[who], rng)
    turns = Diariser(None, None).refine_stream(KeptStream(windows, end_s))
    assert {t.speaker for t in turns} == {"S1", "S2", "S3"}
    labels = {who: most_active(turns, start + 0.3, stop - 0.3) for who, start, stop in script
              if who != "N"}
    assert labels == {"A": "S1", "B": "S2", "C": "S3"}
    assert most_active(turns, 30.0, 30.9) is None  # too short and like nobody: no speaker


def test_two_voices_a_threshold_apart_stay_apart_and_close_ones_merge(rng):
    base = unit(rng.standard_normal(DIM))
    other = unit(rng.standard_normal(DIM))

    def pair(similarity):  # a print this similar to ``base``
        ortho = unit(other - (other @ base) * base)
        return unit(similarity * base + np.sqrt(1 - similarity ** 2) * ortho)

    script = [("A", 0.5, 10.0), ("B", 10.5, 20.0), ("A", 20.5, 30.0), ("B", 30.5, 40.0)]
    options = RefineOptions()
    for similarity, speakers in ((0.3, 2), (0.8, 1)):
        voices = {"A": base, "B": pair(similarity)}
        windows, end_s = live_windows(script, lambda who, _: voices[who], rng, noise=0.05)
        turns = Diariser(None, None, options).refine_stream(KeptStream(windows, end_s))
        assert len({t.speaker for t in turns}) == speakers, similarity


def test_nothing_kept_gives_no_turns_and_a_stream_that_kept_nothing_is_refused():
    assert Diariser(None, None).refine_stream(KeptStream([], 10.0)) == []
    with pytest.raises(ValueError, match="keep_windows"):
        Diariser(None, None).refine_stream(KeptStream([], 10.0, keep_windows=False))


def test_an_end_pass_that_splits_people_the_live_labels_kept_whole_is_not_used(rng):
    """The guard: clustering with a merge distance far too small splits each voice into
    pieces; the live labels, one per person, fit the voices better and stand."""
    prints = {who: unit(rng.standard_normal(DIM)) for who in "AB"}
    script = [("A", 0.5, 12.0), ("B", 12.5, 24.0), ("A", 24.5, 36.0), ("B", 36.5, 48.0)]
    windows, end_s = live_windows(script, lambda who, _: prints[who], rng, noise=0.6)
    live = [("AB".index(who), a, b) for who, a, b in script]
    splitting = RefineOptions(merge_distance=0.02, min_live_speaker_s=0.5)
    stream = KeptStream(windows, end_s, live=live)
    unguarded = Diariser(None, None, splitting).refine_stream(stream, guard=False)
    assert len({t.speaker for t in unguarded}) > 2          # the pass alone splits them
    turns = Diariser(None, None, splitting).refine_stream(stream)
    assert turns == stream.turns()                          # the live labels stand
    # A pass that finds the same two people is used as it is.
    right = Diariser(None, None).refine_stream(stream)
    assert right == Diariser(None, None).refine_stream(stream, guard=False)
    assert len({t.speaker for t in right}) == 2


def test_fit_measures_tell_a_merge_and_a_split_from_the_right_labels(rng):
    from server.engines import review

    prints = {who: unit(rng.standard_normal(DIM)) for who in "AB"}
    script = [("A", 0.5, 12.0), ("B", 12.5, 24.0), ("A", 24.5, 36.0), ("B", 36.5, 48.0)]
    windows, end_s = live_windows(script, lambda who, _: prints[who], rng, noise=0.3)
    vectors, weights = review.kept_voices(windows)
    links = review.continuity_links(windows, STEP_S)
    assert links[0].size > 0 and (links[2] >= review.MIN_LINK_S).all()
    # Each voice's person, read off its window's activity and the script.
    right = np.array([int(np.argmax([vectors[i] @ prints[w] for w in "AB"]))
                      for i in range(len(vectors))])
    merged = np.zeros_like(right)
    split = right * 2 + (np.arange(right.size) % 2)        # each person halved at random
    fit_right, fit_merged, fit_split = (review.fit(vectors, weights, labels, links)
                                        for labels in (right, merged, split))
    assert fit_right.breaks == 0.0 and fit_merged.breaks == 0.0
    assert fit_split.breaks > 0.3
    assert fit_merged.cohesion < fit_right.cohesion - 0.2
    assert review.fit(vectors, weights, np.full_like(right, -1), links).breaks == 1.0

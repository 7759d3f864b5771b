"""MeetingSpeakers with a fake diariser: labels for words, live relabels, refine alignment."""

from dataclasses import dataclass

import numpy as np

from server.engines.base import Hypothesis, Word
from server.speakers import MeetingSpeakers


@dataclass(frozen=True)
class Turn:
    speaker: str
    start_s: float
    end_s: float


class FakeStream:
    """Speaker by time from a script of turns (times of the audio it was given)."""

    def __init__(self, turns):
        self.turns = turns
        self.revised_from_s = 0.0
        self.steps = 0

    def accept(self, audio):
        pass

    def step(self):
        self.steps += 1
        return list(self.turns)

    def finish(self):
        return []

    def label(self, start, end):
        best, most = None, 0.0
        for t in self.turns:
            overlap = min(end, t.end_s) - max(start, t.start_s)
            if overlap > most:
                best, most = t.speaker, overlap
        return best

    def labels_for_words(self, words):
        return [self.label(w.start_s, w.end_s) for w in words]


class FakeDiariser:
    def __init__(self, live, refined):
        self.stream = FakeStream(live)
        self.refined = refined

    def open_stream(self):
        return self.stream

    def refine(self, audio):
        return self.refined


def hyp(*words):
    ws = tuple(Word(t, s, e) for t, s, e in words)
    return Hypothesis(" ".join(w.text for w in ws), ws[0].start_s, ws[-1].end_s, ws)


def test_words_take_the_speaker_active_at_their_time_offset_by_resume():
    diariser = FakeDiariser([Turn("S1", 0, 2), Turn("S2", 2, 5)], [])
    speakers = MeetingSpeakers(diariser, start_s=100.0)
    labels = speakers.labeler(hyp(("yes", 101.0, 101.4), ("no", 102.5, 102.9)))
    assert labels == ["S1", "S2"]


def test_unknown_words_borrow_a_neighbour_and_nobody_known_gives_no_labels():
    diariser = FakeDiariser([Turn("S2", 1.0, 2.0)], [])
    speakers = MeetingSpeakers(diariser)
    assert speakers.labeler(hyp(("a", 0.1, 0.2), ("b", 1.2, 1.4), ("c", 5, 5.2))) == \
        ["S2", "S2", "S2"]
    empty = MeetingSpeakers(FakeDiariser([], []))
    assert empty.labeler(hyp(("a", 0.1, 0.2))) == []


def test_live_step_relabels_recent_finals_when_the_diariser_changes_its_mind():
    diariser = FakeDiariser([Turn("S1", 0, 4)], [])
    speakers = MeetingSpeakers(diariser)
    speakers.accept(np.zeros(1600, dtype=np.float32))
    speakers.track("s_1", 0.5, 1.5, "S1")
    speakers.track("s_2", 2.5, 3.5, "S1")
    diariser.stream.turns = [Turn("S1", 0, 2), Turn("S2", 2, 4)]
    assert speakers.step() == [("s_2", "S2")]
    assert speakers.step() == []  # already told


def test_refine_maps_clusters_to_live_labels_so_names_stay_with_voices():
    # Live: S1 = worker, S2 = parent. Refine numbers them the other way round and finds
    # a third voice that live labelling had merged into the parent.
    diariser = FakeDiariser([], [Turn("S2", 0, 3), Turn("S1", 3, 6), Turn("S3", 6, 8)])
    speakers = MeetingSpeakers(diariser)
    speakers.accept(np.zeros(8 * 16000, dtype=np.float32))
    speakers.track("s_1", 0.2, 2.8, "S1")
    speakers.track("s_2", 3.2, 5.8, "S2")
    speakers.track("s_3", 6.2, 7.8, "S2")
    assert speakers.refine() == [("s_3", "S3")]


class StreamRefiningDiariser(FakeDiariser):
    """A diariser whose end pass re-clusters its live stream: no audio is kept for it."""

    refines_streams = True

    def refine(self, audio):
        raise AssertionError("the audio pass must not run")

    def refine_stream(self, stream):
        assert stream is self.stream
        return self.refined


def test_refine_from_the_live_stream_keeps_no_audio_and_maps_labels_the_same_way():
    diariser = StreamRefiningDiariser([], [Turn("S2", 0, 3), Turn("S1", 3, 6), Turn("S3", 6, 8)])
    speakers = MeetingSpeakers(diariser)
    speakers.accept(np.zeros(8 * 16000, dtype=np.float32))
    assert speakers._audio == []
    speakers.track("s_1", 0.2, 2.8, "S1")
    speakers.track("s_2", 3.2, 5.8, "S2")
    speakers.track("s_3", 6.2, 7.8, "S2")
    assert speakers.refine() == [("s_3", "S3")]


class ReviewingDiariser(StreamRefiningDiariser):
    """Its stream is reviewed live; the review at ``recover_at`` finds the voice it had
    merged and relabels the whole meeting."""

    def __init__(self, live, recovered, recover_at):
        super().__init__(live, [])
        self.recovered, self.recover_at = recovered, recover_at
        self.reviews = []

    def review_stream(self, stream):
        self.reviews.append(stream.processed_s)
        if stream.processed_s < self.recover_at:
            return False
        stream.turns = list(self.recovered)
        return True


def test_live_review_relabels_the_whole_meeting_and_comes_less_often(monkeypatch):
    monkeypatch.setattr(FakeStream, "processed_s", property(lambda s: s.steps * 10.0),
                        raising=False)
    # All one voice live; the second voice, speaking at 5-10 s and 100-110 s, is found
    # by the review after 50 s of audio.
    diariser = ReviewingDiariser([Turn("S1", 0, 200)],
                                 [Turn("S1", 0, 5), Turn("S2", 5, 10), Turn("S1", 10, 100),
                                  Turn("S2", 100, 110), Turn("S1", 110, 200)], recover_at=50)
    speakers = MeetingSpeakers(diariser)
    speakers.accept(np.zeros(1600, dtype=np.float32))
    speakers.track("s_1", 5.5, 9.5, "S1")        # long before the live horizon
    speakers.track("s_2", 20.0, 30.0, "S1")
    changes = []
    for _ in range(20):                          # 10 s of audio a step: 200 s
        changes += speakers.step()
        if len(diariser.reviews) == 3:
            speakers.track("s_3", 100.5, 109.5, "S1")
    assert ("s_1", "S2") in changes               # history too, not only recent finals
    assert ("s_3", "S2") in changes and ("s_2", "S2") not in changes
    # First after 20 s, then each time the audio grew by a quarter (15 s at least).
    assert diariser.reviews[:4] == [20.0, 40.0, 60.0, 80.0]
    assert diariser.reviews[-1] >= 150.0 and len(diariser.reviews) < 10

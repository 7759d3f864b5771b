"""Enrolled voices: one voice print per clip, matched to a meeting's labels only when sure,
never over a name the worker gave, and deleted for good."""

from __future__ import annotations

import numpy as np
import pytest

from server.store import Store, VoiceRow
from server.voices import (ENROL_MIN_SPEECH_S, MATCH_MIN_SPEECH_S, EnrolError, match,
                           voice_print)

RNG = np.random.default_rng(7)


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def voice(name: str, vector: np.ndarray) -> VoiceRow:
    return VoiceRow(f"v_{name}", name, "social worker", unit(vector), 20.0, "2026-12-02")


SARAH, DONNA, OTHER = (unit(RNG.normal(size=192)) for _ in range(3))


def near(vector: np.ndarray, noise: float = 0.2) -> np.ndarray:
    return unit(vector + noise * unit(RNG.normal(size=vector.size)))


def test_the_label_that_sounds_like_an_enrolled_voice_gets_its_name():
    labels = {"S1": (near(DONNA), 12.0), "S2": (near(SARAH), 9.0)}
    found = match(labels, [voice("Sarah", SARAH)], named=set())
    assert {label: v.name for label, v in found.items()} == {"S2": "Sarah"}


def test_no_name_when_unsure_too_short_or_already_named_by_the_worker():
    enrolled = [voice("Sarah", SARAH)]
    assert match({"S1": (OTHER, 30.0)}, enrolled, set()) == {}               # not her
    assert match({"S1": (near(SARAH), MATCH_MIN_SPEECH_S / 2)}, enrolled, set()) == {}
    assert match({"S1": (near(SARAH), 30.0)}, enrolled, named={"S1"}) == {}
    assert match({"S1": (near(SARAH), 30.0)}, [], set()) == {}


def test_a_label_goes_to_one_voice_and_a_voice_to_one_label():
    # Two labels both near Sarah (diarisation split her): only the nearer one is named.
    closer, farther = near(SARAH, 0.1), near(SARAH, 0.4)
    found = match({"S1": (farther, 20.0), "S2": (closer, 20.0)}, [voice("Sarah", SARAH)], set())
    assert list(found) == ["S2"]
    # Two enrolled voices near one label: the label takes the nearer, the other is left.
    twin = near(SARAH, 0.3)
    found = match({"S1": (near(SARAH, 0.05), 20.0)},
                  [voice("Sarah", SARAH), voice("Twin", twin)], set())
    assert [v.name for v in found.values()] == ["Sarah"]


class FakeStream:
    def __init__(self, voices):
        self._voices = voices
        self.heard = 0

    def accept(self, audio):
        self.heard += audio.size

    def finish(self):
        return []

    def voices(self):
        return self._voices


class FakeDiariser:
    def __init__(self, voices):
        self.voices = voices

    def open_stream(self):
        return FakeStream(self.voices)


def test_a_voice_print_is_one_voice_with_enough_speech():
    audio = np.zeros(16000, dtype=np.float32)
    made = voice_print(FakeDiariser({"S1": (SARAH * 3.0, ENROL_MIN_SPEECH_S + 2)}), audio)
    assert made.speech_s == ENROL_MIN_SPEECH_S + 2
    assert np.isclose(np.linalg.norm(made.vector), 1.0) and np.allclose(made.vector, SARAH)
    # a little of someone else (a cough, the next room) does not spoil it
    voice_print(FakeDiariser({"S1": (SARAH, 20.0), "S2": (DONNA, 1.0)}), audio)


@pytest.mark.parametrize(("voices", "says"), [
    ({}, "at least"),
    ({"S1": (SARAH, ENROL_MIN_SPEECH_S / 2)}, "at least"),
    ({"S1": (SARAH, 12.0), "S2": (DONNA, 10.0)}, "more than one voice"),
])
def test_a_clip_that_cannot_give_one_voice_print_is_refused_with_the_reason(voices, says):
    with pytest.raises(EnrolError, match=says):
        voice_print(FakeDiariser(voices), np.zeros(16000, dtype=np.float32))


def test_a_deleted_voice_print_is_gone_from_the_database_file(tmp_path):
    store = Store(tmp_path / "casenote.db")
    marked = np.full(192, 0.123456789, dtype=np.float64)
    store.add_voice("v_1", "Sarah", "social worker", marked, 14.2, "2026-12-02T10:00:00Z")
    store.add_voice("v_2", "Tom", "", SARAH, 9.0, "2026-12-02T10:05:00Z")
    rows = store.voices()
    assert [(r.voice_id, r.name, r.role) for r in rows] == [
        ("v_1", "Sarah", "social worker"), ("v_2", "Tom", "")]
    assert np.allclose(rows[0].print, marked, atol=1e-6)
    assert "print" not in rows[0].to_wire() and rows[0].to_wire()["speech_s"] == 14.2
    assert store.delete_voice("v_1") and not store.delete_voice("v_1")
    assert [r.voice_id for r in store.voices()] == ["v_2"]
    store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert marked.astype("<f4").tobytes()[:16] not in raw

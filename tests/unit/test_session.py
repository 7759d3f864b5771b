import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.engines.base import Hypothesis, StreamUpdate, Word
from server.session import MeetingSession, PartialRevised, SegmentFinalised
from server.wire import CLOSE_TOO_LARGE, Start, WireError


def fmt(rate=16000, encoding="pcm_s16le"):
    return Start(rate, encoding, 1, "en", "t", None, None)


def s16(n, value=1000):
    return np.full(n, value, dtype="<i2").tobytes()


def hyp(text, start=0.0, end=1.0):
    return Hypothesis(text, start, end, (Word(text, start, end),) if text else ())


def test_received_time_counts_client_samples():
    session = MeetingSession("m", fmt())
    session.receive_audio(s16(1600))
    session.receive_audio(s16(800))
    assert session.received_s == pytest.approx(0.15)
    audio = session.take_audio()
    assert audio.dtype == np.float32 and audio.size == 2400
    assert audio[0] == pytest.approx(1000 / 32768)
    assert session.take_audio().size == 0


def test_f32_at_48k_is_resampled_to_16k():
    session = MeetingSession("m", fmt(48000, "pcm_f32le"))
    tone = np.sin(2 * np.pi * 440 * np.arange(48000) / 48000).astype("<f4")
    for lo in range(0, 48000, 4800):
        session.receive_audio(tone[lo:lo + 4800].tobytes())
    out = np.concatenate([session.take_audio(), session.take_audio(final=True)])
    assert session.received_s == pytest.approx(1.0)
    assert abs(out.size - 16000) <= 2
    spectrum = np.abs(np.fft.rfft(out[:16000]))
    assert abs(np.argmax(spectrum) - 440) <= 1


def test_odd_byte_count_is_refused_and_earlier_audio_kept():
    session = MeetingSession("m", fmt())
    session.receive_audio(s16(1600))
    with pytest.raises(WireError) as err:
        session.receive_audio(b"\x00\x01\x02")
    assert err.value.code == "bad_audio"
    assert session.received_s == pytest.approx(0.1)
    assert session.take_audio().size == 1600


def test_frame_over_the_limit_closes_1009():
    session = MeetingSession("m", fmt(), max_frame_s=1.0)
    session.receive_audio(s16(16000))  # exactly one second is allowed
    with pytest.raises(WireError) as err:
        session.receive_audio(s16(16001))
    assert (err.value.code, err.value.close_code) == ("frame_too_large", CLOSE_TOO_LARGE)


def test_nan_floats_become_silence():
    session = MeetingSession("m", fmt(encoding="pcm_f32le"))
    session.receive_audio(np.array([np.nan, np.inf, 0.5, -4.0], dtype="<f4").tobytes())
    assert session.take_audio().tolist() == [0.0, 0.0, 0.5, -1.0]


def test_partial_then_final_share_an_id_and_the_next_partial_gets_a_new_one():
    session = MeetingSession("m", fmt())
    first = session.apply(StreamUpdate((), hyp("so how"), 1.0))
    second = session.apply(StreamUpdate((hyp("So how has school been?"),), hyp("it was"), 2.0))
    assert isinstance(first[0], PartialRevised) and first[0].segment_id == "s_1"
    assert isinstance(second[0], SegmentFinalised) and second[0].segment_id == "s_1"
    assert isinstance(second[1], PartialRevised) and second[1].segment_id == "s_2"
    assert second[0].speaker == "S1"


def test_withdrawn_partial_frees_its_segment():
    session = MeetingSession("m", fmt())
    session.apply(StreamUpdate((), hyp("um"), 1.0))
    events = session.apply(StreamUpdate((), hyp(""), 1.5))
    assert [(e.segment_id, e.hypothesis.text) for e in events] == [("s_1", "")]
    nxt = session.apply(StreamUpdate((hyp("Hello."),), None, 2.0))
    assert nxt[0].segment_id == "s_2"


def test_several_finals_in_one_update_get_consecutive_ids():
    session = MeetingSession("m", fmt(), next_segment=7)
    events = session.apply(StreamUpdate((hyp("One."), hyp("Two."), hyp("  ")), None, 3.0))
    assert [e.segment_id for e in events] == ["s_7", "s_8"]


def test_open_partial_is_withdrawn_at_stop():
    session = MeetingSession("m", fmt())
    session.apply(StreamUpdate((), hyp("half a"), 1.0))
    events = session.withdraw_open_partial()
    assert events[0].segment_id == "s_1" and events[0].hypothesis.text == ""
    assert session.withdraw_open_partial() == []


def test_behind_reports_unrecognised_audio():
    session = MeetingSession("m", fmt())
    session.receive_audio(s16(16000))
    session.receive_audio(s16(16000))
    events = session.apply(StreamUpdate((hyp("x"),), None, 0.5))
    assert events[0].behind_s == pytest.approx(1.5)


def test_resume_offset_and_silence_keep_times_meaningful():
    session = MeetingSession("m", fmt(), start_s=30.0)
    session.add_silence(2.0)
    session.receive_audio(s16(1600))
    assert session.received_s == pytest.approx(32.1)
    assert session.take_audio().size == 2 * 16000 + 1600


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.binary(max_size=200), max_size=20))
def test_session_survives_any_bytes(frames):
    session = MeetingSession("m", fmt(), max_frame_s=0.005)
    kept = 0
    for frame in frames:
        try:
            session.receive_audio(frame)
        except WireError as err:
            assert err.code in ("bad_audio", "frame_too_large")
        else:
            kept += len(frame) // 2
    assert session.received_s == pytest.approx(kept / 16000)
    assert session.take_audio().size == kept


def words_hyp(spec):
    """spec: [(text, start, end)]"""
    words = tuple(Word(t, s, e) for t, s, e in spec)
    return Hypothesis(" ".join(t for t, _, _ in spec), spec[0][1], spec[-1][2], words)


def test_final_spanning_a_speaker_change_is_split_into_segments():
    session = MeetingSession("m", fmt())
    session.apply(StreamUpdate((), hyp("how has"), 1.0))
    final = words_hyp([("How", 0, .2), ("has", .2, .4), ("school", .4, .7), ("been?", .7, 1),
                       ("Fine,", 1.3, 1.6), ("thanks.", 1.6, 2.0)])
    labels = ["S1", "S1", "S1", "S1", "S2", "S2"]
    events = session.apply(StreamUpdate((final,), hyp("and"), 2.5), labeler=lambda h: labels)
    finals = [e for e in events if isinstance(e, SegmentFinalised)]
    assert [(e.segment_id, e.speaker, e.hypothesis.text) for e in finals] == [
        ("s_1", "S1", "How has school been?"), ("s_2", "S2", "Fine, thanks.")]
    assert finals[1].hypothesis.start_s == 1.3 and finals[1].hypothesis.words[0].text == "Fine,"
    partial = events[-1]
    assert isinstance(partial, PartialRevised) and partial.segment_id == "s_3"
    assert partial.speaker == "S2"  # the latest speaker, until a final says otherwise


def test_a_lone_differently_labelled_word_does_not_split():
    session = MeetingSession("m", fmt())
    final = words_hyp([("We", 0, .2), ("went", .2, .4), ("out", .4, .6), ("today", .6, .9)])
    events = session.apply(StreamUpdate((final,), None, 1.0),
                           labeler=lambda h: ["S2", "S2", "S1", "S2"])
    assert [(e.speaker, e.hypothesis.text) for e in events] == [("S2", "We went out today")]

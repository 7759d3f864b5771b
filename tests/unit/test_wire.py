import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.wire import (CLOSE_BAD_INPUT, CLOSE_TOO_LARGE, Ping, Start, Stop, WireError,
                         parse_client_text)

LIMIT = 64 * 1024


def start(**fields):
    frame = {"type": "start", "sample_rate": 16000, "encoding": "pcm_s16le", "channels": 1,
             "language": "en", "title": "Home visit", "meeting_id": None, "resume_from_s": None}
    frame.update(fields)
    return json.dumps(frame)


def test_start_frame_parses_into_typed_message():
    msg = parse_client_text(start(), LIMIT)
    assert msg == Start(16000, "pcm_s16le", 1, "en", "Home visit", None, None)
    assert msg.bytes_per_sample == 2


def test_f32_at_48k_and_resume_fields_are_accepted():
    msg = parse_client_text(start(sample_rate=48000, encoding="pcm_f32le", meeting_id="m_1",
                                  resume_from_s=12.5), LIMIT)
    assert (msg.sample_rate_hz, msg.bytes_per_sample, msg.meeting_id, msg.resume_from_s) == \
        (48000, 4, "m_1", 12.5)


def test_auto_language_and_blank_title_get_defaults():
    msg = parse_client_text(start(language="auto", title="  "), LIMIT)
    assert msg.language is None and msg.title == "Meeting"


@pytest.mark.parametrize("fields, code", [
    ({"sample_rate": 7999}, "bad_audio"),
    ({"sample_rate": 48001}, "bad_audio"),
    ({"sample_rate": 16000.5}, "bad_audio"),
    ({"sample_rate": True}, "bad_audio"),
    ({"sample_rate": "16000"}, "bad_audio"),
    ({"encoding": "opus"}, "bad_audio"),
    ({"channels": 2}, "bad_audio"),
    ({"language": 5}, "bad_message"),
    ({"language": "english language"}, "bad_message"),
    ({"resume_from_s": -1}, "bad_message"),
    ({"resume_from_s": "soon"}, "bad_message"),
    ({"title": ["x"]}, "bad_message"),
])
def test_invalid_start_fields_are_refused_with_4400(fields, code):
    with pytest.raises(WireError) as err:
        parse_client_text(start(**fields), LIMIT)
    assert err.value.code == code
    assert err.value.close_code == CLOSE_BAD_INPUT


@pytest.mark.parametrize("text", ["hello", "[1, 2]", "null", '{"type": 3}', '{"no": "type"}',
                                  '{"type": "dance"}', "{"])
def test_junk_text_is_bad_message(text):
    with pytest.raises(WireError) as err:
        parse_client_text(text, LIMIT)
    assert (err.value.code, err.value.close_code) == ("bad_message", CLOSE_BAD_INPUT)


def test_text_over_limit_closes_with_1009():
    with pytest.raises(WireError) as err:
        parse_client_text(json.dumps({"type": "ping", "pad": "x" * LIMIT}), LIMIT)
    assert (err.value.code, err.value.close_code) == ("frame_too_large", CLOSE_TOO_LARGE)


def test_control_messages():
    assert parse_client_text('{"type": "stop"}', LIMIT) == Stop()
    assert parse_client_text('{"type": "ping"}', LIMIT) == Ping()


def test_error_frame_shape():
    err = WireError("bad_audio", "nope")
    assert err.frame() == {"type": "error", "code": "bad_audio", "message": "nope"}


@settings(max_examples=3000, deadline=None)
@given(st.one_of(st.text(max_size=300),
                 st.dictionaries(st.sampled_from(["type", "sample_rate", "encoding", "channels",
                                                  "language", "title", "meeting_id",
                                                  "resume_from_s"]),
                                 st.one_of(st.none(), st.booleans(), st.integers(),
                                           st.floats(allow_nan=True), st.text(max_size=20),
                                           st.sampled_from(["start", "stop", "ping",
                                                            "pcm_s16le", "pcm_f32le"])))
                 .map(json.dumps)))
def test_parser_only_ever_raises_wire_errors(text):
    try:
        msg = parse_client_text(text, LIMIT)
    except WireError as err:
        assert err.close_code in (CLOSE_BAD_INPUT, CLOSE_TOO_LARGE)
        assert err.message
    else:
        if isinstance(msg, Start):
            assert 8000 <= msg.sample_rate_hz <= 48000
            assert msg.encoding in ("pcm_s16le", "pcm_f32le")

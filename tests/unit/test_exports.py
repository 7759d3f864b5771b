from server.exports import to_srt, to_txt, to_vtt
from server.store import MeetingRow, SegmentRow


def meeting(speakers=None):
    return MeetingRow("m_1", "Home visit", "stopped", "en", "2026-11-27T10:00:00+00:00", None,
                      75.0, 75.0, 3, "share", speakers or {})


SEGMENTS = [SegmentRow("s_1", "S1", 1.5, 3.25, "How has school been?", []),
            SegmentRow("s_2", "S2", 3661.0, 3662.5, "Fine <mostly> & good.", [])]


def test_srt_numbers_cues_with_comma_milliseconds():
    srt = to_srt(meeting(), SEGMENTS)
    assert srt.startswith("1\n00:00:01,500 --> 00:00:03,250\nS1: How has school been?\n")
    assert "2\n01:01:01,000 --> 01:01:02,500\nS2: Fine <mostly> & good." in srt


def test_vtt_escapes_markup_and_uses_voice_tags():
    vtt = to_vtt(meeting({"S2": {"name": "Sam", "role": "parent"}}), SEGMENTS)
    assert vtt.startswith("WEBVTT\n\n00:00:01.500 --> 00:00:03.250\n<v S1>How has")
    assert "<v Sam (parent)>Fine &lt;mostly&gt; &amp; good." in vtt


def test_txt_has_timestamps_and_names():
    txt = to_txt(meeting({"S1": {"name": "Sarah", "role": ""}}), SEGMENTS)
    assert "[00:01] Sarah: How has school been?" in txt
    assert "[61:01] S2: Fine" in txt

"""A real uvicorn server, a real websockets client, a real clip in 100 ms frames."""

import re

import httpx
import pytest

from tests.streaming import load_pcm, stream_pcm

pytestmark = pytest.mark.models


def norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z' ]+", " ", text.lower()).split())


async def test_clip_streams_to_finals_then_stopped_and_http_agrees(server, jfk_wav):
    pcm, rate = load_pcm(jfk_wav)
    result = await stream_pcm(server.ws(), pcm, rate)
    assert result.started["type"] == "started"
    meeting_id = result.started["meeting_id"]
    assert result.started["viewer_url"] == \
        f"/view/{meeting_id}?share={result.started['share_token']}"
    kinds = [f["type"] for f in result.frames]
    assert "stopped" in kinds
    stopped_at = kinds.index("stopped")
    assert all(i < stopped_at for i, k in enumerate(kinds) if k in ("final", "partial"))
    assert result.close_code == 1000
    text = norm(result.text)
    for phrase in ("fellow americans", "ask not", "your country"):
        assert phrase in text
    for final in result.finals:
        assert set(final) >= {"segment_id", "speaker", "start", "end", "text", "words"}
        assert final["speaker"] == "S1" and final["words"]
        assert all(set(w) == {"w", "start", "end"} for w in final["words"])
    assert result.of("stopped")[0]["duration_s"] == pytest.approx(len(pcm) / 2 / rate, abs=0.01)

    async with httpx.AsyncClient(base_url=server.http, headers=server.headers) as http:
        meeting = (await http.get(f"/v1/meetings/{meeting_id}")).json()
        assert meeting["status"] == "stopped" and meeting["title"] == "Test visit"
        assert [s["text"] for s in meeting["segments"]] == [f["text"] for f in result.finals]
        assert [s["segment_id"] for s in meeting["segments"]] == \
            [f["segment_id"] for f in result.finals]
        listed = (await http.get("/v1/meetings")).json()["meetings"]
        assert listed[0]["id"] == meeting_id
        exports = {}
        for fmt in ("txt", "json", "srt", "vtt"):
            response = await http.get(f"/v1/meetings/{meeting_id}/transcript.{fmt}")
            assert response.status_code == 200
            exports[fmt] = response.text
    for final in result.finals:
        for fmt in ("txt", "srt", "vtt"):
            assert final["text"].replace("&", "&amp;") in exports[fmt]
    assert exports["vtt"].startswith("WEBVTT")
    assert '"segments"' in exports["json"]


async def test_float_audio_at_48k_is_resampled(server, jfk_wav):
    pcm, rate = load_pcm(jfk_wav, encoding="pcm_f32le", sample_rate=48000)
    result = await stream_pcm(server.ws(), pcm, rate, encoding="pcm_f32le")
    text = norm(result.text)
    assert "fellow americans" in text and "your country" in text
    # Times stay in the client's clock: the clip is 11 s whatever the rate.
    assert result.finals[-1]["end"] == pytest.approx(10.5, abs=0.6)


async def test_health_reports_models(server):
    async with httpx.AsyncClient(base_url=server.http) as http:
        health = (await http.get("/v1/health")).json()
    assert health["status"] == "ok"
    assert health["models"]["finals"] == "whisper-base"

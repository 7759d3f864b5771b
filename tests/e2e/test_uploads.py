"""Recorded visits: every accepted format, made here with a real encoder, gives the same
transcript as streaming the same audio; bad files get a clear error."""

import asyncio
import re

import av
import httpx
import numpy as np
import pytest
import soundfile as sf

from tests.conftest import start_server, stop_server
from tests.streaming import load_pcm, stream_pcm

pytestmark = pytest.mark.models

# (suffix, container, codec, sample rate) — what phones and browsers record.
FORMATS = [
    ("flac", "flac", "flac", 16000),
    ("mp3", "mp3", "libmp3lame", 44100),
    ("ogg", "ogg", "libopus", 48000),
    ("m4a", "ipod", "aac", 44100),
    ("webm", "webm", "libopus", 48000),
]


def encode(audio: np.ndarray, path, container: str, codec: str, rate: int) -> None:
    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream(codec, rate=rate)
        stream.layout = "mono"
        resampler = av.AudioResampler(format=stream.format.name, layout="mono", rate=rate)
        frame = av.AudioFrame.from_ndarray(audio[None, :].astype(np.float32), format="flt",
                                           layout="mono")
        frame.sample_rate = 16000
        for piece in resampler.resample(frame) + resampler.resample(None):
            for packet in stream.encode(piece):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]+", " ", text.lower()).split()


async def upload(http, path, **fields):
    with open(path, "rb") as fh:
        return await http.post("/v1/transcriptions", files={"file": (path.name, fh)},
                               data=fields)


async def wait_done(http, meeting_id, timeout_s=180):
    async with asyncio.timeout(timeout_s):
        while True:
            meeting = (await http.get(f"/v1/meetings/{meeting_id}")).json()
            if meeting["status"] == "stopped":
                return meeting
            await asyncio.sleep(0.5)


@pytest.fixture(scope="module")
def streamed_words(server, jfk_wav):
    pcm, rate = load_pcm(jfk_wav)
    result = asyncio.run(stream_pcm(server.ws(), pcm, rate))
    return words(result.text)


@pytest.mark.parametrize("suffix, container, codec, rate", FORMATS)
async def test_each_format_transcribes_like_the_live_stream(server, jfk_wav, tmp_path,
                                                            streamed_words, suffix,
                                                            container, codec, rate):
    audio, _ = sf.read(str(jfk_wav), dtype="float32")
    path = tmp_path / f"visit.{suffix}"
    encode(audio, path, container, codec, rate)
    async with httpx.AsyncClient(base_url=server.http, headers=server.headers,
                                 timeout=60) as http:
        response = await upload(http, path, title="Phone recording")
        assert response.status_code == 202
        body = response.json()
        assert body["status"] == "processing"
        meeting = await wait_done(http, body["meeting_id"])
    assert meeting["title"] == "Phone recording"
    got = words(" ".join(s["text"] for s in meeting["segments"]))
    assert meeting["duration_s"] == pytest.approx(11.0, abs=0.2)
    if suffix == "flac":
        assert got == streamed_words  # lossless: the very same pipeline, the same words
    else:
        import jiwer
        assert jiwer.wer(" ".join(streamed_words), " ".join(got)) <= 0.15


async def test_wav_upload_matches_stream_word_for_word(server, jfk_wav, streamed_words):
    async with httpx.AsyncClient(base_url=server.http, headers=server.headers,
                                 timeout=60) as http:
        response = await upload(http, jfk_wav)
        meeting = await wait_done(http, response.json()["meeting_id"])
        # As a live meeting would: stopped only once its note is drafted.
        assert meeting["note"]["status"] == "ready"
        note = await http.get(f"/v1/meetings/{meeting['id']}/note")
    assert words(" ".join(s["text"] for s in meeting["segments"])) == streamed_words
    assert meeting["title"] == "jfk"  # the file's name, without its extension
    assert note.status_code == 200 and note.json()["meeting_id"] == meeting["id"]


async def test_corrupt_and_missing_files_get_clear_errors(server, tmp_path):
    junk = tmp_path / "visit.m4a"
    junk.write_bytes(b"\x00\x00\x00\x18ftypM4A " + bytes(range(256)) * 20)
    async with httpx.AsyncClient(base_url=server.http, headers=server.headers) as http:
        response = await upload(http, junk)
        assert response.status_code == 415 and "decoded" in response.json()["error"]
        missing = await http.post("/v1/transcriptions", data={"title": "x"})
        assert missing.status_code == 400 and "file" in missing.json()["error"]
        unauthenticated = await http.post("/v1/transcriptions", headers={"Authorization": ""},
                                          files={"file": ("a.wav", b"RIFF")})
        assert unauthenticated.status_code == 401
        assert (await http.get("/v1/health")).status_code == 200


async def test_upload_over_the_limit_is_refused_with_413(tmp_path, jfk_wav):
    small = start_server(tmp_path / "data", "--max-upload-bytes", "100000")
    try:
        async with httpx.AsyncClient(base_url=small.http, headers=small.headers) as http:
            response = await upload(http, jfk_wav)  # 352 kB
            assert response.status_code == 413 and "limited" in response.json()["error"]
            assert (await http.get("/v1/meetings")).json()["meetings"] == []
            assert not list((tmp_path / "data").glob(".upload-*"))  # nothing left behind
    finally:
        stop_server(small)

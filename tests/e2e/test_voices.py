"""The worker's enrolled voice, end to end with the real speaker models: enrolled over HTTP
with consent, refused with a reason when the clip cannot give one voice print, named in a
live meeting from its own speech without anyone typing it, and deleted for good."""

import io
import json
from collections import Counter

import httpx
import pytest
import soundfile as sf

from scripts import make_meeting
from tests.conftest import start_server, stop_server
from tests.streaming import stream_pcm

pytestmark = pytest.mark.models

ENROL_LINES = [
    ("worker", "This is my voice for casenote. I am recording it so that my meetings know me."),
    ("worker", "I work with families in the north of the city, mostly children in need."),
    ("worker", "On a normal day I see three or four families and write up my notes after."),
    ("worker", "I am happy for the server to keep this voice print until I delete it."),
]


def wav_bytes(audio) -> bytes:
    out = io.BytesIO()
    sf.write(out, audio, make_meeting.RATE_HZ, format="WAV", subtype="PCM_16")
    return out.getvalue()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server of its own: an enrolled voice would name labels in other tests' meetings."""
    running = start_server(tmp_path_factory.mktemp("voices-data"))
    yield running
    stop_server(running)


@pytest.fixture(scope="module")
def clips():
    alone, _ = make_meeting.build(len(ENROL_LINES), 3, ENROL_LINES)
    two, _ = make_meeting.build(4, 3, [ENROL_LINES[0], ("parent", ENROL_LINES[1][1]),
                                       ENROL_LINES[2], ("parent", ENROL_LINES[3][1])])
    meeting, truth = make_meeting.build(9, 7)
    return {"alone": wav_bytes(alone), "short": wav_bytes(alone[: 2 * make_meeting.RATE_HZ]),
            "two": wav_bytes(two), "meeting": meeting, "truth": truth}


async def enrol(http, clip: bytes, **fields):
    data = {"name": "Sarah Jones", "role": "social worker", "consent": "true"} | fields
    return await http.post("/v1/voices", files={"file": ("me.wav", clip, "audio/wav")},
                           data={k: v for k, v in data.items() if v is not None})


async def test_enrolment_needs_consent_one_voice_and_enough_speech(server, clips):
    async with httpx.AsyncClient(base_url=server.http, headers=server.headers,
                                 timeout=300) as http:
        assert (await http.get("/v1/voices", headers={"Authorization": "Bearer nope"})
                ).status_code == 401
        refused = await enrol(http, clips["alone"], consent=None)
        assert refused.status_code == 400 and "consent" in refused.json()["error"]
        short = await enrol(http, clips["short"])
        assert short.status_code == 422 and "at least" in short.json()["error"]
        two = await enrol(http, clips["two"])
        assert two.status_code == 422 and "more than one voice" in two.json()["error"]
        assert (await http.get("/v1/voices")).json() == {"voices": []}


async def test_an_enrolled_worker_is_named_in_a_meeting_then_deleted(server, clips):
    async with httpx.AsyncClient(base_url=server.http, headers=server.headers,
                                 timeout=300) as http:
        made = await enrol(http, clips["alone"])
        assert made.status_code == 201, made.text
        voice = made.json()
        assert voice["name"] == "Sarah Jones" and voice["speech_s"] >= 8
        listed = (await http.get("/v1/voices")).json()["voices"]
        assert listed == [voice] and "print" not in json.dumps(listed)

        pcm = (clips["meeting"] * 32767).astype("<i2").tobytes()
        result = await stream_pcm(server.ws(), pcm, make_meeting.RATE_HZ)
        meeting_id = result.started["meeting_id"]
        stored = (await http.get(f"/v1/meetings/{meeting_id}")).json()
        named = [label for label, who in stored["speakers"].items()
                 if (who or {}).get("name") == "Sarah Jones"]
        assert len(named) == 1
        # the named label is the worker's voice: most of what it holds, she said
        worker = {u["start_s"] for u in clips["truth"] if u["role"] == "worker"}
        said = Counter(
            any(abs(s["start"] - start) < 1.5 for start in worker)
            for s in stored["segments"] if s["speaker"] == named[0])
        assert said[True] > 2 * said[False]
        # named live, before the meeting stopped, to the recorder and viewers alike
        kinds = [f["type"] for f in result.frames]
        first = next(i for i, f in enumerate(result.frames) if f["type"] == "speakers"
                     and (f.get("names") or {}).get(named[0], {}).get("name") == "Sarah Jones")
        assert first < kinds.index("stopped")

        assert (await http.delete(f"/v1/voices/{voice['voice_id']}")).status_code == 204
        assert (await http.delete(f"/v1/voices/{voice['voice_id']}")).status_code == 404
        assert (await http.get("/v1/voices")).json() == {"voices": []}

"""Bad input gets the documented error and close code; the server stays healthy and keeps
what it had already received."""

import asyncio
import json

import httpx
import pytest
import websockets

from tests.streaming import load_pcm, start_frame


async def exchange(url, *frames, origin=None):
    """Send frames; return every frame received and the close code."""
    headers = {"Origin": origin} if origin else None
    received = []
    async with websockets.connect(url, max_size=None, additional_headers=headers) as ws:
        for frame in frames:
            try:
                await ws.send(frame)
            except websockets.ConnectionClosed:
                break
        try:
            async with asyncio.timeout(30):
                async for message in ws:
                    received.append(json.loads(message))
        except websockets.ConnectionClosed:
            pass
    return received, ws.close_code


async def assert_healthy(server):
    async with httpx.AsyncClient(base_url=server.http) as http:
        assert (await http.get("/v1/health")).status_code == 200


def codes(frames):
    return [f.get("code") for f in frames if f.get("type") == "error"]


@pytest.mark.parametrize("token", ["", "wrong-token"])
async def test_socket_without_valid_token_is_refused_before_audio(server, token):
    frames, close = await exchange(server.ws(token=token or None) if token else
                                   server.ws().split("?")[0], start_frame())
    assert codes(frames) == ["unauthorized"] and close == 4401
    await assert_healthy(server)


@pytest.mark.parametrize("frames, code, close", [
    (["not json at all"], "bad_message", 4400),
    ([b"\x00\x00" * 160], "bad_message", 4400),
    (['{"type": "dance"}'], "bad_message", 4400),
    (['[1, 2, 3]'], "bad_message", 4400),
    ([start_frame(sample_rate=96000)], "bad_audio", 4400),
    ([start_frame(encoding="mp3")], "bad_audio", 4400),
    ([json.dumps({"type": "ping", "pad": "x" * 70000})], "frame_too_large", 1009),
])
async def test_bad_first_frames(server, frames, code, close):
    received, close_code = await exchange(server.ws(), *frames)
    assert codes(received) == [code] and close_code == close
    assert received[-1]["message"]
    await assert_healthy(server)


@pytest.mark.parametrize("bad, code, close", [
    (b"\x01\x02\x03", "bad_audio", 4400),
    (b"\x00" * 32002, "frame_too_large", 1009),
    ('{"type": "teleport"}', "bad_message", 4400),
    ("{{{", "bad_message", 4400),
    (start_frame(), "bad_message", 4400),
])
async def test_bad_frame_mid_meeting_keeps_committed_finals(server, jfk_wav, bad, code, close):
    pcm, rate = load_pcm(jfk_wav)
    async with websockets.connect(server.ws(), max_size=None) as ws:
        await ws.send(start_frame())
        started = json.loads(await ws.recv())
        for lo in range(0, len(pcm), 3200):
            await ws.send(pcm[lo:lo + 3200])
        finals = []
        async with asyncio.timeout(120):
            while not finals:
                frame = json.loads(await ws.recv())
                if frame["type"] == "final":
                    finals.append(frame)
        await ws.send(bad)
        errors = []
        try:
            async with asyncio.timeout(30):
                async for message in ws:
                    frame = json.loads(message)
                    if frame["type"] == "final":
                        finals.append(frame)
                    if frame["type"] == "error":
                        errors.append(frame["code"])
        except websockets.ConnectionClosed:
            pass
    assert errors == [code] and ws.close_code == close
    await assert_healthy(server)
    async with httpx.AsyncClient(base_url=server.http, headers=server.headers) as http:
        meeting = (await http.get(f"/v1/meetings/{started['meeting_id']}")).json()
    stored = {s["segment_id"]: s["text"] for s in meeting["segments"]}
    for final in finals:
        assert stored[final["segment_id"]] == final["text"]
    # Left open as a dropped meeting: it resumes where the audio ended, and stops cleanly.
    assert meeting["status"] == "live"
    async with websockets.connect(server.ws()) as ws:
        await ws.send(start_frame(meeting_id=started["meeting_id"], resume_from_s=0.0))
        resumed = json.loads(await ws.recv())
        assert resumed["type"] == "started" and resumed["meeting_id"] == started["meeting_id"]
        assert resumed["received_s"] == pytest.approx(len(pcm) / 2 / rate, abs=0.01)
        await ws.send('{"type": "stop"}')
        kinds = [json.loads(m)["type"] async for m in ws]
    assert "stopped" in kinds and ws.close_code == 1000


async def test_ping_is_answered(server):
    async with websockets.connect(server.ws()) as ws:
        await ws.send(start_frame())
        assert json.loads(await ws.recv())["type"] == "started"
        await ws.send('{"type": "ping"}')
        assert json.loads(await ws.recv()) == {"type": "pong"}
        await ws.send('{"type": "stop"}')
        kinds = []
        async for message in ws:
            kinds.append(json.loads(message)["type"])
    assert "stopped" in kinds and ws.close_code == 1000


async def test_socket_from_a_foreign_origin_is_refused(server):
    frames, close = await exchange(server.ws(), start_frame(), origin="https://evil.example")
    assert codes(frames) == ["forbidden"] and close == 4403


async def test_http_needs_the_access_token(server):
    async with httpx.AsyncClient(base_url=server.http) as http:
        assert (await http.get("/v1/meetings")).status_code == 401
        wrong = await http.get("/v1/meetings", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and "error" in wrong.json()
        assert (await http.get(f"/v1/meetings?token={server.token}")).status_code == 200
        assert (await http.get("/v1/meetings", headers=server.headers)).status_code == 200
        assert (await http.get("/v1/meetings/m_nope", headers=server.headers)).status_code == 404


async def test_share_token_cannot_read_the_api(server):
    async with websockets.connect(server.ws()) as ws:
        await ws.send(start_frame())
        started = json.loads(await ws.recv())
        await ws.send('{"type": "stop"}')
        async for _ in ws:
            pass
    share = started["share_token"]
    async with httpx.AsyncClient(base_url=server.http) as http:
        response = await http.get(f"/v1/meetings/{started['meeting_id']}",
                                  headers={"Authorization": f"Bearer {share}"})
    assert response.status_code == 403


async def test_delete_removes_the_meeting(server):
    async with websockets.connect(server.ws()) as ws:
        await ws.send(start_frame())
        started = json.loads(await ws.recv())
        await ws.send('{"type": "stop"}')
        async for _ in ws:
            pass
    path = f"/v1/meetings/{started['meeting_id']}"
    async with httpx.AsyncClient(base_url=server.http, headers=server.headers) as http:
        assert (await http.delete(path)).status_code == 204
        assert (await http.get(path)).status_code == 404
        assert (await http.delete(path)).status_code == 404

"""Caption viewers over the share link: history, live frames, names, refusal, revocation."""

import asyncio
import json

import httpx
import pytest
import websockets

from tests.streaming import load_pcm, start_frame

pytestmark = pytest.mark.models


async def collect(url, until="stopped", timeout_s=120):
    frames = []
    async with websockets.connect(url) as ws:
        try:
            async with asyncio.timeout(timeout_s):
                async for message in ws:
                    frames.append(json.loads(message))
                    if frames[-1]["type"] == until:
                        break
        except websockets.ConnectionClosed:
            pass
    return frames, ws.close_code


async def test_viewers_follow_live_get_names_and_late_joiners_get_history(server, jfk_wav):
    pcm, rate = load_pcm(jfk_wav)
    async with websockets.connect(server.ws(), max_size=None) as rec:
        await rec.send(start_frame())
        started = json.loads(await rec.recv())
        meeting_id, share = started["meeting_id"], started["share_token"]
        viewer_url = server.ws(f"/v1/meetings/{meeting_id}/captions?share={share}", token="")
        early = asyncio.create_task(collect(viewer_url))
        await asyncio.sleep(0.5)
        async with httpx.AsyncClient(base_url=server.http, headers=server.headers) as http:
            renamed = await http.patch(f"/v1/meetings/{meeting_id}/speakers",
                                       json={"S1": {"name": "Sarah", "role": "social worker"}})
            assert renamed.status_code == 200
            bad = await http.patch(f"/v1/meetings/{meeting_id}/speakers",
                                   json={"Bob": {"name": "x"}})
            assert bad.status_code == 400 and "error" in bad.json()
        for lo in range(0, len(pcm), 3200):
            await rec.send(pcm[lo:lo + 3200])
        recorder_frames = []
        while not any(f["type"] == "final" for f in recorder_frames):
            recorder_frames.append(json.loads(await rec.recv()))
        late = await collect(viewer_url, until="final", timeout_s=30)
        await rec.send('{"type": "stop"}')
        async for message in rec:
            recorder_frames.append(json.loads(message))
    early_frames, early_close = await early
    rec_finals = [(f["segment_id"], f["text"]) for f in recorder_frames if f["type"] == "final"]
    view_finals = [(f["segment_id"], f["text"]) for f in early_frames if f["type"] == "final"]
    assert rec_finals and view_finals == rec_finals
    names = [f for f in early_frames if f["type"] == "speakers" and f.get("names")]
    assert names[-1]["names"]["S1"] == {"name": "Sarah", "role": "social worker"}
    assert not any(f["type"] in ("risk", "note") for f in early_frames)
    assert "stopped" in [f["type"] for f in early_frames] and early_close == 1000
    late_frames, _ = late
    assert late_frames[0]["type"] == "speakers"
    assert late_frames[0]["names"]["S1"]["name"] == "Sarah"
    assert late_frames[1]["type"] == "final" and late_frames[1]["segment_id"] == rec_finals[0][0]
    # After the meeting, the link still shows the whole transcript during its grace period.
    after, close = await collect(viewer_url)
    assert [(f["segment_id"], f["text"]) for f in after if f["type"] == "final"] == rec_finals
    assert close == 1000


@pytest.mark.parametrize("query", ["share=wrong", "", "share="])
async def test_wrong_share_token_is_forbidden(server, query):
    async with websockets.connect(server.ws()) as rec:
        await rec.send(start_frame())
        meeting_id = json.loads(await rec.recv())["meeting_id"]
        frames, close = await collect(
            server.ws(f"/v1/meetings/{meeting_id}/captions?{query}", token=""))
        await rec.send('{"type": "stop"}')
    assert [f["code"] for f in frames] == ["forbidden"] and close == 4403
    unknown, close = await collect(server.ws("/v1/meetings/m_nope/captions?share=x", token=""))
    assert [f["code"] for f in unknown] == ["forbidden"] and close == 4403


async def test_viewer_cannot_send_audio_or_read_the_api(server):
    async with websockets.connect(server.ws()) as rec:
        await rec.send(start_frame())
        started = json.loads(await rec.recv())
        meeting_id, share = started["meeting_id"], started["share_token"]
        url = server.ws(f"/v1/meetings/{meeting_id}/captions?share={share}", token="")
        async with websockets.connect(url) as viewer:
            await viewer.recv()  # names
            await viewer.send(b"\x00\x01" * 800)
            await viewer.send('{"type": "stop"}')
            await viewer.send('{"type": "ping"}')
            assert json.loads(await viewer.recv()) == {"type": "pong"}
        await rec.send('{"type": "ping"}')
        assert json.loads(await rec.recv()) == {"type": "pong"}  # still recording
        async with httpx.AsyncClient(base_url=server.http) as http:
            for path in (f"/v1/meetings/{meeting_id}", f"/v1/meetings/{meeting_id}/share",
                         f"/v1/meetings/{meeting_id}/transcript.txt"):
                response = await http.get(path, headers={"Authorization": f"Bearer {share}"})
                assert response.status_code == 403
        share_as_token, close = await collect(server.ws(token=share))
        assert close == 4401
        await rec.send('{"type": "stop"}')


async def test_revoking_the_link_disconnects_viewers_and_issues_a_new_one(server):
    async with websockets.connect(server.ws()) as rec:
        await rec.send(start_frame())
        started = json.loads(await rec.recv())
        meeting_id, share = started["meeting_id"], started["share_token"]
        url = server.ws(f"/v1/meetings/{meeting_id}/captions?share={share}", token="")
        watching = asyncio.create_task(collect(url, until="never", timeout_s=30))
        await asyncio.sleep(0.5)
        async with httpx.AsyncClient(base_url=server.http, headers=server.headers) as http:
            fresh = (await http.post(f"/v1/meetings/{meeting_id}/share:revoke")).json()
            page_old = await http.get(f"/view/{meeting_id}?share={share}")
            page_new = await http.get(fresh["viewer_url"])
            qr = await http.get(f"/v1/meetings/{meeting_id}/share.svg")
        frames, close = await watching
        assert close == 4403 and frames[-1]["code"] == "forbidden"
        assert fresh["share_token"] != share
        assert page_old.status_code == 403 and page_new.status_code == 200
        assert qr.headers["content-type"].startswith("image/svg+xml") and b"<svg" in qr.content
        await rec.send('{"type": "stop"}')

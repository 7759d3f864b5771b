"""Nothing lost: dropped sockets resume, a killed server keeps every final it sent,
and nothing leaves the machine."""

import asyncio
import ipaddress
import json
import re
import signal
import threading

import httpx
import psutil
import pytest
import websockets

from tests.conftest import start_server, stop_server
from tests.streaming import load_pcm, start_frame, stream_pcm

pytestmark = pytest.mark.models
BYTES_PER_S = 32000


def words(frames):
    text = " ".join(f["text"] for f in frames if f["type"] == "final")
    return re.sub(r"[^a-z' ]+", " ", text.lower()).split()


async def send_audio(ws, pcm):
    for lo in range(0, len(pcm), 3200):
        await ws.send(pcm[lo:lo + 3200])


async def drain_until_stopped(ws, frames):
    async for message in ws:
        frames.append(json.loads(message))


async def test_dropped_socket_resumes_with_no_gap_and_no_duplicate(server, jfk_wav):
    pcm, rate = load_pcm(jfk_wav)
    reference = await stream_pcm(server.ws(), pcm, rate)
    cut = 5 * BYTES_PER_S
    frames = []
    async with websockets.connect(server.ws()) as ws:
        await ws.send(start_frame())
        started = json.loads(await ws.recv())
        await send_audio(ws, pcm[:cut])
        await asyncio.sleep(1.0)
    # The client still holds audio from 3 s on; the server says what it already has.
    async with websockets.connect(server.ws()) as ws:
        await ws.send(start_frame(meeting_id=started["meeting_id"], resume_from_s=3.0))
        resumed = json.loads(await ws.recv())
        assert resumed["type"] == "started" and resumed["meeting_id"] == started["meeting_id"]
        assert resumed["received_s"] == pytest.approx(5.0, abs=0.01)
        await send_audio(ws, pcm[int(resumed["received_s"] * BYTES_PER_S):])
        await ws.send('{"type": "stop"}')
        await drain_until_stopped(ws, frames)
    async with httpx.AsyncClient(base_url=server.http, headers=server.headers) as http:
        stored = (await http.get(f"/v1/meetings/{started['meeting_id']}")).json()
    resumed_words = words({"type": "final", **s} for s in stored["segments"])
    assert resumed_words == words(reference.frames)
    assert len({s["segment_id"] for s in stored["segments"]}) == len(stored["segments"])


async def test_audio_the_client_lost_is_recorded_as_silence(server, jfk_wav):
    pcm, rate = load_pcm(jfk_wav)
    async with websockets.connect(server.ws()) as ws:
        await ws.send(start_frame())
        started = json.loads(await ws.recv())
        await send_audio(ws, pcm[:3 * BYTES_PER_S])
    frames = []
    async with websockets.connect(server.ws()) as ws:
        await ws.send(start_frame(meeting_id=started["meeting_id"], resume_from_s=5.0))
        resumed = json.loads(await ws.recv())
        assert resumed["received_s"] == pytest.approx(3.0, abs=0.01)
        await send_audio(ws, pcm[5 * BYTES_PER_S:])
        await ws.send('{"type": "stop"}')
        await drain_until_stopped(ws, frames)
    finals = [f for f in frames if f["type"] == "final"]
    last = finals[-1]
    assert "country" in last["text"].lower()
    # "ask what you can do for your country" is at 8-10.5 s of the clip: times kept.
    assert last["end"] == pytest.approx(10.5, abs=0.7)
    assert frames[-1]["type"] == "note" or any(f["type"] == "stopped" for f in frames)


async def test_resuming_an_unknown_meeting_is_refused(server):
    async with websockets.connect(server.ws()) as ws:
        await ws.send(start_frame(meeting_id="m_doesnotexist", resume_from_s=0))
        frame = json.loads(await ws.recv())
        with pytest.raises(websockets.ConnectionClosed):
            await ws.recv()
    assert frame["code"] == "unknown_meeting" and ws.close_code == 4404


async def kill_9_mid_meeting(data, pcm, finals):
    """Stream into a fresh server until ``finals`` finals came back, then kill -9 it."""
    first = start_server(data)
    got = []
    try:
        async with websockets.connect(first.ws()) as ws:
            await ws.send(start_frame())
            started = json.loads(await ws.recv())
            await send_audio(ws, pcm)
            async with asyncio.timeout(120):
                while len([f for f in got if f["type"] == "final"]) < finals:
                    got.append(json.loads(await ws.recv()))
            first.proc.send_signal(signal.SIGKILL)
            first.proc.wait(30)
    except websockets.ConnectionClosed:
        pass
    finally:
        stop_server(first)
    return started, got


async def test_kill_9_keeps_every_final_sent_and_the_meeting_resumes(tmp_path, jfk_wav):
    pcm, rate = load_pcm(jfk_wav)
    data = tmp_path / "data"
    started, got = await kill_9_mid_meeting(data, pcm[:6 * BYTES_PER_S], 2)
    sent = [f for f in got if f["type"] == "final"]
    second = start_server(data)
    try:
        async with httpx.AsyncClient(base_url=second.http, headers=second.headers) as http:
            meeting = (await http.get(f"/v1/meetings/{started['meeting_id']}")).json()
        assert meeting["status"] == "interrupted"
        stored = {s["segment_id"]: s["text"] for s in meeting["segments"]}
        for final in sent:
            assert stored[final["segment_id"]] == final["text"]
        frames = []
        async with websockets.connect(second.ws()) as ws:
            await ws.send(start_frame(meeting_id=started["meeting_id"], resume_from_s=0.0))
            resumed = json.loads(await ws.recv())
            assert resumed["received_s"] >= sent[-1]["end"] - 0.01
            await send_audio(ws, pcm[int(resumed["received_s"] * BYTES_PER_S) // 2 * 2:])
            await ws.send('{"type": "stop"}')
            await drain_until_stopped(ws, frames)
        async with httpx.AsyncClient(base_url=second.http, headers=second.headers) as http:
            meeting = (await http.get(f"/v1/meetings/{started['meeting_id']}")).json()
        assert meeting["status"] == "stopped"
        text = " ".join(s["text"] for s in meeting["segments"]).lower()
        assert "fellow americans" in text and "for your country" in text
        ids = [s["segment_id"] for s in meeting["segments"]]
        assert len(ids) == len(set(ids))
    finally:
        stop_server(second)


def _remote_hosts(pid):
    proc = psutil.Process(pid)
    hosts = set()
    for conn in proc.net_connections(kind="inet"):
        for addr in (conn.laddr, conn.raddr):
            if addr:
                hosts.add(addr.ip)
    return hosts


async def test_nothing_leaves_the_machine_during_a_meeting(server, jfk_wav):
    seen, done = set(), threading.Event()

    def watch():
        while not done.is_set():
            seen.update(_remote_hosts(server.proc.pid))
            done.wait(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        pcm, rate = load_pcm(jfk_wav)
        result = await stream_pcm(server.ws(), pcm, rate)
        async with httpx.AsyncClient(base_url=server.http, headers=server.headers) as http:
            await http.get(f"/v1/meetings/{result.started['meeting_id']}/transcript.txt")
    finally:
        done.set()
        watcher.join()
    assert seen, "the watcher saw the server's own sockets"
    assert all(ipaddress.ip_address(host).is_loopback for host in seen), seen


async def test_a_meeting_not_resumed_after_a_crash_ends_with_its_note(tmp_path, jfk_wav):
    pcm, _ = load_pcm(jfk_wav)
    data = tmp_path / "data"
    started, _ = await kill_9_mid_meeting(data, pcm, 1)
    second = start_server(data, "--grace-s", "2")
    url = f"/v1/meetings/{started['meeting_id']}"
    try:
        async with httpx.AsyncClient(base_url=second.http, headers=second.headers) as http:
            async with asyncio.timeout(300):
                while True:
                    meeting = (await http.get(url)).json()
                    if meeting["status"] == "stopped" and meeting["note"]["status"] == "ready":
                        break
                    await asyncio.sleep(0.5)
            note = (await http.get(url + "/note")).json()
        assert note["meeting_id"] == started["meeting_id"]
        ids = {s["segment_id"] for s in meeting["segments"]}
        assert all(set(item["evidence"]) <= ids for section in ("purpose", "discussion",
                   "voice_of_person", "observations", "risks", "actions", "next_steps")
                   for item in note[section])
    finally:
        stop_server(second)


async def test_a_meeting_live_at_a_clean_shutdown_comes_back_interrupted(tmp_path, jfk_wav):
    pcm, _ = load_pcm(jfk_wav)
    data = tmp_path / "data"
    first = start_server(data)
    try:
        async with websockets.connect(first.ws()) as ws:
            await ws.send(start_frame())
            started = json.loads(await ws.recv())
            await send_audio(ws, pcm[:4 * BYTES_PER_S])
            await ws.send('{"type": "ping"}')
            while json.loads(await ws.recv())["type"] != "pong":
                pass
            stop_server(first)  # SIGTERM: uvicorn shuts down cleanly
    except websockets.ConnectionClosed:
        pass
    finally:
        stop_server(first)
    assert first.proc.returncode is not None
    second = start_server(data)
    try:
        async with httpx.AsyncClient(base_url=second.http, headers=second.headers) as http:
            meeting = (await http.get(f"/v1/meetings/{started['meeting_id']}")).json()
        assert meeting["status"] == "interrupted"
    finally:
        stop_server(second)

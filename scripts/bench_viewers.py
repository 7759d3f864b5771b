#!/usr/bin/env python3
"""Caption delay to viewers relative to the recorder, with 1, 5 and 20 viewers.

A recorder streams the synthetic home visit at real-time pace to a real casenote server
while N viewers follow the share link; for every partial and final, each viewer's arrival
time minus the recorder's is one sample. Prints p50/p95 per N and writes JSON.

    python scripts/bench_viewers.py [--counts 1,5,20] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.bench_captions import start_casenote  # noqa: E402

FRAME_S = 0.1


async def follow(url: str, arrivals: dict[tuple[str, str, str], float], t0: list[float],
                 ready: asyncio.Event) -> None:
    async with websockets.connect(url) as ws:
        ready.set()
        async for message in ws:
            frame = json.loads(message)
            if frame["type"] in ("partial", "final"):
                key = (frame["type"], frame["segment_id"], frame["text"])
                arrivals.setdefault(key, time.perf_counter() - t0[0])
            if frame["type"] == "stopped":
                return


async def one_run(port: int, pcm: bytes, viewers: int) -> list[float]:
    url = f"ws://127.0.0.1:{port}/v1/meetings/stream?token=bench"
    t0 = [time.perf_counter()]
    recorder: dict[tuple[str, str, str], float] = {}
    seen: list[dict[tuple[str, str, str], float]] = [{} for _ in range(viewers)]
    async with websockets.connect(url, max_size=None) as ws:
        await ws.send(json.dumps({"type": "start", "sample_rate": 16000,
                                  "encoding": "pcm_s16le", "channels": 1, "language": "en",
                                  "title": "bench", "meeting_id": None, "resume_from_s": None}))
        started = json.loads(await ws.recv())
        share = (f"ws://127.0.0.1:{port}/v1/meetings/{started['meeting_id']}/captions"
                 f"?share={started['share_token']}")
        readies = [asyncio.Event() for _ in range(viewers)]
        tasks = [asyncio.create_task(follow(share, seen[i], t0, readies[i]))
                 for i in range(viewers)]
        await asyncio.gather(*(r.wait() for r in readies))
        t0[0] = time.perf_counter()

        async def send() -> None:
            step = int(16000 * FRAME_S) * 2
            for i, lo in enumerate(range(0, len(pcm), step)):
                await ws.send(pcm[lo:lo + step])
                await asyncio.sleep(max(0.0, t0[0] + (i + 1) * FRAME_S - time.perf_counter()))
            await ws.send(json.dumps({"type": "stop"}))

        sender = asyncio.create_task(send())
        async for message in ws:
            frame = json.loads(message)
            if frame["type"] in ("partial", "final"):
                key = (frame["type"], frame["segment_id"], frame["text"])
                recorder.setdefault(key, time.perf_counter() - t0[0])
            if frame["type"] == "stopped":
                break
        await sender
        await asyncio.gather(*tasks)
    delays = []
    for arrivals in seen:
        for key, when in arrivals.items():
            if key in recorder:
                delays.append(when - recorder[key])
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="1,5,20")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--port", type=int, default=8932)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "bench-viewers.json")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        subprocess.run([sys.executable, str(ROOT / "scripts" / "make_meeting.py"), str(work)],
                       check=True, capture_output=True)
        audio, _ = sf.read(str(work / "home_visit.wav"), dtype="int16")
        pcm = audio[: int(args.seconds * 16000)].tobytes()
        server = start_casenote(args.port, work / "data", "utterance", [])
        try:
            for count in (int(c) for c in args.counts.split(",")):
                delays = asyncio.run(one_run(args.port, pcm, count))
                row = {"viewers": count, "samples": len(delays),
                       "p50_ms": float(np.percentile(delays, 50)) * 1000,
                       "p95_ms": float(np.percentile(delays, 95)) * 1000,
                       "max_ms": float(np.max(delays)) * 1000}
                results.append(row)
                print(f"{count:3d} viewers: delay after the recorder p50 {row['p50_ms']:.1f} ms"
                      f"  p95 {row['p95_ms']:.1f} ms  max {row['max_ms']:.1f} ms"
                      f"  ({row['samples']} frames)", flush=True)
        finally:
            server.stop()
    args.out.write_text(json.dumps({"machine": f"{os.cpu_count()} cores",
                                    "date": time.strftime("%Y-%m-%d"), "results": results},
                                   indent=1))


if __name__ == "__main__":
    main()

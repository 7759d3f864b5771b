"""A real websockets client for the recording protocol, used by the end-to-end tests."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import websockets


@dataclass
class StreamResult:
    started: dict[str, Any]
    frames: list[dict[str, Any]] = field(default_factory=list)
    close_code: int | None = None

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.frames if f.get("type") == kind]

    @property
    def finals(self) -> list[dict[str, Any]]:
        return self.of("final")

    @property
    def text(self) -> str:
        return " ".join(f["text"] for f in self.finals)


def start_frame(sample_rate: int = 16000, encoding: str = "pcm_s16le", **extra: Any) -> str:
    frame = {"type": "start", "sample_rate": sample_rate, "encoding": encoding, "channels": 1,
             "language": "en", "title": "Test visit", "meeting_id": None, "resume_from_s": None}
    frame.update(extra)
    return json.dumps(frame)


def load_pcm(path: Path, encoding: str = "pcm_s16le", sample_rate: int | None = None
             ) -> tuple[bytes, int]:
    audio, rate = sf.read(str(path), dtype="float32")
    if sample_rate is not None and sample_rate != rate:
        import soxr
        audio = soxr.resample(audio, rate, sample_rate)
        rate = sample_rate
    if encoding == "pcm_s16le":
        return (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes(), rate
    return audio.astype("<f4").tobytes(), rate


async def stream_pcm(url: str, pcm: bytes, sample_rate: int, encoding: str = "pcm_s16le", *,
                     frame_s: float = 0.1, realtime: bool = False, stop: bool = True,
                     timeout_s: float = 300) -> StreamResult:
    width = 2 if encoding == "pcm_s16le" else 4
    step = int(sample_rate * frame_s) * width
    async with websockets.connect(url, max_size=None) as ws:
        await ws.send(start_frame(sample_rate, encoding))
        started = json.loads(await ws.recv())
        result = StreamResult(started)
        if started.get("type") != "started":
            result.frames.append(started)
            return result

        async def send() -> None:
            t0 = time.perf_counter()
            for i, lo in enumerate(range(0, len(pcm), step)):
                await ws.send(pcm[lo:lo + step])
                if realtime:
                    await asyncio.sleep(max(0.0, t0 + (i + 1) * frame_s - time.perf_counter()))
            if stop:
                await ws.send(json.dumps({"type": "stop"}))

        sender = asyncio.create_task(send())
        try:
            async with asyncio.timeout(timeout_s):
                async for message in ws:
                    result.frames.append(json.loads(message))
        except websockets.ConnectionClosed:
            pass
        await sender
        result.close_code = ws.close_code
        return result

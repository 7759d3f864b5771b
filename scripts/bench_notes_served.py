"""Case notes as a user gets them: fixture meetings through `casenote serve`, scored.

    PYTHONPATH=. .venv/bin/python scripts/bench_notes_served.py [--meetings NAME ...]
        [--live] [--busy] [--note-model M] [--drafter D] [--out docs/bench-notes-served.json]

Each meeting of scripts/note_meetings/ is synthesised (offline voices, scripts/make_meeting)
and goes through a freshly started server, first meeting first:
- upload (always): POST /v1/transcriptions with the visit's `date`, then the stored note
  and transcript over HTTP, scored against the meeting's checklist (scripts/note_score):
  facts found overall and per kind, items with ungrounded specifics, misattributed items,
  unsupported per item, note words over transcript words;
- live (--live): streamed over the WebSocket at real time (0.1 s frames), Stop, and the
  seconds from `stopped` to the first `drafting` note with content and to `ready`; the
  live note is scored too, without due dates (it is dated today, not the visit's day);
- busy (--busy): the first meeting streamed live again with both cores loaded by two
  spinning processes; the note must be identical to the idle run's, `drafted_at` aside.
Prints one JSON report and writes it to --out.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import soundfile as sf
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts import make_meeting, note_score  # noqa: E402
from scripts.bench_captions import pace, start_casenote  # noqa: E402

MEETINGS = ROOT / "scripts" / "note_meetings"
TOKEN = "bench"
NOTE_TIMEOUT_S = 900


def synthesise(script: dict[str, Any], work: Path) -> tuple[Path, list[dict[str, Any]]]:
    turns = [tuple(t) for t in script["turns"]]
    audio, truth = make_meeting.build(len(turns), 7, turns, script["voices"])
    wav = work / f"{script['_name']}.wav"
    sf.write(str(wav), audio, make_meeting.RATE_HZ, subtype="PCM_16")
    return wav, truth


async def upload(port: int, wav: Path, script: dict[str, Any]) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers,
                                 timeout=60) as http:
        began = time.perf_counter()
        answer = await http.post("/v1/transcriptions", files={
            "file": (wav.name, wav.read_bytes(), "audio/wav")},
            data={"title": script["title"], "date": script["date"]})
        answer.raise_for_status()
        meeting_id = answer.json()["meeting_id"]
        while True:
            meeting = (await http.get(f"/v1/meetings/{meeting_id}")).json()
            if meeting["status"] == "stopped" and meeting["note"]["status"] in ("ready",
                                                                                "failed"):
                break
            if time.perf_counter() - began > NOTE_TIMEOUT_S:
                raise TimeoutError("the upload's note was not ready in time")
            await asyncio.sleep(0.5)
        note = (await http.get(f"/v1/meetings/{meeting_id}/note")).json()
    return {"meeting_id": meeting_id, "note": note, "segments": meeting["segments"],
            "upload_to_note_s": round(time.perf_counter() - began, 2)}


async def live(port: int, wav: Path, title: str) -> dict[str, Any]:
    pcm = sf.read(str(wav), dtype="int16")[0].tobytes()
    url = f"ws://127.0.0.1:{port}/v1/meetings/stream?token={TOKEN}"
    stopped_at = drafting_s = ready_s = None
    note: dict[str, Any] | None = None
    async with websockets.connect(url, max_size=None) as ws:
        await ws.send(json.dumps({"type": "start", "sample_rate": 16000,
                                  "encoding": "pcm_s16le", "channels": 1, "language": "en",
                                  "title": title, "meeting_id": None, "resume_from_s": None}))
        meeting_id = json.loads(await ws.recv())["meeting_id"]
        t0 = time.perf_counter()

        async def send() -> None:
            await pace(ws, pcm, t0)
            await ws.send(json.dumps({"type": "stop"}))

        sender = asyncio.create_task(send())
        async with asyncio.timeout(len(pcm) / 32000 + NOTE_TIMEOUT_S):
            async for message in ws:
                frame = json.loads(message)
                now = time.perf_counter()
                if frame["type"] == "stopped":
                    stopped_at = now
                elif frame["type"] == "note" and stopped_at is not None:
                    if frame["status"] == "drafting" and frame.get("note"):
                        drafting_s = drafting_s or now - stopped_at
                    if frame["status"] in ("ready", "failed"):
                        ready_s, note = now - stopped_at, frame.get("note")
                        break
        await sender
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}",
                                 headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        meeting = (await http.get(f"/v1/meetings/{meeting_id}")).json()
    return {"meeting_id": meeting_id, "note": note, "segments": meeting["segments"],
            "drafting_s": None if drafting_s is None else round(drafting_s, 2),
            "ready_s": None if ready_s is None else round(ready_s, 2)}


def comparable(note: dict[str, Any] | None) -> dict[str, Any]:
    """The note without what differs between two runs by design."""
    return {k: v for k, v in (note or {}).items()
            if k not in ("drafted_at", "meeting_id", "date")}


def summary(report: dict[str, Any]) -> dict[str, Any]:
    keep = ("facts", "by_kind", "items", "unsupported", "words")
    out = {k: report[k] for k in keep}
    out["ungrounded_items"] = report["ungrounded"]["items"]
    out["misattributed_items"] = report["misattributed"]["items"]
    out["missed"] = [f["id"] for f in report["per_fact"] if not f["found"]]
    return out


def spin() -> None:
    while True:
        pass


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    folder = args.meetings_dir
    names = args.meetings or sorted(p.stem for p in folder.glob("*.json"))
    scripts = []
    for name in names:
        script = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        scripts.append(script | {"_name": name})
    work = Path(tempfile.mkdtemp(prefix="bench-notes-"))
    audio = {s["_name"]: synthesise(s, work) for s in scripts}
    extra = ["--note-model", args.note_model] if args.note_model else []
    extra += ["--drafter", args.drafter] if args.drafter else []
    server = start_casenote(args.port, work / "data", "utterance", extra)
    results: dict[str, Any] = {"load_average": os.getloadavg(), "meetings": {}}
    try:
        for script in scripts:
            wav, truth = audio[script["_name"]]
            row: dict[str, Any] = {"duration_s": round(sf.info(str(wav)).duration, 1)}
            uploaded = await upload(args.port, wav, script)
            row["upload"] = summary(note_score.score(uploaded["note"], uploaded["segments"],
                                                     script, truth))
            row["upload"]["upload_to_note_s"] = uploaded["upload_to_note_s"]
            if args.transcripts:   # what the server heard, to diagnose the rules on later
                args.transcripts.mkdir(parents=True, exist_ok=True)
                (args.transcripts / f"{script['_name']}.json").write_text(
                    json.dumps(uploaded["segments"], indent=0), encoding="utf-8")
            if args.live:
                streamed = await live(args.port, wav, script["title"])
                undated = script | {"checklist": [{k: v for k, v in f.items() if k != "due"}
                                                  for f in script["checklist"]]}
                row["live"] = summary(note_score.score(streamed["note"] or {},
                                                       streamed["segments"], undated, truth))
                row["live"] |= {"drafting_s": streamed["drafting_s"],
                                "ready_s": streamed["ready_s"]}
                row["_live_note"] = streamed["note"]
                row["_live_segments"] = streamed["segments"]
            results["meetings"][script["_name"]] = row
            print(json.dumps({script["_name"]: {k: v for k, v in row.items()
                                                if not k.startswith("_")}}), flush=True)
        if args.busy:
            results["busy"] = await busy_run(args.port, scripts[0], audio, results)
    finally:
        server.stop()
    for row in results["meetings"].values():
        row.pop("_live_note", None)
        row.pop("_live_segments", None)
    results["all"] = totals([row["upload"] for row in results["meetings"].values()])
    return results


def totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Facts found over all meetings, overall and by kind, and the faithfulness counts."""
    by_kind: dict[str, list[int]] = {}
    for row in rows:
        for kind, part in row["by_kind"].items():
            entry = by_kind.setdefault(kind, [0, 0])
            entry[0] += part["found"]
            entry[1] += part["total"]
    found = sum(r["facts"]["found"] for r in rows)
    total = sum(r["facts"]["total"] for r in rows)
    return {"facts": f"{found}/{total}", "share": round(found / total, 3) if total else 0.0,
            "by_kind": {k: f"{f}/{t}" for k, (f, t) in by_kind.items()},
            "ungrounded_items": sum(r["ungrounded_items"] for r in rows),
            "misattributed_items": sum(r["misattributed_items"] for r in rows),
            "items": sum(r["items"] for r in rows)}


async def busy_run(port: int, script: dict[str, Any], audio: dict[str, Any],
                   results: dict[str, Any]) -> dict[str, Any]:
    wav, _ = audio[script["_name"]]
    idle = results["meetings"][script["_name"]].get("_live_note")
    idle_said = [(s["speaker"], s["text"]) for s in
                 results["meetings"][script["_name"]].get("_live_segments") or []]
    spinners = [multiprocessing.Process(target=spin, daemon=True) for _ in range(2)]
    for p in spinners:
        p.start()
    try:
        streamed = await live(port, wav, script["title"])
    finally:
        for p in spinners:
            p.terminate()
    return {"meeting": script["_name"], "ready_s": streamed["ready_s"],
            "drafting_s": streamed["drafting_s"],
            "identical_to_idle": idle is not None and comparable(idle) == comparable(
                streamed["note"]),
            # a note can only be the same when what it was drafted from is
            "transcript_identical_to_idle": idle_said == [
                (s["speaker"], s["text"]) for s in streamed["segments"] or []],
            "items": sum(len(v) for k, v in (streamed["note"] or {}).items()
                         if isinstance(v, list) and k not in ("attendees", "unsupported"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", nargs="*")
    parser.add_argument("--meetings-dir", type=Path, default=MEETINGS,
                        help="where the meeting scripts are (a held-out set kept elsewhere)")
    parser.add_argument("--transcripts", type=Path,
                        help="write each upload's stored transcript here")
    parser.add_argument("--live", action="store_true")
    parser.add_argument("--busy", action="store_true", help="needs --live")
    parser.add_argument("--note-model")
    parser.add_argument("--drafter", help="rules (the server's default), llama or ollama")
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "bench-notes-served.json")
    args = parser.parse_args()
    results = asyncio.run(bench(args))
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()

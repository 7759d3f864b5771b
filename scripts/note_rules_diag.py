#!/usr/bin/env python3
"""A diagnosis, not a product figure: the note's rules on fixture meetings, in process.

    PYTHONPATH=. .venv/bin/python scripts/note_rules_diag.py [--meetings-dir DIR]
        [--transcripts DIR] [--missed] [NAME ...]

Each meeting's note is drafted by the rules alone (``--drafter rules``: no model, no
recognition), from either the script's own turns with perfect speaker labels (the default)
or the transcripts a served run stored (``--transcripts``, as written by
``bench_notes_served.py --transcripts``), and scored with ``note_score.py``. It runs in
seconds, so it shows quickly which facts the rules miss and why (``--missed``); the figure a
user gets comes from ``bench_notes_served.py``, through the server.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts import note_score  # noqa: E402
from scripts.bench_notes_served import totals  # noqa: E402
from server.notes import DrafterConfig, load_drafter  # noqa: E402
from server.notes.drafting import IncrementalNote  # noqa: E402
from server.notes.evidence import EvidenceChecker, MiniLMEmbedder  # noqa: E402
from server.notes.schema import MeetingInfo, Segment  # noqa: E402

MEETINGS = ROOT / "scripts" / "note_meetings"
SCRIPT_TURN_S = 3.0   # the script's turns are laid out this far apart


def script_segments(script: dict[str, Any]) -> list[Segment]:
    labels = {voice: f"S{i + 1}" for i, voice in enumerate(script["voices"])}
    return [Segment(f"s_{i}", labels[who], SCRIPT_TURN_S * i, SCRIPT_TURN_S * i + 2.5, text)
            for i, (who, text) in enumerate(script["turns"])]


def stored_segments(path: Path) -> list[Segment]:
    return [Segment(s["segment_id"], s["speaker"], s["start"], s["end"], s["text"])
            for s in json.loads(path.read_text(encoding="utf-8"))]


def rules_note(script: dict[str, Any], segments: list[Segment],
               checker: EvidenceChecker | None = None) -> dict[str, Any]:
    note = IncrementalNote(load_drafter(DrafterConfig(engine="rules"), None), checker)
    note.add_segments(segments)
    date = dt.date.fromisoformat(script["date"])
    end = segments[-1].end_s if segments else 0.0
    return note.finish(MeetingInfo("m", script["title"], date, end, {})).to_wire()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="meetings (file stems); all by default")
    parser.add_argument("--meetings-dir", type=Path, default=MEETINGS)
    parser.add_argument("--transcripts", type=Path,
                        help="score on the stored transcripts of a served run instead")
    parser.add_argument("--missed", action="store_true", help="list each missed fact")
    parser.add_argument("--minilm", type=Path,
                        help="the all-minilm-l6-v2 folder: check evidence and score risks by "
                             "meaning, as the server does")
    args = parser.parse_args()
    checker = EvidenceChecker(MiniLMEmbedder(args.minilm)) if args.minilm else None
    rows = []
    for path in sorted(args.meetings_dir.glob("*.json")):
        if args.names and path.stem not in args.names:
            continue
        script = json.loads(path.read_text(encoding="utf-8"))
        if args.transcripts:
            stored = args.transcripts / path.name
            if not stored.is_file():
                continue
            segments = stored_segments(stored)
        else:
            segments = script_segments(script)
        wire = rules_note(script, segments, checker)
        report = note_score.score(wire, [
            {"segment_id": s.segment_id, "speaker": s.speaker, "start": s.start_s,
             "end": s.end_s, "text": s.text} for s in segments], script)
        row = {"facts": report["facts"], "by_kind": report["by_kind"], "items": report["items"],
               "ungrounded_items": report["ungrounded"]["items"],
               "misattributed_items": report["misattributed"]["items"],
               "words": report["words"]["ratio"]}
        rows.append(row)
        print(f"{path.stem}: {row['facts']['found']}/{row['facts']['total']} facts, "
              f"{row['items']} items, words {row['words']}, ungrounded "
              f"{row['ungrounded_items']}, misattributed {row['misattributed_items']}")
        if args.missed:
            facts = {f["id"]: f for f in script["checklist"]}
            for verdict in report["per_fact"]:
                if not verdict["found"]:
                    fact = facts[verdict["id"]]
                    print(f"    missed {verdict['id']} ({verdict['kind']}): {verdict['why']}; "
                          f"keywords {fact.get('keywords')}")
    print(json.dumps(totals(rows), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

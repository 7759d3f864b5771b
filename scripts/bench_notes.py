"""Case-note benchmark: note-ready time after stop, planted facts found, evidence validity.

    PYTHONPATH=. .venv/bin/python scripts/bench_notes.py [--model NAME] [--minutes 5 15 30]

1. Quality, on the fixture home visit (tests/notes/fixtures, 4.5 min, planted facts):
   share of planted facts found (an item citing the planted segment and naming one of its
   keywords; in the planted section, and anywhere), share of items whose own citation holds
   (before alignment), share after alignment (what the note keeps), and drafting speed.
2. Timing, on meetings of 5, 15 and 30 minutes made by repeating the fixture:
   - incremental: chunks are drafted while the meeting runs; a schedule in meeting time
     (a chunk starts when the drafter is idle and enough speech is pending, and lasts what
     chunks of that size cost on this machine) gives the speech still undrafted at stop;
     that tail is then really drafted and the whole note merged: the note-ready time;
   - single pass: the whole transcript drafted after stop (measured for the first length,
     from the fitted cost per word for longer ones, marked "modelled").
Timings depend on the machine's load; the script prints the load average beside them.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.modelstore import ModelStore  # noqa: E402
from server.notes import DEFAULT_GGUF_MODEL, DrafterConfig, load_drafter  # noqa: E402
from server.notes.drafting import IncrementalNote, NoteOptions  # noqa: E402
from server.notes.evidence import EvidenceChecker, load_minilm  # noqa: E402
from server.notes.schema import Segment  # noqa: E402
from server.settings import Settings  # noqa: E402
from tests.notes.conftest import load_meeting  # noqa: E402


def repeated(segments: list[Segment], minutes: float) -> list[Segment]:
    out: list[Segment] = []
    offset, n = 0.0, 0
    span = segments[-1].end_s + 1.0
    while offset < minutes * 60:
        for seg in segments:
            if offset + seg.end_s > minutes * 60:
                break
            n += 1
            out.append(Segment(f"s_{n}", seg.speaker, offset + seg.start_s, offset + seg.end_s,
                               seg.text))
        offset += span
    return out


def quality(drafter, checker, meeting) -> dict:
    note = IncrementalNote(drafter, None, title=meeting.info.title, date=meeting.info.date)
    note.set_speakers(meeting.info.speakers)
    note.add_segments(meeting.segments)
    started = time.monotonic()
    while note.step():
        pass
    draft_s = time.monotonic() - started
    raw = list(note._state.items)  # noqa: SLF001
    by_id, speakers = meeting.by_id, meeting.info.speakers
    own_ok = sum(checker.check(i, by_id, speakers)[1] is None for i in raw)
    aligned = [checker.check(checker.align(i, meeting.segments, speakers), by_id, speakers)
               for i in raw]
    kept = [i for i, problem in aligned if problem is None]
    found_in_section = found_anywhere = 0
    for fact in meeting.planted:
        hits = [i for i in kept if set(i.evidence) & set(fact["evidence"])
                and any(k.lower() in i.text.lower() for k in fact["keywords"])]
        found_anywhere += bool(hits)
        found_in_section += any(i.section == fact["section"] for i in hits)
    chunks = note.chunks
    return {
        "items": len(raw), "items_kept": len(kept),
        "own_citation_valid": round(own_ok / max(1, len(raw)), 2),
        "evidence_valid_after_alignment": round(len(kept) / max(1, len(raw)), 2),
        "planted_found_anywhere": f"{found_anywhere}/{len(meeting.planted)}",
        "planted_found_in_section": f"{found_in_section}/{len(meeting.planted)}",
        "draft_s": round(draft_s, 1),
        "prompt_tok_per_s": round(sum(c.prompt_tokens - c.cached_tokens for c in chunks)
                                  / max(1e-9, sum(c.seconds for c in chunks)), 1),
        "sampled_tokens": sum(c.generated_tokens for c in chunks),
        "kept_items": [f"{i.section}: {i.text} {list(i.evidence)}" for i in kept],
    }


def fit_cost(chunks) -> tuple[float, float]:
    """seconds = a + b * words, least squares over the measured chunks."""
    xs = [c.words for c in chunks]
    ys = [c.seconds for c in chunks]
    if len(xs) < 2 or max(xs) == min(xs):
        return 0.0, sum(ys) / max(1, sum(xs))
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
    return max(0.0, my - b * mx), b


def tail_at_stop(segments: list[Segment], options: NoteOptions, cost) -> list[Segment]:
    """Segments still undrafted when the meeting stops, by a schedule in meeting time."""
    a, b = cost
    t, drafted, i = 0.0, 0, 0
    end = segments[-1].end_s
    while t < end:
        ready = [s for s in segments[drafted:] if s.end_s <= t]
        words = sum(len(s.text.split()) for s in ready)
        if words >= options.min_chunk_words:
            take, total = 0, 0
            for s in ready:
                if take and total + len(s.text.split()) > options.max_chunk_words:
                    break
                take, total = take + 1, total + len(s.text.split())
            t += a + b * total
            drafted += take
        else:
            i = next((k for k in range(drafted, len(segments)) if segments[k].end_s > t), None)
            if i is None:
                break
            t = segments[i].end_s
    return [s for s in segments[drafted:]]


def timing(drafter, checker, meeting, minutes: list[float], options: NoteOptions,
           budget_s: float) -> list[dict]:
    rows = []
    first = repeated(meeting.segments, minutes[0])
    note = IncrementalNote(drafter, checker, options, meeting.info.title, meeting.info.date)
    note.set_speakers(meeting.info.speakers)
    note.add_segments(first)
    started = time.monotonic()
    note.finish(dataclasses.replace(meeting.info, duration_s=first[-1].end_s))
    single_s = time.monotonic() - started
    cost = fit_cost(note.chunks)
    per_word = single_s / max(1, sum(len(s.text.split()) for s in first))
    for m in minutes:
        segments = repeated(meeting.segments, m)
        words = sum(len(s.text.split()) for s in segments)
        tail = tail_at_stop(segments, options, cost)
        info = dataclasses.replace(meeting.info, duration_s=segments[-1].end_s)
        ready = {}
        for budget in (None, budget_s):
            live = IncrementalNote(drafter, checker, options, meeting.info.title,
                                   meeting.info.date)
            live.set_speakers(meeting.info.speakers)
            live.add_segments(segments[:len(segments) - len(tail)])
            live._state.drafted = len(segments) - len(tail)  # noqa: SLF001 (drafted live)
            live._state.items = list(note._state.items) * max(1, round(m / minutes[0]))  # noqa: SLF001
            live.add_segments(tail)
            started = time.monotonic()
            live.finish(info, None if budget is None else started + budget)
            ready[budget] = (time.monotonic() - started, len(live.undrafted_ids()))
        rows.append({"minutes": m, "words": words, "tail_segments": len(tail),
                     "tail_words": sum(len(s.text.split()) for s in tail),
                     "incremental_ready_after_stop_s": round(ready[None][0], 1),
                     f"incremental_with_{budget_s}s_budget_ready_s": round(ready[budget_s][0], 1),
                     "tail_segments_left_undrafted_by_budget": ready[budget_s][1],
                     "single_pass_after_stop_s": round(single_s if m == minutes[0]
                                                       else per_word * words, 1),
                     "single_pass": "measured" if m == minutes[0] else "modelled"})
    rows.append({"cost_model_s": f"{cost[0]:.1f} + {cost[1]:.3f} x words per chunk"})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_GGUF_MODEL)
    parser.add_argument("--minutes", type=float, nargs="+", default=[5, 15, 30])
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--budget-s", type=float, default=4.5,
                        help="deadline from stop for the budgeted incremental run")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    store = ModelStore(Settings().model_cache_dir)
    meeting = load_meeting()
    started = time.monotonic()
    drafter = load_drafter(DrafterConfig(model=args.model), store)
    load_s = time.monotonic() - started
    checker = EvidenceChecker(load_minilm(store))
    result: dict = {"model": args.model, "model_load_s": round(load_s, 1),
                    "load_average": os.getloadavg(), "cpus": os.cpu_count()}
    if not args.skip_quality:
        result["quality"] = quality(drafter, checker, meeting)
    result["timing"] = timing(drafter, checker, meeting, args.minutes, NoteOptions(),
                              args.budget_s)
    result["load_average_after"] = os.getloadavg()
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

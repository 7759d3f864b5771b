"""Case notes for meetings: drafted while a meeting runs, finished at stop, redrafted on
request, kept in the store beside the worker's own version.

``Notes`` is the application's side of ``server.notes`` (the engine, which knows nothing of
meetings, sockets or the store). A live meeting holds a ``LiveNote``: finals go in as they
are committed (drafting follows on a low-priority thread, see ``NoteWorker``), risk cues
come out at once, and ``finish`` turns what was drafted into the note. If the budget after
stop runs out with speech still undrafted (recognition fell behind, or the meeting was
too long for drafting to keep up), the note so far goes out as a ``drafting`` frame and
drafting goes on to the end: a note is never called ready with part of the meeting
missing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from server.notes import DrafterConfig, load_drafter
from server.notes.drafting import Checker, Drafter, IncrementalNote
from server.notes.risks import RiskMonitor
from server.notes.schema import CaseNote, MeetingInfo, Person, Segment
from server.notes.worker import NICENESS, NoteWorker, lower_priority
from server.store import (NOTE_DRAFTING, NOTE_FAILED, NOTE_READY, MeetingRow, SegmentRow,
                          Store)

log = logging.getLogger(__name__)

MIN_BUDGET_S = 1.0  # even when stopping took long, the note gets this much


@dataclass(frozen=True)
class NoteEngine:
    drafter: Drafter
    checker: Checker | None
    budget_s: float  # from stop to a ready note

    @property
    def name(self) -> str:
        return self.drafter.model_name


def load_note_engine(settings: Any, store: Any) -> NoteEngine:
    """The configured drafter and the evidence checker; raises with a message saying why not."""
    from server.notes.evidence import EvidenceChecker, load_minilm
    from server.notes.semantic import purpose_scorer, scorer_for

    config = DrafterConfig(engine=settings.drafter, model=settings.note_model,
                           ollama_host=settings.ollama_host)
    drafter = load_drafter(config, store)
    embedder = load_minilm(store)
    for scorer in (scorer_for(embedder), purpose_scorer(embedder)):
        scorer.scores(["warm up"])   # embeds the examples once, while loading
    return NoteEngine(drafter, EvidenceChecker(embedder), settings.note_budget_s)


def to_segment(row: SegmentRow) -> Segment:
    return Segment(row.segment_id, row.speaker, row.start_s, row.end_s, row.text)


def people(names: Mapping[str, Any]) -> dict[str, Person]:
    """PATCH /speakers names ({"S1": {"name", "role"}}) as the note engine's people."""
    return {label: Person((entry or {}).get("name") or "", (entry or {}).get("role") or "")
            for label, entry in names.items() if entry}


def meeting_date(created_at: str) -> dt.date:
    """The meeting's date where the server is (created_at is UTC)."""
    try:
        return dt.datetime.fromisoformat(created_at).astimezone().date()
    except ValueError:
        return dt.date.today()


def meeting_info(row: MeetingRow, duration_s: float | None = None) -> MeetingInfo:
    return MeetingInfo(row.id, row.title or "Meeting", meeting_date(row.created_at),
                       round(duration_s if duration_s is not None else row.duration_s, 3),
                       people(row.speakers))


def note_frame(note: CaseNote | None, message: str | None = None) -> dict[str, Any]:
    if note is None:
        return {"type": "note", "status": "failed", "note": None,
                "message": message or "the note could not be drafted"}
    return {"type": "note", "status": "ready", "note": note.to_wire()}


class Notes:
    """Drafting for every meeting of the server; ``engine`` is None while loading or off."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine: NoteEngine | None = None
        self.loading = True
        self.off_reason: str | None = "the note drafter is still loading"
        # Drafts of stored meetings (redraft, uploads, the rest after the budget) run here,
        # one at a time, below the captions in priority.
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="note-stored",
                                            initializer=lower_priority, initargs=(NICENESS,))
        # Documents the worker is waiting for run at normal priority: a nice value counts
        # against every program on the machine, and with two other busy processes a niced
        # rewrite took 5.5 times as long (93 s against 17 s for two calls, docs/benchmarks.md).
        # They use one core while anything else runs (``cores_for_urgent_drafts``,
        # ``server.cpu``), so captions keep the other.
        self._urgent = ThreadPoolExecutor(1, thread_name_prefix="note-urgent")
        self._generation: dict[str, int] = {}
        # How many meetings are live or being processed (the app sets it): with only the
        # one being finished, drafting at stop may use both cores.
        self.busy: Callable[[], int] = lambda: 0
        self._tasks: set[asyncio.Task[Any]] = set()

    def ready(self, engine: NoteEngine) -> None:
        self.engine, self.off_reason, self.loading = engine, None, False

    def off(self, reason: str) -> None:
        self.engine, self.off_reason, self.loading = None, reason, False

    def live(self, meeting_id: str, title: str, created_at: str,
             earlier: Iterable[SegmentRow] = ()) -> LiveNote:
        note = LiveNote(self, meeting_id, title, meeting_date(created_at))
        note.seed(earlier)
        return note

    # -- drafting a stored meeting ----------------------------------------------------------

    def _next_generation(self, meeting_id: str) -> int:
        self._generation[meeting_id] = self._generation.get(meeting_id, 0) + 1
        return self._generation[meeting_id]

    def cores_for_urgent_drafts(self) -> None:
        engine = self.engine
        setter = getattr(engine.drafter, "set_urgent_threads", None) if engine else None
        if setter is not None:
            setter(2 if self.busy() <= 1 else 1)

    def tasks_of(self, meeting_id: str) -> list[asyncio.Task[Any]]:
        return [t for t in self._tasks if t.get_name() == f"note {meeting_id}"]

    def is_drafting(self, meeting_id: str) -> bool:
        return any(not t.done() for t in self.tasks_of(meeting_id))

    async def run_low(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` on the low-priority drafting thread (whole notes of stored meetings)."""
        self.cores_for_urgent_drafts()
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def run_waited(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` on the drafting thread for work a person waits for (documents)."""
        self.cores_for_urgent_drafts()
        return await asyncio.get_running_loop().run_in_executor(self._urgent, fn, *args)

    def redraft(self, meeting_id: str) -> None:
        """Draft the whole stored meeting again, in the background but at normal priority:
        the worker asked for it and waits (a niced redraft starved behind two busy
        programs past five minutes, where the test waits for it)."""
        self._spawn(meeting_id, self.draft_stored(meeting_id, waited=True))

    def _spawn(self, meeting_id: str, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work, name=f"note {meeting_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def draft_stored(self, meeting_id: str, waited: bool = False) -> dict[str, Any]:
        """Draft the note of a stored meeting from its segments; the ``note`` frame.
        ``waited``: a person waits for it, so it runs at normal priority."""
        generation = self._next_generation(meeting_id)
        await asyncio.to_thread(self.store.set_note_status, meeting_id, NOTE_DRAFTING)
        engine = self.engine
        try:
            if engine is None:
                raise NoteUnavailable(self.off_reason or "case-note drafting is off")
            row = await asyncio.to_thread(self.store.meeting, meeting_id)
            if row is None:
                raise NoteUnavailable("the meeting was deleted")
            rows = await asyncio.to_thread(self.store.segments, meeting_id)
            info = meeting_info(row)
            note = IncrementalNote(engine.drafter, engine.checker, title=info.title,
                                   date=info.date)
            note.add_segments(to_segment(r) for r in rows)
            run = self.run_waited if waited else self.run_low
            drafted = await run(note.finish, info, None)
        except Exception as exc:  # a task boundary: the meeting keeps its transcript
            return await self._failed(meeting_id, generation, exc)
        await self._save(meeting_id, generation, drafted)
        return note_frame(drafted)

    async def _save(self, meeting_id: str, generation: int, note: CaseNote,
                    status: str = NOTE_READY) -> None:
        if self._generation.get(meeting_id) != generation:
            return  # a newer draft was asked for meanwhile
        try:
            await asyncio.to_thread(self.store.save_draft, meeting_id, note.to_wire(),
                                    _utc_now(), status)
        except sqlite3.IntegrityError:
            log.info("meeting %s was deleted while its note was drafted", meeting_id)

    async def _failed(self, meeting_id: str, generation: int, exc: Exception
                      ) -> dict[str, Any]:
        if isinstance(exc, NoteUnavailable):
            message = str(exc)
        else:
            log.exception("meeting %s: drafting the note failed", meeting_id)
            message = f"drafting the note failed ({type(exc).__name__}); the transcript is kept"
        if self._generation.get(meeting_id) == generation:
            try:
                await asyncio.to_thread(self.store.set_note_status, meeting_id, NOTE_FAILED,
                                        message)
            except sqlite3.IntegrityError:
                pass  # deleted meanwhile
        return note_frame(None, message)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._urgent.shutdown(wait=False, cancel_futures=True)


class NoteUnavailable(RuntimeError):
    """No note can be drafted; the message says why, in words for the worker."""


class LiveNote:
    """One live meeting's note: fed with finals, finished at stop."""

    def __init__(self, notes: Notes, meeting_id: str, title: str, date: dt.date) -> None:
        self._notes = notes
        self.meeting_id = meeting_id
        self.risks = RiskMonitor()
        engine = notes.engine
        self._note: IncrementalNote | None = None
        self._worker: NoteWorker | None = None
        if engine is not None:
            self._note = IncrementalNote(engine.drafter, engine.checker, title=title, date=date)
            self._worker = NoteWorker(self._note).start()

    def seed(self, rows: Iterable[SegmentRow]) -> None:
        """Segments stored before a resume: drafted, but not flagged again."""
        segments = [to_segment(r) for r in rows]
        for segment in segments:
            self.risks.observe(segment)  # so that the repeat window knows them
        if self._worker is not None and segments:
            self._worker.add_segments(segments)

    def add(self, row: SegmentRow) -> dict[str, str] | None:
        """A committed final; returns the ``risk`` frame it raises, if any."""
        segment = to_segment(row)
        if self._worker is not None:
            self._worker.add_segments([segment])
        flag = self.risks.observe(segment)
        return flag.to_wire() if flag is not None else None

    def suggestions(self) -> dict[str, dict[str, str]]:
        """PROTOCOL.md's ``suggestions``: names the talk suggests for unnamed labels.
        Blocking for a moment on a long meeting (run it off the event loop)."""
        if self._note is None:
            return {}
        return {label: s.to_wire() for label, s in self._note.suggestions().items()}

    def relabel(self, changes: list[tuple[str, str]]) -> None:
        if self._note is not None:
            self._note.relabel(dict(changes))

    def rename(self, names: Mapping[str, Any]) -> None:
        if self._worker is not None:
            self._worker.set_speakers(people(names))

    async def finish(self, info: MeetingInfo, stopped_at: float,
                     on_partial: Callable[[dict[str, Any]], None] = lambda frame: None
                     ) -> dict[str, Any]:
        """The ``note`` frame once everything is drafted. If the budget (counted from
        ``stopped_at``, a ``time.monotonic()``) runs out first, what is drafted by then goes
        to ``on_partial`` as a ``drafting`` frame and is stored, and drafting goes on."""
        notes = self._notes
        worker, note = self._worker, self._note
        if worker is None or note is None or notes.engine is None:
            # The drafter was loading when the meeting began: draft it whole now, if it can be.
            return await notes.draft_stored(self.meeting_id)
        generation = notes._next_generation(self.meeting_id)
        await asyncio.to_thread(notes.store.set_note_status, self.meeting_id, NOTE_DRAFTING)
        budget = max(MIN_BUDGET_S, notes.engine.budget_s - (time.monotonic() - stopped_at))
        notes.cores_for_urgent_drafts()
        try:
            drafted = await asyncio.to_thread(worker.finish, info, budget)
            if note.undrafted_ids():
                await notes._save(self.meeting_id, generation, drafted, NOTE_DRAFTING)
                if drafted.items() or drafted.unsupported:
                    on_partial({"type": "note", "status": "drafting",
                                "note": drafted.to_wire()})
                drafted = await asyncio.to_thread(note.finish, info, None)
        except Exception as exc:
            return await notes._failed(self.meeting_id, generation, exc)
        await notes._save(self.meeting_id, generation, drafted)
        return note_frame(drafted)

    def close(self) -> None:
        """The meeting was cancelled or deleted: stop drafting in the background."""
        if self._note is not None and self._worker is not None:
            self._note.hurry(time.monotonic())  # a chunk in flight stops now
            self._worker.close()


def _utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")

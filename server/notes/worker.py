"""Drafting in the background of a live meeting, below captions and speakers in priority.

One ``NoteWorker`` per meeting runs ``IncrementalNote.step`` on its own thread whenever
enough finalised speech has come in. The thread lowers its own scheduling priority
(``NICENESS``; Linux applies nice values per thread, and threads it starts, such as
ggml's, inherit it), so on two cores the recogniser keeps its share. ``finish`` runs in the
caller's thread at normal priority: the background step in flight is asked to stop by the
deadline (keeping the items it completed), then the rest is drafted and the note merged.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable, Mapping

from server.notes.drafting import IncrementalNote
from server.notes.schema import CaseNote, MeetingInfo, Person, Segment

NICENESS = 10            # added to the drafting thread's nice value (0 = normal, 19 = idle)
IDLE_WAIT_S = 2.0        # the thread looks again this often even if nobody wakes it
FINISH_BUDGET_S = 4.5    # default time from stop to a ready note

log = logging.getLogger(__name__)


class NoteWorker:
    def __init__(self, note: IncrementalNote, niceness: int = NICENESS) -> None:
        self.note = note
        self.niceness = niceness
        self.error: BaseException | None = None
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="note-drafting", daemon=True)

    def start(self) -> NoteWorker:
        self._thread.start()
        return self

    def add_segments(self, segments: Iterable[Segment]) -> None:
        """Cheap; call from the event loop with each batch of finals."""
        self.note.add_segments(segments)
        self._wake.set()

    def set_speakers(self, speakers: Mapping[str, Person]) -> None:
        self.note.set_speakers(speakers)

    def finish(self, meeting: MeetingInfo, budget_s: float | None = FINISH_BUDGET_S) -> CaseNote:
        """Blocking (run it off the event loop): the note, drafted within ``budget_s`` if
        the drafter can honour a deadline (``None``: draft everything, however long)."""
        deadline = None if budget_s is None else time.monotonic() + budget_s
        self.note.hurry(deadline)
        self.close()
        return self.note.finish(meeting, deadline)

    def close(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        lower_priority(self.niceness)
        while not self._stopping.is_set():
            self._wake.wait(IDLE_WAIT_S)
            self._wake.clear()
            try:
                while not self._stopping.is_set() and self.note.step():
                    pass
            except Exception as exc:  # a task boundary: report it, keep the transcript
                log.exception("background note drafting failed; the note is drafted at stop")
                self.error = exc
                return


def lower_priority(niceness: int) -> None:
    """Lower the calling thread's scheduling priority (Linux: per thread)."""
    if niceness <= 0 or not hasattr(os, "setpriority"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + niceness)
    except OSError:
        log.warning("could not lower the note-drafting thread's priority")

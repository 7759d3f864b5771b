"""Heavy inference off the event loop, one job at a time, most urgent first.

On two cores, running recognition, diarisation and drafting at once makes all of them
late; one worker thread taking jobs by priority keeps captions live. The queue is bounded
per caller by construction: each meeting awaits its job before submitting the next.
"""

from __future__ import annotations

import asyncio
import itertools
import queue
import threading
from collections.abc import Callable
from enum import IntEnum
from typing import Any, TypeVar

T = TypeVar("T")


class Priority(IntEnum):
    CAPTIONS = 0
    SPEAKERS = 1
    NOTE = 2
    BATCH = 3  # recorded visits: after everything live


class InferenceRunner:
    def __init__(self, name: str = "inference") -> None:
        self._jobs: queue.PriorityQueue[tuple[int, int, Any]] = queue.PriorityQueue()
        self._order = itertools.count()
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    async def run(self, priority: Priority, fn: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put((int(priority), next(self._order), (fn, future, loop)))
        return await future

    def close(self) -> None:
        self._jobs.put((-1, next(self._order), None))
        self._thread.join(timeout=30)

    def _work(self) -> None:
        while True:
            _, _, job = self._jobs.get()
            if job is None:
                return
            fn, future, loop = job
            if future.cancelled():
                continue
            try:
                result, error = fn(), None
            except BaseException as exc:  # handed to the awaiting task, which reports it
                result, error = None, exc
            try:
                loop.call_soon_threadsafe(_settle, future, result, error)
            except RuntimeError:
                pass  # the event loop closed while the job ran: nobody is waiting


def _settle(future: asyncio.Future[Any], result: Any, exc: BaseException | None) -> None:
    if future.cancelled():
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)

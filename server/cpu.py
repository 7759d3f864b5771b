"""How much of the machine is free right now: for choosing how many threads a model uses.

ggml's and OpenMP's worker threads spin while they wait for each other, so a model asked
for more threads than there are free cores does not slow down gently: on two cores with
one taken by other work, two llama.cpp threads ran ten times slower than one. Whatever the
other work is (this server's captions, another program), the cores it leaves idle are
what a model may use. Linux only (``/proc/stat``); elsewhere the answer is unknown.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

PROC_STAT = Path("/proc/stat")
SAMPLE_S = 0.2


def _times(text: str) -> tuple[int, int, int] | None:
    """(idle ticks, all ticks, cpus) from the text of /proc/stat, None if unreadable."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("cpu "):
        return None
    fields = [int(v) for v in lines[0].split()[1:9]]  # user … steal (guest is in user)
    if len(fields) < 5:
        return None
    cpus = sum(1 for line in lines[1:] if line.startswith("cpu") and line[3:4].isdigit())
    return fields[3] + fields[4], sum(fields), max(cpus, 1)   # idle + iowait


def idle_fraction(before: str, after: str) -> tuple[float, int] | None:
    """Share of the machine idle between two readings of /proc/stat, and its cpus."""
    first, second = _times(before), _times(after)
    if first is None or second is None:
        return None
    total = second[1] - first[1]
    if total <= 0:
        return None
    return max(0.0, min(1.0, (second[0] - first[0]) / total)), second[2]


def idle_cores(sample_s: float = SAMPLE_S) -> float | None:
    """Cores left idle by everything on the machine over the next ``sample_s`` (blocking),
    counted against the cores this process may run on; None where it cannot be told."""
    try:
        before = PROC_STAT.read_text()
        time.sleep(sample_s)
        after = PROC_STAT.read_text()
    except OSError:
        return None
    measured = idle_fraction(before, after)
    if measured is None:
        return None
    share, cpus = measured
    allowed = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cpus
    return min(share * cpus, float(allowed))


def threads_for(wanted: int, idle: float | None) -> int:
    """Threads a spinning model should use: ``wanted`` at most, one for each idle core
    (a core counts as idle from 70 % idle), always at least one; ``wanted`` if unknown."""
    if idle is None:
        return max(1, wanted)
    return max(1, min(wanted, int(idle + 0.3)))

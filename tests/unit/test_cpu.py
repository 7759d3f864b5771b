"""Idle cores from /proc/stat, and the threads a spinning model may use with them."""

from __future__ import annotations

import os

import pytest

from server import cpu


def stat(user: int, idle: int, iowait: int = 0, system: int = 0, cpus: int = 2) -> str:
    head = f"cpu  {user} 0 {system} {idle} {iowait} 0 0 0 0 0"
    per_cpu = [f"cpu{i} 1 0 0 1 0 0 0 0 0 0" for i in range(cpus)]
    return "\n".join([head, *per_cpu, "intr 1 2 3", "ctxt 99"]) + "\n"


def test_a_machine_half_idle_between_two_readings():
    share, cpus = cpu.idle_fraction(stat(100, 100), stat(150, 150))
    assert (share, cpus) == (0.5, 2)


def test_iowait_counts_as_idle_and_system_time_as_busy():
    share, _ = cpu.idle_fraction(stat(0, 0), stat(0, 30, iowait=10, system=60))
    assert share == pytest.approx(0.4)


def test_unreadable_or_frozen_readings_are_unknown():
    assert cpu.idle_fraction("", stat(1, 1)) is None
    assert cpu.idle_fraction("intr 1\n", stat(1, 1)) is None
    assert cpu.idle_fraction(stat(5, 5), stat(5, 5)) is None


def test_threads_follow_the_idle_cores_never_below_one():
    assert cpu.threads_for(2, 2.0) == 2
    assert cpu.threads_for(2, 1.8) == 2
    assert cpu.threads_for(2, 1.2) == 1   # the other core is taken: spinning would cost 10x
    assert cpu.threads_for(2, 0.05) == 1
    assert cpu.threads_for(4, 3.0) == 3
    assert cpu.threads_for(2, None) == 2   # unknown: as configured


def test_this_machine_reports_its_idle_cores_within_its_cpus():
    idle = cpu.idle_cores(0.05)
    assert idle is not None   # the suite runs on Linux
    assert 0.0 <= idle <= len(os.sched_getaffinity(0))

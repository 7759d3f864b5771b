"""Fixtures for the case-note tests: the home-visit transcript and the notes model store."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from server.modelstore import ModelStore
from server.notes.schema import MeetingInfo, Person, Segment
from server.settings import Settings

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "home_visit.json"


@dataclass(frozen=True)
class Meeting:
    info: MeetingInfo
    segments: list[Segment]
    planted: list[dict[str, Any]]

    @property
    def by_id(self) -> dict[str, Segment]:
        return {s.segment_id: s for s in self.segments}


def load_meeting(path: Path = FIXTURE) -> Meeting:
    data = json.loads(path.read_text(encoding="utf-8"))
    meta = data["meeting"]
    speakers = {label: Person(p["name"], p["role"]) for label, p in meta["speakers"].items()}
    info = MeetingInfo(meta["meeting_id"], meta["title"], dt.date.fromisoformat(meta["date"]),
                       meta["duration_s"], speakers)
    return Meeting(info, [Segment.from_wire(s) for s in data["segments"]], data["planted"])


@pytest.fixture(scope="session")
def meeting() -> Meeting:
    return load_meeting()


@pytest.fixture(scope="session")
def notes_store() -> ModelStore:
    return ModelStore(Settings().model_cache_dir)

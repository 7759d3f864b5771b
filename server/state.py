"""What the running application holds: built once in the lifespan, shared by endpoints."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from server.casenotes import Notes
from server.engines.base import Transcriber
from server.live import LiveMeetings
from server.settings import Settings
from server.store import Store
from server.workers import InferenceRunner


@dataclass
class AppState:
    settings: Settings
    token: str
    store: Store
    runner: InferenceRunner
    notes: Notes
    meetings: LiveMeetings = field(default_factory=LiveMeetings)
    transcriber: Transcriber | None = None  # None while the models load
    diariser: Any = None  # None while loading, or when speaker labels are off
    load_error: str | None = None
    diariser_error: str | None = None
    background: set[Any] = field(default_factory=set)  # upload tasks, kept from the GC
    progress: dict[str, float] = field(default_factory=dict)  # upload share done, 0..1

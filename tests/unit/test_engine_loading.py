"""Start-up: no meeting is admitted before the speaker models are loaded (or have failed).

A meeting opened in the gap between the speech models and the speaker models used to keep
no speaker labels for its whole life: every final S1, no `speakers` frame, nothing logged,
and only on a server's first meeting of the day."""

from __future__ import annotations

from server.app import _load_engines
from server.casenotes import Notes
from server.settings import Settings
from server.state import AppState
from server.store import Store
from server.workers import InferenceRunner


class FakeStream:
    def __init__(self, calls: list[str]) -> None:
        self.calls = calls

    def accept(self, audio) -> None:
        self.calls.append(f"accept {audio.size}")

    def step(self):
        self.calls.append("step")
        return []

    def finish(self):
        self.calls.append("finish")
        return []


def state_for(tmp_path) -> AppState:
    store = Store(tmp_path / "db.sqlite")
    return AppState(settings=Settings(drafter="none"), token="t", store=store,
                    runner=InferenceRunner(), notes=Notes(store))


def test_meetings_wait_for_the_speaker_models_which_are_warmed_up(tmp_path):
    state = state_for(tmp_path)
    seen, calls = [], []

    class FakeDiariser:
        name = "fake"

        def open_stream(self):
            return FakeStream(calls)

    def diariser_factory(settings):
        seen.append(state.transcriber)      # what a socket opened now would find
        return FakeDiariser()

    _load_engines(state, lambda settings: "the transcriber", diariser_factory,
                  lambda settings: None)
    assert seen == [None]                  # nothing was admitted while they loaded
    assert state.transcriber == "the transcriber" and state.diariser is not None
    assert calls[0].startswith("accept ") and calls[1:] == ["step", "finish"]


def test_speaker_models_that_fail_leave_captions_on_and_say_why(tmp_path):
    state = state_for(tmp_path)

    def broken(settings):
        raise RuntimeError("no CAM++ weights")

    _load_engines(state, lambda settings: "the transcriber", broken, lambda settings: None)
    assert state.transcriber == "the transcriber"
    assert state.diariser is None and "CAM++" in state.diariser_error

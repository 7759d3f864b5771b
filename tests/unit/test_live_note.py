"""A live meeting's note at stop (server/casenotes.py LiveNote), with a slow fake model: when
the time budget runs out the worker gets a `drafting` note with what is known, never an
empty `ready`, and `ready` comes once every segment is drafted."""

from __future__ import annotations

import asyncio
import json
import time

from server.casenotes import LiveNote, NoteEngine, Notes, meeting_info
from server.notes.drafting import DraftReply, DraftRequest
from server.store import NOTE_READY, SegmentRow, Store

LINES = [
    ("S1", "Hi, I'm Priya, the social worker. I'm here to review the plan with you."),
    ("S2", "I'm Kelly. The landlord has given us a notice to quit."),
    ("S2", "I want Mason to stay at his school."),
    ("S1", "I'll ring the school on Monday morning."),
]


class SlowModel:
    """Takes ``seconds`` a chunk, stopping early when asked, as llama.cpp's drafter does."""

    model_name = "slow"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.calls = 0

    def draft(self, request: DraftRequest) -> DraftReply:
        self.calls += 1
        deadline = time.monotonic() + self.seconds
        while time.monotonic() < deadline:
            if request.should_stop():
                return DraftReply('{"items": [', 10, 0, 1, 0.0, 0.0, True)
            time.sleep(0.01)
        items = [{"kind": "discussion", "text": "Kelly said the landlord has given a notice "
                  "to quit.", "lines": [2]}]
        return DraftReply(json.dumps({"items": items}), 10, 0, 5, 0.0, 0.0, False)


async def finish_with(tmp_path, model_s: float, budget_s: float):
    store = Store(tmp_path / "db.sqlite")
    store.create_meeting("m_1", "Visit", "en", "share", "2026-12-01T10:00:00+00:00")
    notes = Notes(store)
    notes.ready(NoteEngine(SlowModel(model_s), None, budget_s))
    live = LiveNote(notes, "m_1", "Visit", meeting_info(store.meeting("m_1")).date)
    for i, (who, text) in enumerate(LINES, 1):
        row = SegmentRow(f"s_{i}", who, 2.0 * i, 2.0 * i + 1.5, text, [])
        store.add_final("m_1", i, row, row.end_s, i + 1)
        live.add(row)
    partials: list[dict] = []
    frame = await live.finish(meeting_info(store.meeting("m_1"), 10.0), time.monotonic(),
                              partials.append)
    await notes.close()
    return frame, partials, store


async def test_a_budget_that_runs_out_gives_drafting_then_a_complete_ready(tmp_path):
    frame, partials, store = await finish_with(tmp_path, model_s=1.5, budget_s=0.2)
    assert [p["status"] for p in partials] == ["drafting"]
    early = partials[0]["note"]
    assert early["actions"] and early["risks"]          # the rules' facts, at once
    assert early["discussion"] == []                    # the model had not finished
    assert frame["status"] == "ready"
    assert [d["text"] for d in frame["note"]["discussion"]] == [
        "Kelly said the landlord has given a notice to quit."]
    assert store.note("m_1").status == NOTE_READY


async def test_within_the_budget_the_note_is_ready_without_a_partial(tmp_path):
    frame, partials, _ = await finish_with(tmp_path, model_s=0.0, budget_s=30.0)
    assert partials == [] and frame["status"] == "ready"
    assert frame["note"]["discussion"] and frame["note"]["actions"]


def test_the_same_meeting_gives_the_same_note_however_the_budget_went(tmp_path):
    # the same meeting twice: identical notes whatever the budget did on the way
    slow, _, _ = asyncio.run(finish_with(tmp_path / "a", model_s=0.5, budget_s=0.1))
    fast, _, _ = asyncio.run(finish_with(tmp_path / "b", model_s=0.0, budget_s=30.0))
    for note in (slow["note"], fast["note"]):
        note.pop("drafted_at")
    assert slow["note"] == fast["note"]


def test_documents_run_at_normal_priority_and_stored_drafts_below_it(tmp_path):
    """A nice value counts against every program on the machine: a document the worker is
    waiting for must not be niced, a stored meeting's background draft is."""
    import os

    def priority() -> int:
        return os.getpriority(os.PRIO_PROCESS, 0)   # 0: the calling thread on Linux

    async def main() -> tuple[int, int, int]:
        notes = Notes(Store(tmp_path / "db.sqlite"))
        try:
            return (priority(), await notes.run_waited(priority), await notes.run_low(priority))
        finally:
            await notes.close()

    loop_priority, waited, low = asyncio.run(main())
    assert waited == loop_priority
    assert low > loop_priority


class PriorityModel(SlowModel):
    """Notes the nice value of the thread each draft runs on."""

    def __init__(self) -> None:
        super().__init__(0.0)
        self.priorities: list[int] = []

    def draft(self, request: DraftRequest) -> DraftReply:
        import os

        self.priorities.append(os.getpriority(os.PRIO_PROCESS, 0))
        return super().draft(request)


async def test_a_redraft_the_worker_asked_for_runs_at_normal_priority(tmp_path):
    """The worker waits for a redraft as for a document; an upload's note drafts below."""
    import os

    store = Store(tmp_path / "db.sqlite")
    store.create_meeting("m_1", "Visit", "en", "share", "2026-12-01T10:00:00+00:00")
    for i, (who, text) in enumerate(LINES, 1):
        store.add_final("m_1", i, SegmentRow(f"s_{i}", who, 2.0 * i, 2.0 * i + 1.5, text, []),
                        2.0 * i + 1.5, i + 1)
    model = PriorityModel()
    notes = Notes(store)
    notes.ready(NoteEngine(model, None, 30.0))
    try:
        notes.redraft("m_1")
        await asyncio.gather(*notes.tasks_of("m_1"))
        redrafted = list(model.priorities)
        await notes.draft_stored("m_1")
    finally:
        await notes.close()
    normal = os.getpriority(os.PRIO_PROCESS, 0)
    assert redrafted and set(redrafted) == {normal}
    assert min(model.priorities[len(redrafted):]) > normal
    assert store.note("m_1").status == NOTE_READY

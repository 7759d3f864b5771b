"""Live meetings: the asyncio side of a MeetingSession, alive across dropped sockets.

A ``LiveMeeting`` owns its recognition task and its subscribers (the recorder socket and
any viewers). Sockets come and go; the meeting stays until ``stop`` or until the grace
period after its recorder dropped runs out, which ends it as if stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from server.casenotes import LiveNote, meeting_info, note_frame
from server.engines.base import Transcriber, TranscriberStream
from server.session import MeetingSession, PartialRevised, SegmentFinalised, SessionEvent
from server import voices
from server.speakers import MeetingSpeakers
from server.store import NOTE_DRAFTING, PROCESSING, STOPPED, SegmentRow, Store
from server.wire import CLOSE_NORMAL, Start
from server.workers import InferenceRunner, Priority

log = logging.getLogger(__name__)

SUBSCRIBER_QUEUE_FRAMES = 2000
MAX_ENGINE_FAILURES = 3


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Close:
    code: int
    reason: str


class Subscriber:
    """One socket's outgoing frames, queued so a slow client cannot stall recognition.

    ``None`` in the queue ends the sender; a ``Close`` makes it close the socket.
    """

    def __init__(self, role: str) -> None:
        self.role = role
        self.queue: asyncio.Queue[dict[str, Any] | Close | None] = asyncio.Queue(
            SUBSCRIBER_QUEUE_FRAMES)
        self.overflowed = False

    def put(self, frame: dict[str, Any] | Close | None) -> None:
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            # The socket is not draining: it gets closed rather than holding memory.
            self.overflowed = True


def segment_frame(kind: str, segment_id: str, speaker: str, start_s: float, end_s: float,
                  text: str, words: list[dict[str, Any]] | None, behind_s: float
                  ) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": kind, "segment_id": segment_id, "speaker": speaker,
                             "start": round(start_s, 3), "end": round(end_s, 3), "text": text}
    if words is not None:
        frame["words"] = words
    frame["behind_s"] = behind_s  # extension: how far recognition trails the audio
    return frame


def segment_row(event: SegmentFinalised) -> SegmentRow:
    hyp = event.hypothesis
    words = [{"w": w.text, "start": w.start_s, "end": w.end_s} for w in hyp.words]
    return SegmentRow(event.segment_id, event.speaker, hyp.start_s, hyp.end_s, hyp.text, words)


def event_frame(event: SessionEvent) -> dict[str, Any]:
    hyp = event.hypothesis
    if isinstance(event, PartialRevised):
        return segment_frame("partial", event.segment_id, event.speaker, hyp.start_s,
                             hyp.end_s, hyp.text, None, event.behind_s)
    words = [{"w": w.text, "start": w.start_s, "end": w.end_s} for w in hyp.words]
    return segment_frame("final", event.segment_id, event.speaker, hyp.start_s, hyp.end_s,
                         hyp.text, words, event.behind_s)


class LiveMeeting:
    def __init__(self, session: MeetingSession, stream: TranscriberStream, *, store: Store,
                 runner: InferenceRunner, grace_s: float, share_token: str, title: str,
                 finals_sent: int, on_end: Callable[["LiveMeeting"], Awaitable[None]],
                 names: dict[str, Any] | None = None,
                 speakers: MeetingSpeakers | None = None,
                 note: LiveNote | None = None) -> None:
        self.session = session
        self.meeting_id = session.meeting_id
        self.share_token = share_token
        self.title = title
        self._stream = stream
        self._store = store
        self._runner = runner
        self._grace_s = grace_s
        self._on_end = on_end
        self._seq = finals_sent
        self.recorder: Subscriber | None = None
        self.viewers: set[Subscriber] = set()
        self.names: dict[str, Any] = dict(names or {})
        self._wake = asyncio.Event()
        self._stop_requested = False
        self._failures = 0
        self._speakers = speakers
        self._note = note
        self.suggestions: dict[str, dict[str, str]] = {}  # sent to the recorder
        self._enrolled_named: set[str] = set()  # voice ids already given to a label
        self.stopped = asyncio.Event()  # ``stopped`` was sent
        self.finished = asyncio.Event()  # speakers refined; nothing more will be sent
        self._grace_task: asyncio.Task[None] | None = None
        self._task = asyncio.create_task(self._recognise(), name=f"recognise {self.meeting_id}")

    # -- sockets --------------------------------------------------------------------------

    def attach_recorder(self, subscriber: Subscriber) -> None:
        if self._grace_task is not None:
            self._grace_task.cancel()
            self._grace_task = None
        if self.recorder is not None:
            self.recorder.put(None)  # a newer connection takes over
        self.recorder = subscriber

    def detach_recorder(self, subscriber: Subscriber) -> None:
        if self.recorder is not subscriber:
            return
        self.recorder = None
        if not self._stop_requested and not self._task.done():
            self._grace_task = asyncio.create_task(self._grace_then_stop())

    async def _grace_then_stop(self) -> None:
        await asyncio.sleep(self._grace_s)
        log.info("meeting %s: no reconnect within %.0f s, ending it", self.meeting_id,
                 self._grace_s)
        await self.stop()

    def add_viewer(self, subscriber: Subscriber) -> None:
        self.viewers.add(subscriber)

    def remove_viewer(self, subscriber: Subscriber) -> None:
        self.viewers.discard(subscriber)

    def rename(self, names: dict[str, Any]) -> None:
        """Speaker names changed: every subscriber hears it, viewers included."""
        self.names = dict(names)
        if self._note is not None:
            self._note.rename(self.names)
        self._broadcast({"type": "speakers", "changes": [], "names": self.names})
        self.suggestions = {}  # the next final says what is still suggested

    def revoke_viewers(self, code: int, reason: str) -> None:
        for sub in list(self.viewers):
            sub.put({"type": "error", "code": "forbidden", "message": reason})
            sub.put(Close(code, reason))
        self.viewers.clear()

    def feed(self, data: bytes) -> None:
        """Raises ``WireError`` for a bad frame; what came before it is kept."""
        self.session.receive_audio(data)
        self._wake.set()

    # -- recognition ----------------------------------------------------------------------

    async def stop(self) -> None:
        """Finish recognition, publish the last finals, ``stopped`` and the refined speaker
        labels, then the note; idempotent."""
        self._stop_requested = True
        self._wake.set()
        await self.finished.wait()

    async def _recognise(self) -> None:
        try:
            while not self._stop_requested:
                await self._wake.wait()
                self._wake.clear()
                audio = self.session.take_audio()
                if audio.size:
                    self._accept(audio)
                    await self._run_engine(self._stream.step)
            self._accept(self.session.take_audio(final=True))
            await self._run_engine(self._stream.finish, final=True)
            await self._publish(self.session.withdraw_open_partial())
        except asyncio.CancelledError:
            # Shutdown or deletion: nothing more is published; a shut-down meeting stays
            # live in the store and comes back interrupted, resumable.
            raise
        except Exception:
            log.exception("meeting %s: recognition task failed", self.meeting_id)
            self._broadcast_error("engine_failed", "recognition stopped after an internal "
                                  "error; the transcript so far is kept")
        await self._finish()

    def _accept(self, audio: Any) -> None:
        self._stream.accept(audio)
        if self._speakers is not None:
            self._speakers.accept(audio)

    async def _run_engine(self, fn: Callable[[], Any], final: bool = False) -> None:
        try:
            update = await self._runner.run(Priority.CAPTIONS, fn)
        except Exception as exc:
            self._failures += 1
            log.exception("meeting %s: engine step failed", self.meeting_id)
            if self._failures == 1:
                name = type(exc).__name__
                self._broadcast_error("engine_failed", f"speech recognition failed ({name}); "
                                      "the transcript so far is kept")
            if self._failures >= MAX_ENGINE_FAILURES:
                raise
            return
        self._failures = 0
        speakers = self._speakers
        if speakers is None:
            await self._publish(self.session.apply(update))
            return
        job = speakers.finish if final else speakers.step
        if not update.finals:  # a partial goes out first; labels follow
            await self._publish(self.session.apply(update))
            await self._relabel(await self._speaker_job(job))
            return
        # Labels must cover the finals' audio before they are cut at speaker changes.
        relabels = await self._speaker_job(job)
        events = self.session.apply(update, speakers.labeler if self._speakers else None)
        await self._publish(events)
        for event in events:
            if isinstance(event, SegmentFinalised):
                hyp = event.hypothesis
                speakers.track(event.segment_id, hyp.start_s, hyp.end_s, event.speaker)
        await self._relabel(relabels)

    async def _speaker_job(self, fn: Callable[[], list[tuple[str, str]]]
                           ) -> list[tuple[str, str]]:
        """Speaker labels are second to captions: a failure turns them off, nothing else."""
        try:
            return await self._runner.run(Priority.SPEAKERS, fn)
        except Exception:
            log.exception("meeting %s: speaker labelling failed", self.meeting_id)
            self._speakers = None
            self._broadcast_error("engine_failed", "speaker labels stopped after an internal "
                                  "error; captions go on")
            return []

    async def _name_enrolled(self) -> None:
        """Name a label whose voice is an enrolled worker's (``server.voices``), as if the
        worker had typed it; a label the worker named keeps their name."""
        speakers = self._speakers
        if speakers is None:
            return
        # read at each step (a few rows): a print deleted mid-meeting names nobody after
        enrolled = await asyncio.to_thread(self._store.voices)
        waiting = [v for v in enrolled if v.voice_id not in self._enrolled_named]
        if not waiting:
            return
        try:
            heard = await self._runner.run(Priority.SPEAKERS, speakers.voices)
        except Exception:
            log.exception("meeting %s: reading voice prints failed", self.meeting_id)
            return
        named = {label for label, who in self.names.items() if (who or {}).get("name")}
        found = voices.match(heard, waiting, named)
        if not found:
            return
        names = dict(self.names)
        for label, voice in found.items():
            names[label] = {"name": voice.name, "role": voice.role or None}
            self._enrolled_named.add(voice.voice_id)
            log.info("meeting %s: %s named from an enrolled voice", self.meeting_id, label)
        self.rename(names)
        await asyncio.to_thread(self._store.set_speakers, self.meeting_id, self.names)

    async def _relabel(self, changes: list[tuple[str, str]]) -> None:
        await self._name_enrolled()
        if not changes:
            return
        await asyncio.to_thread(self._store.update_speakers, self.meeting_id, changes)
        if self._note is not None:
            self._note.relabel(changes)
        frame: dict[str, Any] = {"type": "speakers", "changes": [
            {"segment_id": sid, "speaker": label} for sid, label in changes]}
        if self.names:
            frame["names"] = self.names
        self._broadcast(frame)
        await self._suggest()

    async def _suggest(self) -> None:
        """Tell the recorder (only: a suggestion is not a name until the worker confirms
        it) when the names the talk suggests change."""
        if self._note is None:
            return
        suggestions = await asyncio.to_thread(self._note.suggestions)
        if suggestions != self.suggestions:
            self.suggestions = suggestions
            self._to_recorder({"type": "speakers", "changes": [], "names": self.names,
                               "suggestions": suggestions})

    async def _publish(self, events: list[SessionEvent]) -> None:
        for event in events:
            if not isinstance(event, SegmentFinalised):
                self._broadcast(event_frame(event))
                continue
            row = await self._persist(event)
            self._broadcast(event_frame(event))
            risk = self._note.add(row) if self._note is not None else None
            if risk is not None:
                await asyncio.to_thread(self._store.add_risk_flag, self.meeting_id,
                                        risk["segment_id"], risk["cue"], risk["text"])
                self._to_recorder(risk)
            await self._suggest()

    async def _persist(self, event: SegmentFinalised) -> SegmentRow:
        row = segment_row(event)
        self._seq += 1
        await asyncio.to_thread(self._store.add_final, self.meeting_id, self._seq, row,
                                row.end_s, self.session.next_segment)
        return row

    async def _finish(self) -> None:
        stopped_at = time.monotonic()  # the note's time budget counts from here
        duration = round(self.session.received_s, 3)
        await asyncio.to_thread(self._store.set_status, self.meeting_id, PROCESSING,
                                duration_s=duration, ended_at=utc_now())
        self._broadcast({"type": "stopped", "meeting_id": self.meeting_id,
                         "duration_s": duration})
        self.stopped.set()
        if self._grace_task is not None and self._grace_task is not asyncio.current_task():
            self._grace_task.cancel()
        self._to_recorder({"type": "note", "status": "drafting", "note": None})
        if self._note is not None:  # so that HTTP says "drafting" from now on, too
            await asyncio.to_thread(self._store.set_note_status, self.meeting_id,
                                    NOTE_DRAFTING)
        if self._speakers is not None:
            await self._relabel(await self._speaker_job(self._speakers.refine))
        for viewer in list(self.viewers):
            viewer.put(Close(CLOSE_NORMAL, "the meeting has ended"))
        frame = await self._finish_note(duration, stopped_at)
        await asyncio.to_thread(self._store.set_status, self.meeting_id, STOPPED)
        self._to_recorder(frame)
        self.finished.set()
        await self._on_end(self)

    async def _finish_note(self, duration_s: float, stopped_at: float) -> dict[str, Any]:
        """The note, drafted from the refined labels and the names given so far."""
        if self._note is None:
            return note_frame(None, "case-note drafting is off on this server")
        try:
            row = await asyncio.to_thread(self._store.meeting, self.meeting_id)
            if row is None:
                return note_frame(None, "the meeting was deleted")
            return await self._note.finish(meeting_info(row, duration_s), stopped_at,
                                           self._to_recorder)
        except Exception:  # a task boundary: the transcript is kept whatever happens here
            log.exception("meeting %s: finishing the note failed", self.meeting_id)
            return note_frame(None, "drafting the note failed; the transcript is kept")

    def _subscribers(self) -> list[Subscriber]:
        return ([self.recorder] if self.recorder else []) + list(self.viewers)

    def _broadcast(self, frame: dict[str, Any]) -> None:
        """The same frames to recorder and viewers, in one pass: no viewer lags the recorder
        by more than its own socket does. ``risk`` and ``note`` go to the recorder only."""
        for sub in self._subscribers():
            sub.put(frame)

    def _to_recorder(self, frame: dict[str, Any]) -> None:
        if self.recorder is not None:
            self.recorder.put(frame)

    def _broadcast_error(self, code: str, message: str) -> None:
        if self.recorder is not None:
            self.recorder.put({"type": "error", "code": code, "message": message})

    async def close_sockets(self, code: int, reason: str) -> None:
        for sub in self._subscribers():
            sub.put({"type": "error", "code": "deleted", "message": reason})
            sub.put(Close(code, reason))

    async def cancel(self) -> None:
        """Server shutdown: stop the task without publishing (the meeting stays resumable)."""
        self._task.cancel()
        if self._grace_task is not None:
            self._grace_task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task
        if self._note is not None:
            await asyncio.to_thread(self._note.close)
        self.finished.set()  # whoever waits for stop() is released


class LiveMeetings:
    """The registry of meetings currently open in this process."""

    def __init__(self) -> None:
        self._meetings: dict[str, LiveMeeting] = {}

    def __len__(self) -> int:
        return len(self._meetings)

    def get(self, meeting_id: str) -> LiveMeeting | None:
        return self._meetings.get(meeting_id)

    def add(self, meeting: LiveMeeting) -> None:
        self._meetings[meeting.meeting_id] = meeting

    async def remove(self, meeting: LiveMeeting) -> None:
        if self._meetings.get(meeting.meeting_id) is meeting:
            del self._meetings[meeting.meeting_id]

    async def close_all(self) -> None:
        for meeting in list(self._meetings.values()):
            await meeting.cancel()
        self._meetings.clear()


def open_live_meeting(meetings: LiveMeetings, transcriber: Transcriber, fmt: Start, *,
                      meeting_id: str, store: Store, runner: InferenceRunner, grace_s: float,
                      max_frame_s: float, share_token: str, start_s: float, next_segment: int,
                      finals_sent: int, names: dict[str, Any] | None = None,
                      diariser: Any = None, note: LiveNote | None = None) -> LiveMeeting:
    session = MeetingSession(meeting_id, fmt, max_frame_s=max_frame_s, start_s=start_s,
                             next_segment=next_segment)
    stream = transcriber.open_stream(fmt.language, start_s=start_s)
    meeting = LiveMeeting(session, stream, store=store, runner=runner, grace_s=grace_s,
                          share_token=share_token, title=fmt.title, finals_sent=finals_sent,
                          on_end=meetings.remove, names=names,
                          speakers=MeetingSpeakers(diariser, start_s) if diariser else None,
                          note=note)
    meetings.add(meeting)
    return meeting

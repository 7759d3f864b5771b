"""WebSocket endpoints: frames <-> live meetings, tasks, close codes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from server import auth
from server.live import Close, LiveMeeting, Subscriber, open_live_meeting, utc_now
from server.state import AppState
from server.store import INTERRUPTED, LIVE
from server.wire import (CLOSE_FORBIDDEN, CLOSE_GOING_AWAY, CLOSE_NORMAL,
                         CLOSE_TRY_LATER, CLOSE_TOO_MANY, CLOSE_UNAUTHORIZED,
                         CLOSE_UNKNOWN_MEETING, Ping, Pong, Start, Stop, WireError, dumps,
                         parse_client_text)

log = logging.getLogger(__name__)


def new_meeting_id() -> str:
    return "m_" + secrets.token_hex(8)


async def refuse(ws: WebSocket, error: WireError) -> None:
    """Accepted, told why in an ``error`` frame, then closed with the protocol's code."""
    if ws.application_state == WebSocketState.CONNECTING:
        await ws.accept()
    with contextlib.suppress(Exception):
        await ws.send_text(dumps(error.frame()))
        await ws.close(error.close_code, error.message[:120])


def origin_allowed(ws: WebSocket, allowed: tuple[str, ...]) -> bool:
    """Browsers always send Origin; a page on another site must not drive our sockets."""
    origin = ws.headers.get("origin")
    if origin is None or "*" in allowed or origin in allowed:
        return True
    host = ws.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


def access_token(ws: WebSocket) -> str | None:
    return ws.query_params.get("token") or ws.cookies.get("casenote_session")


async def _receive(ws: WebSocket, timeout_s: float) -> dict[str, Any]:
    return await asyncio.wait_for(ws.receive(), timeout=timeout_s)


async def stream_endpoint(ws: WebSocket) -> None:
    state: AppState = ws.app.state.casenote
    settings = state.settings
    if not origin_allowed(ws, settings.allowed_origins):
        await refuse(ws, WireError("forbidden", "this origin may not open casenote sockets",
                                   CLOSE_FORBIDDEN))
        return
    if not auth.same(access_token(ws), state.token):
        await refuse(ws, WireError("unauthorized", "a valid access token is required",
                                   CLOSE_UNAUTHORIZED))
        return
    if state.transcriber is None:
        await refuse(ws, WireError("loading", "the speech models are still loading; try again "
                                   "in a few seconds", CLOSE_TRY_LATER))
        return
    await ws.accept()
    try:
        message = await _receive(ws, settings.idle_timeout_s)
        start = _first_message(message, settings.max_text_frame_bytes)
        if start is None:
            return
        meeting = await _open_meeting(state, start)
    except WireError as exc:
        await refuse(ws, exc)
        return
    except (asyncio.TimeoutError, WebSocketDisconnect):
        return
    await _serve_recorder(ws, state, meeting)


def _first_message(message: dict[str, Any], max_text: int) -> Start | None:
    if message["type"] == "websocket.disconnect":
        return None
    if message.get("text") is None:
        raise WireError("bad_message", "the first frame must be a 'start' message, not audio")
    parsed = parse_client_text(message["text"], max_text)
    if not isinstance(parsed, Start):
        raise WireError("bad_message", "the first frame must be a 'start' message")
    return parsed


async def _open_meeting(state: AppState, start: Start) -> LiveMeeting:
    settings = state.settings
    if start.meeting_id is not None:
        return await _resume_meeting(state, start)
    if len(state.meetings) >= settings.max_live_meetings:
        raise WireError("too_many_meetings",
                        f"this server takes at most {settings.max_live_meetings} live meetings",
                        CLOSE_TOO_MANY)
    meeting_id = new_meeting_id()
    share = auth.new_token()
    created_at = utc_now()
    await asyncio.to_thread(state.store.create_meeting, meeting_id, start.title, start.language,
                            share, created_at, LIVE)
    return open_live_meeting(state.meetings, state.transcriber, start, meeting_id=meeting_id,
                             store=state.store, runner=state.runner, grace_s=settings.grace_s,
                             max_frame_s=settings.max_frame_s, share_token=share, start_s=0.0,
                             next_segment=1, finals_sent=0, diariser=state.diariser,
                             note=state.notes.live(meeting_id, start.title, created_at))


async def _resume_meeting(state: AppState, start: Start) -> LiveMeeting:
    meeting_id = start.meeting_id or ""
    live = state.meetings.get(meeting_id)
    if live is not None and not live.stopped.is_set():
        live.session.change_format(start)
        return live
    row = await asyncio.to_thread(state.store.meeting, meeting_id)
    if row is None or row.status != INTERRUPTED:
        raise WireError("unknown_meeting", "no open meeting has that id", CLOSE_UNKNOWN_MEETING)
    if len(state.meetings) >= state.settings.max_live_meetings:
        raise WireError("too_many_meetings", "too many live meetings", CLOSE_TOO_MANY)
    await asyncio.to_thread(state.store.set_status, meeting_id, LIVE)
    earlier = await asyncio.to_thread(state.store.segments, meeting_id)
    return open_live_meeting(state.meetings, state.transcriber, start, meeting_id=meeting_id,
                             store=state.store, runner=state.runner,
                             grace_s=state.settings.grace_s,
                             max_frame_s=state.settings.max_frame_s,
                             share_token=row.share_token, start_s=row.received_s,
                             next_segment=row.next_segment, finals_sent=len(earlier),
                             names=row.speakers, diariser=state.diariser,
                             note=state.notes.live(meeting_id, row.title, row.created_at,
                                                   earlier))


async def _serve_recorder(ws: WebSocket, state: AppState, meeting: LiveMeeting) -> None:
    subscriber = Subscriber("recorder")
    meeting.attach_recorder(subscriber)
    held_s = meeting.session.received_s
    resume_from = meeting.session.fmt.resume_from_s
    if resume_from is not None and resume_from > held_s:
        # The client lost audio it cannot resend: the gap becomes silence so that later
        # times keep their meaning. ``started`` still says what the server held.
        meeting.session.add_silence(resume_from - held_s)
    subscriber.put({"type": "started", "meeting_id": meeting.meeting_id,
                    "received_s": round(held_s, 3),
                    "share_token": meeting.share_token,
                    "viewer_url": f"/view/{meeting.meeting_id}?share={meeting.share_token}"})
    sender = asyncio.create_task(send_frames(ws, subscriber))
    try:
        close = await _read_frames(ws, state, meeting, subscriber)
    finally:
        meeting.detach_recorder(subscriber)
    if close is not None:
        subscriber.put(close.frame())
    subscriber.put(None)
    with contextlib.suppress(Exception):
        await sender
    with contextlib.suppress(Exception):
        await ws.close(close.close_code if close else CLOSE_NORMAL,
                       close.message[:120] if close else "")


async def _read_frames(ws: WebSocket, state: AppState, meeting: LiveMeeting,
                       subscriber: Subscriber) -> WireError | None:
    """Until stop, error or drop. Returns the error that ends the socket, if any."""
    settings = state.settings
    while True:
        try:
            message = await _receive(ws, settings.idle_timeout_s)
        except asyncio.TimeoutError:
            log.info("meeting %s: no frame for %.0f s, treating the socket as dropped",
                     meeting.meeting_id, settings.idle_timeout_s)
            return WireError("idle_timeout", f"no audio for {settings.idle_timeout_s:.0f} s; "
                             "reconnect to resume the meeting", CLOSE_GOING_AWAY)
        if message["type"] == "websocket.disconnect" or subscriber.overflowed:
            return None
        try:
            if message.get("bytes") is not None:
                meeting.feed(message["bytes"])
                if meeting.session.received_s < settings.max_meeting_s:
                    continue
                subscriber.put({"type": "error", "code": "meeting_too_long",
                                "message": f"meetings end after {settings.max_meeting_s:.0f} s"
                                " of audio; this one was stopped and kept"})
                parsed: object = Stop()
            else:
                parsed = parse_client_text(message.get("text") or "",
                                           settings.max_text_frame_bytes)
        except WireError as exc:
            return exc
        if isinstance(parsed, Ping):
            subscriber.put({"type": "pong"})
        elif isinstance(parsed, Stop):
            await meeting.stop()  # the note frames have been queued by then
            return None
        elif isinstance(parsed, Start):
            return WireError("bad_message", "'start' was already received")
        elif isinstance(parsed, Pong):
            continue


async def send_frames(ws: WebSocket, subscriber: Subscriber,
                      keep: Callable[[dict[str, Any]], bool] = lambda frame: True) -> None:
    """Drain a subscriber's queue to its socket until ``None`` or a ``Close``."""
    while True:
        frame = await subscriber.queue.get()
        if frame is None:
            return
        if isinstance(frame, Close):
            await ws.close(frame.code, frame.reason)
            return
        if keep(frame):
            await ws.send_text(dumps(frame))

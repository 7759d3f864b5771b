"""Caption viewers: a share link opens one meeting's captions, read-only.

``WS /v1/meetings/{id}/captions?share=…`` sends every final so far with the current names,
then the same ``partial`` / ``final`` / ``speakers`` / ``stopped`` frames the recorder gets.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timezone
from typing import Any

from starlette.websockets import WebSocket

from server import auth
from server.live import Subscriber
from server.settings import Settings
from server.state import AppState
from server.store import STOPPED, MeetingRow
from server.transport import origin_allowed, refuse, send_frames
from server.wire import (CLOSE_FORBIDDEN, CLOSE_NORMAL, CLOSE_TOO_MANY, Ping, WireError, dumps,
                         parse_client_text)

FORBIDDEN = WireError("forbidden", "this share link is not valid, or has expired",
                      CLOSE_FORBIDDEN)


def share_open(row: MeetingRow | None, given: str | None, settings: Settings,
               now: datetime | None = None) -> bool:
    """A share token opens its meeting while live and ``share_grace_s`` after it ends."""
    if row is None or not auth.same(given, row.share_token):
        return False
    if row.status != STOPPED or not row.ended_at:
        return True
    ended = datetime.fromisoformat(row.ended_at)
    now = now or datetime.now(timezone.utc)
    return (now - ended).total_seconds() <= settings.share_grace_s


async def captions_endpoint(ws: WebSocket) -> None:
    state: AppState = ws.app.state.casenote
    meeting_id = ws.path_params["meeting_id"]
    row = await asyncio.to_thread(state.store.meeting, meeting_id)
    given = ws.query_params.get("share")
    allowed = share_open(row, given, state.settings) or \
        (row is not None and auth.same(ws.query_params.get("token"), state.token))
    if not origin_allowed(ws, state.settings.allowed_origins) or not allowed or row is None:
        await refuse(ws, FORBIDDEN)
        return
    live = state.meetings.get(meeting_id)
    if live is not None and len(live.viewers) >= state.settings.max_viewers:
        await refuse(ws, WireError("too_many_viewers", "this meeting has as many viewers as "
                                   "it may have", CLOSE_TOO_MANY))
        return
    await ws.accept()
    subscriber = Subscriber("viewer")
    if live is not None:
        live.add_viewer(subscriber)  # before reading history, so nothing falls between
    try:
        await _serve_viewer(ws, state, row, subscriber, live is not None)
    finally:
        if live is not None:
            live.remove_viewer(subscriber)


async def _serve_viewer(ws: WebSocket, state: AppState, row: MeetingRow,
                        subscriber: Subscriber, is_live: bool) -> None:
    segments = await asyncio.to_thread(state.store.segments, row.id)
    live = state.meetings.get(row.id)
    names = live.names if live is not None else row.speakers
    history = {s.segment_id for s in segments}
    await ws.send_text(dumps({"type": "speakers", "changes": [], "names": names}))
    for segment in segments:
        await ws.send_text(dumps({"type": "final", **segment.frame_fields()}))
    if not is_live:
        await ws.send_text(dumps({"type": "stopped", "meeting_id": row.id,
                                  "duration_s": row.duration_s}))
        await ws.close(CLOSE_NORMAL)
        return
    reader = asyncio.create_task(_ignore_input(ws, subscriber))
    try:
        await _forward(ws, subscriber, history)
    finally:
        reader.cancel()
        with contextlib.suppress(BaseException):
            await reader


VIEWER_FRAMES = {"partial", "final", "speakers", "stopped", "error", "pong"}


async def _forward(ws: WebSocket, subscriber: Subscriber, history: set[str]) -> None:
    def keep(frame: dict[str, Any]) -> bool:
        if frame.get("type") == "final" and frame["segment_id"] in history:
            return False  # already sent from the store
        return frame.get("type") in VIEWER_FRAMES

    await send_frames(ws, subscriber, keep)


async def _ignore_input(ws: WebSocket, subscriber: Subscriber) -> None:
    """Viewers may only ping; anything else is ignored. A drop ends the viewer."""
    while True:
        message: dict[str, Any] = await ws.receive()
        if message["type"] == "websocket.disconnect":
            subscriber.put(None)
            return
        try:
            if isinstance(parse_client_text(message.get("text") or "", 1024), Ping):
                subscriber.put({"type": "pong"})
        except WireError:
            continue

"""Share links: the viewer page, the link and its QR code, revocation."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from server import auth
from server.http import app_state
from server.viewers import share_open
from server.wire import CLOSE_FORBIDDEN

WEB_DIR = Path(__file__).resolve().parent.parent / "web"


def viewer_path(meeting_id: str, share_token: str) -> str:
    return f"/view/{meeting_id}?share={share_token}"


async def view_page(request: Request) -> Response:
    """The viewer page for a valid share link; a page that says why for any other."""
    state = app_state(request)
    row = await asyncio.to_thread(state.store.meeting, request.path_params["meeting_id"])
    if share_open(row, request.query_params.get("share"), state.settings):
        return FileResponse(WEB_DIR / "viewer.html")
    return FileResponse(WEB_DIR / "viewer-denied.html", status_code=403)


async def _share_url(request: Request) -> tuple[str, str] | Response:
    """(share token, absolute viewer URL) of the meeting in the path, or a 404."""
    state = app_state(request)
    meeting_id = request.path_params["meeting_id"]
    row = await asyncio.to_thread(state.store.meeting, meeting_id)
    if row is None:
        return JSONResponse({"error": "no such meeting"}, status_code=404)
    path = viewer_path(meeting_id, row.share_token)
    return row.share_token, str(request.base_url).rstrip("/") + path


async def get_share(request: Request) -> Response:
    found = await _share_url(request)
    if isinstance(found, Response):
        return found
    token, url = found
    return JSONResponse({"share_token": token,
                         "viewer_url": viewer_path(request.path_params["meeting_id"], token),
                         "absolute_url": url,
                         "valid_for_s_after_end": app_state(request).settings.share_grace_s})


async def revoke_share(request: Request) -> Response:
    """A new share token; viewers holding the old one are disconnected (4403)."""
    state = app_state(request)
    meeting_id = request.path_params["meeting_id"]
    token = auth.new_token()
    if not await asyncio.to_thread(state.store.rotate_share_token, meeting_id, token):
        return JSONResponse({"error": "no such meeting"}, status_code=404)
    live = state.meetings.get(meeting_id)
    if live is not None:
        live.share_token = token
        live.revoke_viewers(CLOSE_FORBIDDEN, "the share link was withdrawn")
    return await get_share(request)


async def share_qr(request: Request) -> Response:
    import segno

    found = await _share_url(request)
    if isinstance(found, Response):
        return found
    out = io.BytesIO()
    segno.make(found[1], error="m").save(out, kind="svg", scale=6, border=2,
                                    title="Share link for the captions")
    return Response(out.getvalue(), media_type="image/svg+xml")

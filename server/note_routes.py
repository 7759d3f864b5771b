"""HTTP for case notes: read, save the worker's version, export, redraft.

``GET /note`` serves the note as it stands: the worker's saved version when it is newer than
the draft, else the draft (``?version=draft`` or ``?version=edited`` picks one). The
worker's version may hold items with an empty ``evidence`` list: statements the worker
added, or kept from ``unsupported``, on their own authority; every cited id must be a
segment of the meeting.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
from collections.abc import Collection
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.http import app_state, error, json_body
from server.note_exports import DOCX_MEDIA_TYPE, note_docx, note_markdown
from server.notes.schema import SECTIONS, CaseNote
from server.store import NOTE_DRAFTING, NOTE_FAILED, NOTE_NONE, NoteRow

MAX_NOTE_BYTES = 1024 * 1024
VERSION_HEADER = "x-casenote-note-version"
_WORKER_EVIDENCE = "\x00worker"  # stands in for "no evidence" while the schema is checked


def note_summary(note: NoteRow | None, drafting: bool) -> dict[str, Any]:
    """The ``note`` field of ``GET /v1/meetings/{id}`` (an extension)."""
    if note is None:
        return {"status": NOTE_DRAFTING if drafting else NOTE_NONE, "edited": False,
                "message": None}
    status = NOTE_DRAFTING if drafting else note.status
    return {"status": status, "edited": note.edited is not None, "message": note.message}


def validate_edit(data: Any, meeting_id: str, segment_ids: Collection[str]) -> dict[str, Any]:
    """The worker's note, checked against the schema; ``ValueError`` says what is wrong."""
    if not isinstance(data, dict):
        raise ValueError("send the whole note as a JSON object")
    probe = copy.deepcopy(data)
    probe["meeting_id"] = meeting_id
    for section in SECTIONS:
        items = probe.get(section)
        if not isinstance(items, list):
            raise ValueError(f"'{section}' must be a list of items")
        for item in items:
            if isinstance(item, dict) and item.get("evidence") == []:
                item["evidence"] = [_WORKER_EVIDENCE]
    try:
        note = CaseNote.from_wire(probe).to_wire()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ValueError(f"{where}: {first['msg']}") from None
    for section in SECTIONS:
        for item in note[section]:
            if item["evidence"] == [_WORKER_EVIDENCE]:
                item["evidence"] = []
            unknown = [sid for sid in item["evidence"] if sid not in segment_ids]
            if unknown:
                raise ValueError(f"{section}: {unknown[0]!r} is not a segment of this meeting")
    return note


async def _note_row(request: Request) -> tuple[str, NoteRow | None] | Response:
    state = app_state(request)
    meeting_id = request.path_params["meeting_id"]
    if await asyncio.to_thread(state.store.meeting, meeting_id) is None:
        return error(404, "no such meeting")
    return meeting_id, await asyncio.to_thread(state.store.note, meeting_id)


def _pick(request: Request, note: NoteRow | None, drafting: bool
          ) -> tuple[str, dict[str, Any]] | Response:
    version = request.query_params.get("version")
    if version not in (None, "draft", "edited"):
        return error(400, "version is 'draft' or 'edited'")
    if note is not None and version == "draft" and note.draft is not None:
        return "draft", note.draft
    if note is not None and version == "edited" and note.edited is not None:
        return "edited", note.edited
    current = note.current() if note is not None and version is None else None
    if current is not None:
        return current
    summary = note_summary(note, drafting)
    if version == "edited" and note is not None and note.draft is not None:
        return error(404, "the worker has not saved a version of this note", **summary)
    message = {NOTE_DRAFTING: "the note is being drafted",
               NOTE_FAILED: f"the note could not be drafted: {summary['message']}"}.get(
        summary["status"], "no note has been drafted for this meeting")
    return error(404, message, **summary)


async def get_note(request: Request) -> Response:
    found = await _note_row(request)
    if isinstance(found, Response):
        return found
    meeting_id, note = found
    picked = _pick(request, note, app_state(request).notes.is_drafting(meeting_id))
    if isinstance(picked, Response):
        return picked
    version, body = picked
    return JSONResponse(body, headers={VERSION_HEADER: version})


async def put_note(request: Request) -> Response:
    state = app_state(request)
    found = await _note_row(request)
    if isinstance(found, Response):
        return found
    meeting_id, note = found
    if note is None or note.draft is None:
        return error(409, "the note has not been drafted yet")
    try:
        data = await json_body(request, MAX_NOTE_BYTES)
        segments = await asyncio.to_thread(state.store.segments, meeting_id)
        edited = validate_edit(data, meeting_id, {s.segment_id for s in segments})
    except ValueError as exc:
        return error(400, str(exc))
    now = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    if not await asyncio.to_thread(state.store.save_edit, meeting_id, edited, now):
        return error(404, "no such meeting")
    return JSONResponse(edited, headers={VERSION_HEADER: "edited"})


async def export_note(request: Request) -> Response:
    fmt = request.path_params["fmt"]
    if fmt not in ("md", "docx"):
        return error(404, "notes export as md and docx")
    found = await _note_row(request)
    if isinstance(found, Response):
        return found
    meeting_id, note = found
    state = app_state(request)
    picked = _pick(request, note, state.notes.is_drafting(meeting_id))
    if isinstance(picked, Response):
        return picked
    version, body = picked
    segments = await asyncio.to_thread(state.store.segments, meeting_id)
    disposition = {"content-disposition": f'attachment; filename="{meeting_id}-note.{fmt}"',
                   VERSION_HEADER: version}
    if fmt == "md":
        return Response(note_markdown(body, segments, version),
                        media_type="text/markdown; charset=utf-8", headers=disposition)
    data = await asyncio.to_thread(note_docx, body, segments, version)
    return Response(data, media_type=DOCX_MEDIA_TYPE, headers=disposition)


async def redraft_note(request: Request) -> Response:
    state = app_state(request)
    meeting_id = request.path_params["meeting_id"]
    row = await asyncio.to_thread(state.store.meeting, meeting_id)
    if row is None:
        return error(404, "no such meeting")
    if state.meetings.get(meeting_id) is not None or row.status not in ("stopped",):
        return error(409, "the meeting is still going on: its note is drafted when it stops")
    if state.notes.engine is None:
        return error(503, f"notes cannot be drafted: {state.notes.off_reason}")
    state.notes.redraft(meeting_id)
    return JSONResponse({"status": NOTE_DRAFTING}, status_code=202)

"""HTTP for follow-up documents: draft a letter or referral from the note, read, edit,
export. Drafting runs on a thread of its own at normal priority (the worker waits for it),
with one model thread while anything else needs the cores."""

from __future__ import annotations

import asyncio
import datetime as dt

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server import documents
from server.casenotes import to_segment
from server.http import app_state, error, json_body
from server.note_exports import DOCX_MEDIA_TYPE

MAX_DOCUMENT_BYTES = 256 * 1024


async def create_document(request: Request) -> Response:
    state = app_state(request)
    meeting_id = request.path_params["meeting_id"]
    if await asyncio.to_thread(state.store.meeting, meeting_id) is None:
        return error(404, "no such meeting")
    try:
        kind, to = documents.validate_request(await json_body(request))
    except ValueError as exc:
        return error(400, str(exc))
    row = await asyncio.to_thread(state.store.note, meeting_id)
    current = row.current() if row is not None else None
    if current is None:
        return error(409, "the note has not been drafted yet: documents are drafted from it")
    try:
        template = documents.load_template(
            documents.template_path(kind, to, state.settings.templates_dir))
    except documents.TemplateError as exc:
        return error(500, f"the {kind} template cannot be used: {exc}")
    segments = [to_segment(r) for r in await asyncio.to_thread(state.store.segments,
                                                                meeting_id)]
    engine = state.notes.engine
    draft = documents.DocumentDraft(current[1], segments,
                                    engine.drafter if engine else None,
                                    engine.checker if engine else None)
    doc = await state.notes.run_waited(draft.build, template, kind, to)
    doc["meeting_id"] = meeting_id
    created = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    await asyncio.to_thread(state.store.add_document, doc["id"], meeting_id, kind, created, doc)
    return JSONResponse(doc, status_code=201)


async def list_documents(request: Request) -> Response:
    state = app_state(request)
    meeting_id = request.path_params["meeting_id"]
    if await asyncio.to_thread(state.store.meeting, meeting_id) is None:
        return error(404, "no such meeting")
    docs = await asyncio.to_thread(state.store.documents, meeting_id)
    return JSONResponse({"documents": docs})


async def _document(request: Request) -> dict | Response:
    state = app_state(request)
    doc = await asyncio.to_thread(state.store.document, request.path_params["meeting_id"],
                                  request.path_params["doc_id"])
    return doc if doc is not None else error(404, "no such document")


async def get_document(request: Request) -> Response:
    doc = await _document(request)
    return doc if isinstance(doc, Response) else JSONResponse(doc)


async def export_document(request: Request) -> Response:
    fmt = request.path_params["fmt"]
    if fmt not in ("md", "docx"):
        return error(404, "documents export as md and docx")
    doc = await _document(request)
    if isinstance(doc, Response):
        return doc
    name = f'attachment; filename="{doc["id"]}-{doc["kind"]}.{fmt}"'
    if fmt == "md":
        return Response(documents.document_markdown(doc), media_type="text/markdown; "
                        "charset=utf-8", headers={"content-disposition": name})
    data = await asyncio.to_thread(documents.document_docx, doc)
    return Response(data, media_type=DOCX_MEDIA_TYPE, headers={"content-disposition": name})


async def put_document(request: Request) -> Response:
    state = app_state(request)
    doc = await _document(request)
    if isinstance(doc, Response):
        return doc
    try:
        edited = documents.validate_edit(await json_body(request, MAX_DOCUMENT_BYTES), doc)
    except ValueError as exc:
        return error(400, str(exc))
    await asyncio.to_thread(state.store.update_document, request.path_params["meeting_id"],
                            doc["id"], edited)
    return JSONResponse(edited)

"""create_app(settings) -> Starlette. The lifespan loads engines once, off the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import numpy as np
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from server import auth
from server.casenotes import Notes, load_note_engine
from server.engines import load_diariser, load_transcriber
from server.engines.base import Transcriber
from server.exports import EXPORTERS, MEDIA_TYPES, meeting_json
from server.http import app_state, error, json_body
from server.modelstore import ModelStore
from server.document_routes import (create_document, export_document, get_document,
                                    list_documents, put_document)
from server.note_routes import export_note, get_note, note_summary, put_note, redraft_note
from server.settings import Settings
from server.state import AppState
from server.store import INTERRUPTED, STOPPED, Store
from server.retention import retention_loop
from server.sharing import WEB_DIR, get_share, revoke_share, share_qr, view_page
from server.transport import stream_endpoint
from server.uploads import create_transcription
from server.voices import create_voice, delete_voice, list_voices
from server.viewers import captions_endpoint
from server.wire import CLOSE_DELETED
from server.workers import InferenceRunner

log = logging.getLogger(__name__)

SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
     b"style-src 'self'; script-src 'self'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    # Page URLs carry tokens: never send them on to anyone.
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]

TranscriberFactory = Callable[[Settings], Transcriber]
DiariserFactory = Callable[[Settings], Any]
NotesFactory = Callable[[Settings], Any]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _authorise(request: Request) -> JSONResponse | None:
    """None when the request carries the access token; else the 401/403 to answer."""
    state = app_state(request)
    given = (auth.bearer(request.headers.get("authorization"))
             or request.query_params.get("token") or request.cookies.get("casenote_session"))
    if auth.same(given, state.token):
        return None
    if given and await asyncio.to_thread(state.store.is_share_token, given):
        return error(403, "a share link only opens its meeting's captions")
    return error(401, "a valid access token is required")


Handler = Callable[[Request], Awaitable[Response]]


def protected(handler: Handler) -> Handler:
    async def wrapped(request: Request) -> Response:
        refusal = await _authorise(request)
        return refusal if refusal is not None else await handler(request)
    return wrapped


async def health(request: Request) -> Response:
    state = app_state(request)
    if state.load_error:
        return JSONResponse({"status": "failed", "error": state.load_error}, status_code=503)
    if state.transcriber is None:
        return JSONResponse({"status": "loading"}, status_code=503)
    models: dict[str, Any] = {"transcriber": state.transcriber.name}
    models.update({m.name: Path(m.path).name for m in state.transcriber.models()})
    if state.diariser is not None:
        models["diariser"] = state.diariser.name
        models.update({m.name: Path(m.path).name for m in state.diariser.models()})
    elif state.diariser_error:
        models["diariser"] = f"off: {state.diariser_error}"
    engine = state.notes.engine
    models["drafter"] = engine.name if engine else f"off: {state.notes.off_reason}"
    return JSONResponse({"status": "ok", "models": models})


def _live_duration(state: AppState, meeting_id: str) -> float | None:
    live = state.meetings.get(meeting_id)
    return live.session.received_s if live is not None else None


async def list_meetings(request: Request) -> Response:
    state = app_state(request)
    rows = await asyncio.to_thread(state.store.meetings)
    return JSONResponse({"meetings": [
        {"id": r.id, "title": r.title, "status": r.status, "created_at": r.created_at,
         "duration_s": round(_live_duration(state, r.id) or r.duration_s, 3)} for r in rows]})


async def _meeting_or_404(request: Request) -> tuple[Any, Any] | Response:
    state = app_state(request)
    meeting_id = request.path_params["meeting_id"]
    row = await asyncio.to_thread(state.store.meeting, meeting_id)
    if row is None:
        return error(404, "no such meeting")
    segments = await asyncio.to_thread(state.store.segments, meeting_id)
    return row, segments


async def get_meeting(request: Request) -> Response:
    found = await _meeting_or_404(request)
    if isinstance(found, Response):
        return found
    row, segments = found
    state = app_state(request)
    body = meeting_json(row, segments, _live_duration(state, row.id))
    if row.id in state.progress:
        body["progress"] = round(state.progress[row.id], 3)  # extension: uploads
    # Extensions: where the note stands, and the risk flags raised during the meeting.
    note = await asyncio.to_thread(state.store.note, row.id)
    body["note"] = note_summary(note, state.notes.is_drafting(row.id))
    body["risks"] = await asyncio.to_thread(state.store.risk_flags, row.id)
    return JSONResponse(body)


async def get_transcript(request: Request) -> Response:
    fmt = request.path_params["fmt"]
    if fmt not in EXPORTERS:
        return error(404, f"transcripts export as {', '.join(sorted(EXPORTERS))}")
    found = await _meeting_or_404(request)
    if isinstance(found, Response):
        return found
    row, segments = found
    body = EXPORTERS[fmt](row, segments)
    filename = f"{row.id}.{fmt}"
    return Response(body, media_type=MEDIA_TYPES[fmt],
                    headers={"content-disposition": f'attachment; filename="{filename}"'})


async def delete_meeting(request: Request) -> Response:
    state = app_state(request)
    meeting_id = request.path_params["meeting_id"]
    live = state.meetings.get(meeting_id)
    if live is not None:
        await live.close_sockets(CLOSE_DELETED, "the meeting was deleted")
        await live.cancel()
        await state.meetings.remove(live)
    # An upload still being processed, or a note being drafted, stops with it.
    for task in list(state.background) + state.notes.tasks_of(meeting_id):
        if task.get_name() in (f"upload {meeting_id}", f"note {meeting_id}"):
            task.cancel()
    deleted = await asyncio.to_thread(state.store.delete_meeting, meeting_id)
    if not deleted:
        return error(404, "no such meeting")
    return Response(status_code=204)


SPEAKER_LABEL = re.compile(r"^S[1-9][0-9]{0,2}$")
MAX_NAME_CHARS = 100


def _clean_names(patch: Any, current: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(patch, dict) or not patch:
        raise ValueError('send {"S1": {"name": "Sarah", "role": "social worker"}}')
    names = dict(current)
    for label, entry in patch.items():
        if not isinstance(label, str) or not SPEAKER_LABEL.match(label):
            raise ValueError(f"{str(label)[:20]!r} is not a speaker label (S1, S2, …)")
        if entry is None:
            names.pop(label, None)
            continue
        if not isinstance(entry, dict):
            raise ValueError(f"{label}: give an object with 'name' and 'role'")
        cleaned = {}
        for key in ("name", "role"):
            value = entry.get(key)
            if value is not None and not isinstance(value, str):
                raise ValueError(f"{label}.{key} must be a string or null")
            cleaned[key] = (value or "").strip()[:MAX_NAME_CHARS] or None
        names[label] = cleaned
    return names


async def patch_speakers(request: Request) -> Response:
    state = app_state(request)
    meeting_id = request.path_params["meeting_id"]
    row = await asyncio.to_thread(state.store.meeting, meeting_id)
    if row is None:
        return error(404, "no such meeting")
    try:
        names = _clean_names(await json_body(request), row.speakers)
    except ValueError as exc:
        return error(400, str(exc))
    await asyncio.to_thread(state.store.set_speakers, meeting_id, names)
    live = state.meetings.get(meeting_id)
    if live is not None:
        live.rename(names)
    return JSONResponse({"speakers": names})


async def index(request: Request) -> Response:
    return FileResponse(WEB_DIR / "index.html")


def _load_engines(state: AppState, factory: TranscriberFactory,
                  diariser_factory: DiariserFactory, notes_factory: NotesFactory) -> None:
    try:
        transcriber = factory(state.settings)
    except Exception as exc:  # task boundary: reported through /v1/health and the log
        log.exception("loading the speech models failed")
        state.load_error = str(exc)
        state.notes.off("the speech models could not be loaded")
        return
    try:
        state.diariser = diariser_factory(state.settings)
        if state.diariser is not None:
            warm_up(state.diariser)
    except Exception as exc:  # captions work without speaker labels: say so, go on
        log.exception("loading the speaker models failed; speaker labels are off")
        state.diariser, state.diariser_error = None, str(exc)
    # Only now do sockets, uploads and /v1/health take meetings: a meeting opened while the
    # speaker models were still loading used to keep no speaker labels for its whole life.
    state.transcriber = transcriber
    if state.settings.drafter == "none":
        state.notes.off("case-note drafting is turned off (--drafter none)")
        return
    try:
        state.notes.ready(notes_factory(state.settings))
    except Exception as exc:  # captions go on without notes: say why in health and frames
        log.exception("loading the note drafter failed; case notes are off")
        state.notes.off(f"the note drafter could not be loaded: {exc}")


WARM_UP_S = 6.0  # of noise through the speaker models once, before the first meeting


def warm_up(diariser: Any) -> None:
    """One pass of the speaker models on noise, so that the first meeting does not pay for
    the runtimes' first-call set-up (kernel choice, lazy imports) while it is live."""
    stream = diariser.open_stream()
    rng = np.random.default_rng(0)
    stream.accept((0.01 * rng.standard_normal(int(WARM_UP_S * 16000))).astype(np.float32))
    stream.step()
    stream.finish()


def default_factory(settings: Settings) -> Transcriber:
    return load_transcriber(settings, ModelStore(settings.model_cache_dir))


def default_diariser_factory(settings: Settings) -> Any:
    return load_diariser(settings, ModelStore(settings.model_cache_dir))


def default_notes_factory(settings: Settings) -> Any:
    return load_note_engine(settings, ModelStore(settings.model_cache_dir))


async def _after_restart(state: AppState, interrupted: list[str], unfinished: list[str]
                         ) -> None:
    """Meetings the last shutdown cut short: notes it left undrafted are drafted; meetings
    it interrupted can be resumed for the grace period, then end as if stopped."""
    while state.notes.loading:
        await asyncio.sleep(0.5)
    for meeting_id in unfinished:
        await state.notes.draft_stored(meeting_id)
    await asyncio.sleep(state.settings.grace_s)
    for meeting_id in interrupted:
        row = await asyncio.to_thread(state.store.meeting, meeting_id)
        if row is None or row.status != INTERRUPTED or state.meetings.get(meeting_id):
            continue
        log.info("meeting %s: not resumed within the grace period; ending it", meeting_id)
        await asyncio.to_thread(state.store.set_status, meeting_id, STOPPED)
        await state.notes.draft_stored(meeting_id)


def _dump_tasks_on_sigusr1() -> None:
    """``kill -USR1 <pid>`` logs where every asyncio task is waiting (for diagnosing a
    stuck meeting on a live server without stopping it)."""
    import signal

    def dump() -> None:
        for task in asyncio.all_tasks():
            chain, awaited = [], task.get_coro()
            while awaited is not None and len(chain) < 20:
                frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
                if frame is None:
                    chain.append(repr(awaited)[:160])
                    break
                chain.append(f"{frame.f_code.co_name}:{frame.f_lineno}")
                awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom",
                                                                        None)
            log.warning("task %s: %s", task.get_name(), " -> ".join(chain))

    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, dump)


def create_app(settings: Settings, token: str,
               transcriber_factory: TranscriberFactory = default_factory,
               on_ready: Callable[[], None] | None = None,
               diariser_factory: DiariserFactory = default_diariser_factory,
               notes_factory: NotesFactory = default_notes_factory) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        store = Store(settings.db_path)
        interrupted = store.mark_live_interrupted()
        if interrupted:
            log.info("meetings interrupted by the last shutdown: %s", ", ".join(interrupted))
        unfinished = store.notes_left_drafting()
        state = AppState(settings=settings, token=token, store=store,
                         runner=InferenceRunner(), notes=Notes(store))
        app.state.casenote = state
        state.notes.busy = lambda: len(state.meetings) + len(state.background)
        loading = asyncio.create_task(asyncio.to_thread(
            _load_engines, state, transcriber_factory, diariser_factory, notes_factory))
        restart = asyncio.create_task(_after_restart(state, interrupted, unfinished))
        _dump_tasks_on_sigusr1()
        if on_ready is not None:
            loading.add_done_callback(lambda _: on_ready())
        retention = asyncio.create_task(retention_loop(state))
        try:
            yield
        finally:
            retention.cancel()
            restart.cancel()
            for task in list(state.background):
                task.cancel()
            await state.meetings.close_all()
            await state.notes.close()
            state.runner.close()
            store.close()

    routes = [
        Route("/", index),
        Route("/v1/health", health),
        Route("/v1/meetings", protected(list_meetings)),
        Route("/v1/meetings/{meeting_id}", protected(get_meeting)),
        Route("/v1/meetings/{meeting_id}", protected(delete_meeting), methods=["DELETE"]),
        Route("/v1/meetings/{meeting_id}/transcript.{fmt}", protected(get_transcript)),
        Route("/v1/meetings/{meeting_id}/speakers", protected(patch_speakers),
              methods=["PATCH"]),
        Route("/v1/meetings/{meeting_id}/note", protected(get_note)),
        Route("/v1/meetings/{meeting_id}/note", protected(put_note), methods=["PUT"]),
        Route("/v1/meetings/{meeting_id}/note:redraft", protected(redraft_note),
              methods=["POST"]),
        Route("/v1/meetings/{meeting_id}/note.{fmt}", protected(export_note)),
        Route("/v1/meetings/{meeting_id}/documents", protected(list_documents)),
        Route("/v1/meetings/{meeting_id}/documents", protected(create_document),
              methods=["POST"]),
        Route("/v1/meetings/{meeting_id}/documents/{doc_id}.{fmt}",
              protected(export_document)),
        Route("/v1/meetings/{meeting_id}/documents/{doc_id}", protected(get_document)),
        Route("/v1/meetings/{meeting_id}/documents/{doc_id}", protected(put_document),
              methods=["PUT"]),
        Route("/v1/meetings/{meeting_id}/share", protected(get_share)),
        Route("/v1/meetings/{meeting_id}/share:revoke", protected(revoke_share),
              methods=["POST"]),
        Route("/v1/meetings/{meeting_id}/share.svg", protected(share_qr)),
        Route("/view/{meeting_id}", view_page),
        Route("/v1/transcriptions", protected(create_transcription), methods=["POST"]),
        Route("/v1/voices", protected(list_voices)),
        Route("/v1/voices", protected(create_voice), methods=["POST"]),
        Route("/v1/voices/{voice_id}", protected(delete_voice), methods=["DELETE"]),
        WebSocketRoute("/v1/meetings/stream", stream_endpoint),
        WebSocketRoute("/v1/meetings/{meeting_id}/captions", captions_endpoint),
        Mount("/", StaticFiles(directory=WEB_DIR), name="web"),
    ]
    return Starlette(routes=routes, lifespan=lifespan,
                     middleware=[Middleware(SecurityHeaders)])

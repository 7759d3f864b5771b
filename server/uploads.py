"""Recorded visits: ``POST /v1/transcriptions`` runs a file through the live pipeline.

The upload is spooled to a private temp file (size-limited as it arrives), decoded with
PyAV, and the temp file deleted at once; the audio then goes through the same session
and stream as a live meeting, one second per job at a priority below live captions, and
the speakers' refine pass labels it. The meeting is ``processing`` until then.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import tempfile
from pathlib import Path

import numpy as np
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server import auth
from server.engines.base import SAMPLE_RATE_HZ
from server.live import segment_row, utc_now
from server.session import MeetingSession, SegmentFinalised
from server.speakers import MeetingSpeakers
from server.state import AppState
from server.store import PROCESSING, STOPPED
from server.transport import new_meeting_id
from server.wire import Start
from server.workers import Priority

log = logging.getLogger(__name__)

SPOOL_CHUNK_BYTES = 1 << 20
FEED_S = 1.0
MULTIPART_OVERHEAD_BYTES = 64 * 1024  # boundaries, headers and the small fields


class UploadTooLarge(Exception):
    pass


async def spool(upload: UploadFile, folder: Path, limit: int) -> Path:
    fd, name = tempfile.mkstemp(prefix=".upload-", dir=folder)
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := await upload.read(SPOOL_CHUNK_BYTES):
                size += len(chunk)
                if size > limit:
                    raise UploadTooLarge
                out.write(chunk)
    except BaseException:
        os.unlink(name)
        raise
    return Path(name)


def decode_file(path: Path) -> np.ndarray:
    from server.audio import read_audio_file

    try:
        return read_audio_file(str(path))
    finally:
        path.unlink(missing_ok=True)  # the recording is not kept


async def create_transcription(request: Request) -> Response:
    state: AppState = request.app.state.casenote
    if state.transcriber is None:
        return JSONResponse({"error": "the speech models are still loading"}, status_code=503)
    limit = state.settings.max_upload_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD_BYTES:
        # Refused before the body is read: a phone need not send 600 MB to hear "no".
        return JSONResponse({"error": f"recordings are limited to {limit} bytes"},
                            status_code=413)
    try:
        form = await request.form(max_files=1, max_fields=8)
    except Exception:  # starlette raises several kinds for a malformed multipart body
        return JSONResponse({"error": "send multipart/form-data with a 'file' field"},
                            status_code=400)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        return JSONResponse({"error": "the 'file' field is missing"}, status_code=400)
    try:
        path = await spool(upload, state.settings.data_dir, limit)
    except UploadTooLarge:
        return JSONResponse({"error": f"recordings are limited to {limit} bytes"},
                            status_code=413)
    try:
        audio = await asyncio.to_thread(decode_file, path)
    except Exception as exc:  # PyAV's errors for unreadable input are many
        log.info("upload not decodable: %s", exc)
        return JSONResponse({"error": "the file could not be decoded as audio (wav, flac, mp3,"
                             " ogg/opus, m4a and webm are accepted)"}, status_code=415)
    if audio.size == 0:
        return JSONResponse({"error": "the file holds no audio"}, status_code=415)
    title = str(form.get("title") or Path(upload.filename or "").stem
                or "Recorded visit")[:200]
    language = str(form.get("language") or "").strip().lower() or state.settings.language
    try:
        held_at = recorded_at(form.get("date"))
    except ValueError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    meeting_id = new_meeting_id()
    await asyncio.to_thread(state.store.create_meeting, meeting_id, title, language,
                            auth.new_token(), held_at or utc_now(), PROCESSING)
    task = asyncio.create_task(_process(state, meeting_id, audio, language),
                               name=f"upload {meeting_id}")
    state.background.add(task)
    task.add_done_callback(state.background.discard)
    return JSONResponse({"meeting_id": meeting_id, "status": "processing"}, status_code=202)


def recorded_at(value: object) -> str | None:
    """An upload's optional ``date`` (the day the visit took place, ``YYYY-MM-DD``) as the
    meeting's creation time, noon UTC that day: the note is dated by it and the dates said
    in the recording ("on Monday") resolve against it."""
    if value is None or value == "":
        return None
    try:
        day = dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError("'date' must be the day of the visit as YYYY-MM-DD") from None
    if day > dt.date.today():
        raise ValueError("'date' is in the future")
    return dt.datetime.combine(day, dt.time(12), dt.timezone.utc).isoformat(
        timespec="microseconds")


async def _process(state: AppState, meeting_id: str, audio: np.ndarray,
                   language: str | None) -> None:
    try:
        await _transcribe(state, meeting_id, audio, language)
        await asyncio.to_thread(state.store.set_status, meeting_id, PROCESSING,
                                duration_s=round(audio.size / SAMPLE_RATE_HZ, 3))
        state.progress[meeting_id] = 1.0  # the transcript is complete; the note follows
        await state.notes.draft_stored(meeting_id)  # failures are stored with the note
    except Exception:  # task boundary: keep what was stored, say it failed
        log.exception("meeting %s: processing the upload failed", meeting_id)
    finally:
        state.progress.pop(meeting_id, None)
        await asyncio.to_thread(state.store.set_status, meeting_id, STOPPED,
                                duration_s=round(audio.size / SAMPLE_RATE_HZ, 3),
                                ended_at=utc_now())


async def _transcribe(state: AppState, meeting_id: str, audio: np.ndarray,
                      language: str | None) -> None:
    fmt = Start(SAMPLE_RATE_HZ, "pcm_f32le", 1, language, meeting_id, None, None)
    session = MeetingSession(meeting_id, fmt, max_frame_s=FEED_S)
    transcriber = state.transcriber
    if transcriber is None:
        raise RuntimeError("the speech models are not loaded")
    stream = transcriber.open_stream(language, partials=False)
    speakers = MeetingSpeakers(state.diariser) if state.diariser is not None else None
    step = int(FEED_S * SAMPLE_RATE_HZ)
    seq = 0
    for lo in range(0, audio.size + step, step):
        last = lo >= audio.size
        if not last:
            session.receive_audio(audio[lo:lo + step].astype("<f4").tobytes())
        chunk = session.take_audio(final=last)
        stream.accept(chunk)
        if speakers is not None:
            speakers.accept(chunk)
        update = await state.runner.run(Priority.BATCH, stream.finish if last else stream.step)
        for event in session.apply(update):
            if isinstance(event, SegmentFinalised):
                seq += 1
                await _store_final(state, meeting_id, seq, event, session, speakers)
        state.progress[meeting_id] = min(1.0, (lo + step) / max(audio.size, 1))
    if speakers is not None:
        changes = await state.runner.run(Priority.BATCH, speakers.refine)
        if changes:
            await asyncio.to_thread(state.store.update_speakers, meeting_id, changes)


async def _store_final(state: AppState, meeting_id: str, seq: int, event: SegmentFinalised,
                       session: MeetingSession, speakers: MeetingSpeakers | None) -> None:
    row = segment_row(event)
    await asyncio.to_thread(state.store.add_final, meeting_id, seq, row, row.end_s,
                            session.next_segment)
    if speakers is not None:
        speakers.track(row.segment_id, row.start_s, row.end_s, row.speaker)

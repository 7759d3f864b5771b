"""The worker's own voice: enrolled once, with consent, then named in every meeting.

A worker records a short clip of themselves speaking (``POST /v1/voices``, multipart:
``file``, ``name``, optional ``role``, and ``consent=true``). The speaker models turn it
into a voice print, the mean unit embedding of its speech (one voice, at least
``ENROL_MIN_SPEECH_S`` of it), stored in the server's own database and nowhere else; the
clip itself is not kept. ``GET /v1/voices`` lists who is enrolled (never the prints),
``DELETE /v1/voices/{voice_id}`` deletes the print for good.

In a live meeting, once a label has ``MATCH_MIN_SPEECH_S`` of speech, its voice print is
compared with the enrolled ones; a label and an enrolled voice that are each other's best
match at cosine ``MATCH_COSINE`` or more get that name, as if the worker had typed it
(``speakers`` frame with ``names``), unless the worker has already named that label. The
note then knows who "I" is. The threshold comes from real voices through the bundled CAM++
model (docs/benchmarks.md, "Enrolled voices"): a 25 s print against 12 s of the same person
saying other things scored 0.66-0.94, against other people at most 0.61.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.store import VoiceRow

log = logging.getLogger(__name__)

ENROL_MIN_SPEECH_S = 8.0    # a voice print needs this much speech
ENROL_OTHER_SHARE = 0.25    # a clip where another voice holds this share is refused
MATCH_MIN_SPEECH_S = 8.0    # a label is compared once it has this much speech
MATCH_COSINE = 0.65         # ... and named when it is this close to an enrolled voice
MAX_NAME_CHARS = 80
ENROL_MAX_BYTES = 20 * 1024 * 1024


class EnrolError(ValueError):
    """The clip cannot give one voice print; the message says why, for the worker."""


@dataclass(frozen=True)
class VoicePrint:
    vector: np.ndarray   # unit length
    speech_s: float


def voice_print(diariser: Any, audio: np.ndarray) -> VoicePrint:
    """The voice print of the one person speaking in ``audio`` (16 kHz mono float32), from
    the same speaker models the meetings use. Blocking."""
    stream = diariser.open_stream()
    stream.accept(np.asarray(audio, dtype=np.float32))
    stream.finish()
    voices = sorted(stream.voices().values(), key=lambda v: v[1], reverse=True)
    total = sum(speech for _, speech in voices)
    if not voices or voices[0][1] < ENROL_MIN_SPEECH_S:
        raise EnrolError(f"a voice print needs at least {ENROL_MIN_SPEECH_S:.0f} s of speech; "
                         f"this recording has {total:.1f} s")
    if len(voices) > 1 and sum(s for _, s in voices[1:]) >= ENROL_OTHER_SHARE * total:
        raise EnrolError("more than one voice is speaking in this recording; record the "
                         "worker alone")
    vector, speech = voices[0]
    return VoicePrint(vector / np.linalg.norm(vector), speech)


def match(labels: Mapping[str, tuple[np.ndarray, float]], enrolled: Sequence[VoiceRow],
          named: set[str], threshold: float = MATCH_COSINE) -> dict[str, VoiceRow]:
    """Labels to name from the enrolled voices: each pair is the other's best match, close
    enough, with enough speech behind the label, and the label not named by the worker."""
    heard = {label: vec / np.linalg.norm(vec) for label, (vec, speech) in labels.items()
             if speech >= MATCH_MIN_SPEECH_S and label not in named and np.linalg.norm(vec)}
    if not heard or not enrolled:
        return {}
    names = list(heard)
    prints = np.stack([v.print / np.linalg.norm(v.print) for v in enrolled])
    cosine = np.stack([heard[label] for label in names]) @ prints.T   # labels x voices
    out: dict[str, VoiceRow] = {}
    for j, voice in enumerate(enrolled):
        i = int(np.argmax(cosine[:, j]))
        if cosine[i, j] >= threshold and int(np.argmax(cosine[i])) == j:
            out[names[i]] = voice
    return out


# --- HTTP ---------------------------------------------------------------------------------

async def create_voice(request: Request) -> Response:
    from server.uploads import UploadTooLarge, decode_file, spool

    state = request.app.state.casenote
    if state.diariser is None or not hasattr(state.diariser, "open_stream"):
        return JSONResponse({"error": "voice enrolment needs the speaker models, which are "
                             "off or still loading"}, status_code=503)
    try:
        form = await request.form(max_files=1, max_fields=4)
    except Exception:  # starlette raises several kinds for a malformed multipart body
        return JSONResponse({"error": "send multipart/form-data with 'file', 'name' and "
                             "'consent'"}, status_code=400)
    upload = form.get("file")
    name = str(form.get("name") or "").strip()[:MAX_NAME_CHARS]
    role = str(form.get("role") or "").strip()[:MAX_NAME_CHARS]
    if str(form.get("consent") or "").strip().lower() != "true":
        return JSONResponse({"error": "a voice print is kept only with the speaker's consent: "
                             "send consent=true"}, status_code=400)
    if not name:
        return JSONResponse({"error": "the 'name' field is missing"}, status_code=400)
    if not isinstance(upload, UploadFile):
        return JSONResponse({"error": "the 'file' field is missing"}, status_code=400)
    try:
        path = await spool(upload, state.settings.data_dir, ENROL_MAX_BYTES)
    except UploadTooLarge:
        return JSONResponse({"error": f"an enrolment clip is limited to {ENROL_MAX_BYTES} "
                             "bytes"}, status_code=413)
    try:
        audio = await asyncio.to_thread(decode_file, path)
    except Exception as exc:  # PyAV's errors for unreadable input are many
        log.info("enrolment clip not decodable: %s", exc)
        return JSONResponse({"error": "the file could not be decoded as audio"},
                            status_code=415)
    from server.live import utc_now
    from server.workers import Priority

    try:
        # on the inference thread, as an upload's models run: never beside live captions
        made = await state.runner.run(Priority.BATCH, lambda: voice_print(state.diariser, audio))
    except EnrolError as exc:
        return JSONResponse({"error": str(exc)}, status_code=422)
    row = VoiceRow("v_" + secrets.token_hex(8), name, role, made.vector, made.speech_s,
                   utc_now())
    await asyncio.to_thread(state.store.add_voice, row.voice_id, row.name, row.role,
                            row.print, row.speech_s, row.created_at)
    return JSONResponse(row.to_wire(), status_code=201)


async def list_voices(request: Request) -> Response:
    state = request.app.state.casenote
    rows = await asyncio.to_thread(state.store.voices)
    return JSONResponse({"voices": [r.to_wire() for r in rows]})


async def delete_voice(request: Request) -> Response:
    state = request.app.state.casenote
    deleted = await asyncio.to_thread(state.store.delete_voice,
                                      request.path_params["voice_id"])
    if not deleted:
        return JSONResponse({"error": "no such voice"}, status_code=404)
    return Response(status_code=204)

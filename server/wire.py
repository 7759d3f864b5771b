"""Typed messages of the wire protocol (PROTOCOL.md, version 1): parse, validate, serialise.

Dicts live only here, at the edge; the rest of the server sees frozen dataclasses.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

ENCODINGS = {"pcm_s16le": 2, "pcm_f32le": 4}  # bytes per sample
MIN_SAMPLE_RATE_HZ = 8000
MAX_SAMPLE_RATE_HZ = 48000
MAX_TITLE_CHARS = 200

# Close codes (PROTOCOL.md).
CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_TOO_LARGE = 1009
CLOSE_INTERNAL = 1011
CLOSE_TRY_LATER = 1013
CLOSE_BAD_INPUT = 4400
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_UNKNOWN_MEETING = 4404
CLOSE_DELETED = 4410
CLOSE_TOO_MANY = 4429


class WireError(Exception):
    """A client mistake: becomes an ``error`` frame and a close code, never a traceback."""

    def __init__(self, code: str, message: str, close_code: int = CLOSE_BAD_INPUT) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.close_code = close_code

    def frame(self) -> dict[str, Any]:
        return {"type": "error", "code": self.code, "message": self.message}


@dataclass(frozen=True)
class Start:
    sample_rate_hz: int
    encoding: str
    channels: int
    language: str | None
    title: str
    meeting_id: str | None
    resume_from_s: float | None

    @property
    def bytes_per_sample(self) -> int:
        return ENCODINGS[self.encoding]


@dataclass(frozen=True)
class Stop:
    pass


@dataclass(frozen=True)
class Ping:
    pass


@dataclass(frozen=True)
class Pong:
    pass


ClientMessage = Start | Stop | Ping | Pong


def _bad(message: str) -> WireError:
    return WireError("bad_message", message)


def _bad_audio(message: str) -> WireError:
    return WireError("bad_audio", message)


def parse_client_text(text: str, max_bytes: int) -> ClientMessage:
    """Parse one text frame from a client; raise :class:`WireError` on anything invalid."""
    if len(text) > max_bytes or len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise WireError("frame_too_large", f"text frames are limited to {max_bytes} bytes",
                        CLOSE_TOO_LARGE)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise _bad("text frames must be JSON objects") from None
    if not isinstance(data, dict):
        raise _bad("text frames must be JSON objects")
    kind = data.get("type")
    if kind == "start":
        return _parse_start(data)
    if kind == "stop":
        return Stop()
    if kind == "ping":
        return Ping()
    if kind == "pong":
        return Pong()
    if not isinstance(kind, str):
        raise _bad("a message needs a string 'type'")
    raise _bad(f"unknown message type {kind[:40]!r}")


def _optional_str(data: dict[str, Any], key: str, default: str | None) -> str | None:
    value = data.get(key, default)
    if value is None or isinstance(value, str):
        return value
    raise _bad(f"'{key}' must be a string or null")


def _parse_start(data: dict[str, Any]) -> Start:
    sample_rate = data.get("sample_rate")
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, float)) \
            or not float(sample_rate).is_integer():
        raise _bad_audio("'sample_rate' must be a whole number of hertz")
    if not MIN_SAMPLE_RATE_HZ <= sample_rate <= MAX_SAMPLE_RATE_HZ:
        raise _bad_audio(f"'sample_rate' must be between {MIN_SAMPLE_RATE_HZ} and "
                         f"{MAX_SAMPLE_RATE_HZ} Hz, not {sample_rate}")
    encoding = data.get("encoding")
    if encoding not in ENCODINGS:
        raise _bad_audio(f"'encoding' must be one of {sorted(ENCODINGS)}")
    channels = data.get("channels", 1)
    if channels != 1 or isinstance(channels, bool):
        raise _bad_audio("only mono audio is accepted ('channels': 1)")
    language = _optional_str(data, "language", None)
    if language is not None:
        language = language.strip().lower() or None
        if language == "auto":
            language = None
        elif language is not None and not (2 <= len(language) <= 8 and language.isascii()):
            raise _bad(f"'language' must be a language code such as 'en', not {language[:20]!r}")
    title = (_optional_str(data, "title", None) or "").strip()[:MAX_TITLE_CHARS] or "Meeting"
    meeting_id = _optional_str(data, "meeting_id", None)
    resume = data.get("resume_from_s")
    if resume is not None:
        if isinstance(resume, bool) or not isinstance(resume, (int, float)) \
                or not math.isfinite(resume) or resume < 0:
            raise _bad("'resume_from_s' must be a non-negative number or null")
        resume = float(resume)
    return Start(sample_rate_hz=int(sample_rate), encoding=encoding, channels=1,
                 language=language, title=title, meeting_id=meeting_id, resume_from_s=resume)


def dumps(frame: dict[str, Any]) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))

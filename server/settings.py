"""Runtime settings: one frozen dataclass, built from CLI flags and ``CASENOTE_*`` env."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ENV_PREFIX = "CASENOTE_"


def default_data_dir() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "casenote"


def default_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "casenote"


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = field(default_factory=default_data_dir)
    model_cache_dir: Path = field(default_factory=default_cache_dir)
    token: str | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    # Recognition: engine name from the registry in engines/__init__.py.
    transcriber: str = "utterance"
    # A manifest name ("whisper-base", "whisper-tiny.en"), a faster-whisper model folder,
    # or a hub name (only resolved when the user allows hub access).
    asr_model: str = "whisper-base"
    # Fast first-pass model for partial captions (utterance engine only); "" disables.
    partial_model: str = "whisper-tiny.en"
    language: str | None = None
    # Speaker labels: "campplus" (segmentation-3.0 + CAM++, bundled), "none", or
    # "pyannote" (live labels as campplus, the end-of-meeting pass by a pyannote.audio
    # pipeline from ``diariser_model``: a local folder, or a hub name with allow_hub).
    diariser: str = "campplus"
    diariser_model: str = "pyannote/speaker-diarization-community-1"
    # Case notes: "rules" (the rules' facts, found and quoted line by line, no model),
    # "llama" (the rules' facts plus a model's items, in process: a GGUF from the model
    # store or a .gguf path; a note_model given alone implies it), "ollama" (the same on
    # the user's ollama server, OLLAMA_HOST or ollama_host), or "none". The bundled 0.5B
    # added no fact the rules had not found and added unsupported statements, words and
    # seconds at stop (docs/benchmarks.md), so the default needs no model.
    drafter: str = "rules"
    note_model: str = "qwen2.5-coder-0.5b-instruct"
    ollama_host: str | None = None
    note_budget_s: float = 4.5  # from stop to a ready note; the rest is drafted after
    # A council's own letter/referral templates (*.toml); the built-in ones otherwise.
    templates_dir: Path | None = None
    asr_threads: int = 2
    allow_hub: bool = False
    max_live_meetings: int = 4
    max_frame_s: float = 1.0
    grace_s: float = 600.0
    idle_timeout_s: float = 30.0
    max_text_frame_bytes: int = 64 * 1024
    max_viewers: int = 50  # caption viewers per meeting
    max_upload_bytes: int = 500 * 1024 * 1024
    max_meeting_s: float = 4 * 3600.0  # a meeting this long is stopped as if asked to
    retention_days: float = 0.0  # delete meetings older than this; 0 keeps them
    # A share link works while its meeting is live and this long after it ends.
    share_grace_s: float = 600.0
    # Origins allowed to open WebSockets besides the server's own; "*" allows any.
    allowed_origins: tuple[str, ...] = ()

    @property
    def db_path(self) -> Path:
        return self.data_dir / "casenote.db"


_FIELD_TYPES = {f.name: f.type for f in dataclasses.fields(Settings)}


def _coerce(name: str, raw: str) -> object:
    kind = _FIELD_TYPES[name]
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    if kind == "bool":
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if kind in ("Path", "Path | None"):
        return Path(raw).expanduser() if raw else None
    if kind == "tuple[str, ...]":
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if kind == "str | None":
        return raw or None
    return raw


def load_settings(overrides: Mapping[str, object] | None = None,
                  environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from ``CASENOTE_<FIELD>`` variables, then explicit overrides (CLI flags).

    Overrides whose value is ``None`` are ignored so that unset flags keep the env value.
    """
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for name in _FIELD_TYPES:
        raw = env.get(ENV_PREFIX + name.upper())
        if raw is not None:
            try:
                values[name] = _coerce(name, raw)
            except ValueError as exc:
                raise ValueError(f"{ENV_PREFIX}{name.upper()}: {exc}") from None
    for name, value in (overrides or {}).items():
        if value is not None:
            values[name] = value
    if "note_model" in values and "drafter" not in values:
        values["drafter"] = "llama"  # a note model named alone means: draft with it
    return Settings(**values)  # type: ignore[arg-type]

"""The ``casenote`` command: serve, transcribe, models."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from server.settings import Settings, load_settings

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "PYANNOTE_METRICS_ENABLED": "0",
    "DO_NOT_TRACK": "1",
}
# Output a person can read: no progress bars from libraries loading local weights (ours
# show on a terminal only), no library chatter below a warning.
QUIET_ENV = {"HF_HUB_DISABLE_PROGRESS_BARS": "1", "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1"}
QUIET_LOGGERS = ("faster_whisper", "matplotlib", "numba", "pyannote", "speechbrain",
                 "sentence_transformers", "transformers", "httpx")


def apply_privacy_env(allow_hub: bool) -> None:
    """No telemetry ever; no hub unless the user asked for it. Before heavy imports."""
    for key, value in OFFLINE_ENV.items():
        if allow_hub and key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
            continue
        os.environ.setdefault(key, value)


def _engine_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--transcriber", choices=["utterance", "whisperlivekit"],
                        help="streaming policy (default: utterance)")
    parser.add_argument("--asr-model", help="bundled model name, faster-whisper folder, or hub "
                        "name with --allow-hub (default: whisper-base)")
    parser.add_argument("--partial-model", help="fast model for partial captions "
                        "('' to use the main model; default: whisper-tiny.en)")
    parser.add_argument("--language", help="spoken language code, e.g. en (default: detect)")
    parser.add_argument("--diariser", choices=["campplus", "pyannote", "none"],
                        help="speaker labels (default: campplus, bundled)")
    parser.add_argument("--diariser-model", help="pyannote pipeline folder or hub name, "
                        "with --diariser pyannote")
    parser.add_argument("--drafter", choices=["llama", "ollama", "rules", "none"],
                        help="case-note drafter (default: rules, the facts found line by "
                             "line, no model; llama: plus a model's items, in process; "
                             "ollama: the same on an ollama server; none: no notes)")
    parser.add_argument("--note-model", help="llama: bundled model name or .gguf path "
                        "(default: qwen2.5-coder-0.5b-instruct; given alone it implies "
                        "--drafter llama); ollama: model name")
    parser.add_argument("--ollama-host", help="ollama server (default: OLLAMA_HOST, else "
                        "http://127.0.0.1:11434)")
    parser.add_argument("--templates-dir", type=Path, help="folder of letter/referral "
                        "templates (*.toml) that replace the built-in ones by name")
    parser.add_argument("--note-budget-s", type=float, help="seconds from the end of a "
                        "meeting before the note drafted so far is shown (default: 4.5)")
    parser.add_argument("--allow-hub", action="store_true", default=None,
                        help="let model names be downloaded from a hub")
    parser.add_argument("--model-cache-dir", type=Path)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="casenote", description="Live captions and case "
                                     "notes for care visits, on your own server.")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the web app and API")
    serve.add_argument("--host", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: 8000; 0 picks a free one)")
    serve.add_argument("--data-dir", type=Path)
    serve.add_argument("--token", help="access token (default: CASENOTE_TOKEN or one kept in "
                       "the data dir)")
    serve.add_argument("--ssl-certfile", type=Path)
    serve.add_argument("--ssl-keyfile", type=Path)
    serve.add_argument("--max-live-meetings", type=int)
    serve.add_argument("--max-frame-s", type=float)
    serve.add_argument("--grace-s", type=float)
    serve.add_argument("--max-meeting-s", type=float, help="audio length at which a meeting "
                       "is stopped (default: 14400)")
    serve.add_argument("--max-upload-bytes", type=int, help="largest recording accepted by "
                       "POST /v1/transcriptions (default: 500 MiB)")
    serve.add_argument("--retention-days", type=float, help="delete meetings older than this "
                       "(default: 0, keep)")
    _engine_flags(serve)

    transcribe = sub.add_parser("transcribe", help="transcribe a recording, no server")
    transcribe.add_argument("file", type=Path)
    transcribe.add_argument("--format", choices=["json", "txt", "srt", "vtt"], default="txt")
    transcribe.add_argument("--note", type=Path, metavar="FILE",
                            help="also draft the case note into FILE (.json, .md or .docx)")
    _engine_flags(transcribe)

    models = sub.add_parser("models", help="list the bundled models, assembled and verified")
    models.add_argument("--model-cache-dir", type=Path)
    return parser


def _overrides(args: argparse.Namespace) -> dict[str, object]:
    names = ["host", "port", "data_dir", "token", "ssl_certfile", "ssl_keyfile",
             "max_live_meetings", "max_frame_s", "grace_s", "max_meeting_s", "retention_days",
             "max_upload_bytes",
             "transcriber", "asr_model", "diariser", "diariser_model",
             "drafter", "note_model", "ollama_host", "note_budget_s",
             "templates_dir",
             "partial_model", "language", "allow_hub", "model_cache_dir"]
    return {name: getattr(args, name, None) for name in names}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings(_overrides(args))
    except (TypeError, ValueError) as exc:
        print(f"casenote: {exc}", file=sys.stderr)
        return 2
    apply_privacy_env(settings.allow_hub)
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    if args.command == "serve":
        return serve(settings)
    if args.command == "transcribe":
        return transcribe(settings, args.file, args.format, args.note)
    return list_models(settings)


SHUTDOWN_GRACE_S = 10


def serve(settings: Settings) -> int:
    import uvicorn

    from server.app import create_app
    from server.auth import load_or_create_token

    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    settings.data_dir.chmod(0o700)
    token = load_or_create_token(settings.data_dir, settings.token)
    server: uvicorn.Server | None = None

    def announce() -> None:
        asyncio.get_event_loop().create_task(_announce_when_listening(server, settings, token))

    app = create_app(settings, token, on_ready=announce)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="info",
                            ssl_certfile=str(settings.ssl_certfile) if settings.ssl_certfile
                            else None,
                            ssl_keyfile=str(settings.ssl_keyfile) if settings.ssl_keyfile
                            else None, ws_max_size=4 << 20, server_header=False,
                            # A note being drafted at stop must not hold a shutdown for
                            # long: what is cut short is drafted again at the next start.
                            timeout_graceful_shutdown=SHUTDOWN_GRACE_S)
    server = uvicorn.Server(config)
    server.run()
    return 0


async def _announce_when_listening(server: object, settings: Settings, token: str) -> None:
    while not getattr(server, "started", False):
        await asyncio.sleep(0.05)
    port = settings.port
    for srv in getattr(server, "servers", []):
        for sock in srv.sockets:
            port = sock.getsockname()[1]
    scheme = "https" if settings.ssl_certfile else "http"
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    print(f"casenote is ready: open {scheme}://{host}:{port}/?token={token}", flush=True)


def transcribe(settings: Settings, path: Path, fmt: str, note_path: Path | None = None) -> int:
    from server.audio import read_audio_file
    from server.engines import load_diariser, load_transcriber
    from server.exports import EXPORTERS
    from server.modelstore import ModelError, ModelStore
    from server.offline import transcribe_audio
    from server.store import STOPPED, MeetingRow, SegmentRow

    try:
        audio = read_audio_file(str(path))
    except Exception as exc:  # PyAV raises many kinds: all mean "cannot decode this"
        print(f"casenote: cannot decode {path}: {exc}", file=sys.stderr)
        return 1
    store = ModelStore(settings.model_cache_dir)
    try:
        engine = load_transcriber(settings, store)
    except (ModelError, ValueError) as exc:
        print(f"casenote: {exc}", file=sys.stderr)
        return 1
    try:
        diariser = load_diariser(settings, store)
    except Exception as exc:  # speaker labels are optional: say so and go on
        print(f"casenote: speaker labels are off: {exc}", file=sys.stderr)
        diariser = None
    segments: list[SegmentRow] = transcribe_audio(engine, audio, settings.language,
                                                  diariser=diariser)
    row = MeetingRow(id=path.stem, title=path.name, status=STOPPED, language=settings.language,
                     created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                     ended_at=None, duration_s=audio.size / 16000, received_s=0.0,
                     next_segment=len(segments) + 1, share_token="", speakers={})
    if note_path is not None:
        if note_path.suffix not in (".json", ".md", ".docx"):
            print("casenote: --note writes .json, .md or .docx", file=sys.stderr)
            return 1
        try:
            write_note(settings, store, row, segments, note_path)
        except Exception as exc:  # the transcript still goes out; say why the note did not
            print(f"casenote: the note could not be drafted: {exc}", file=sys.stderr)
            sys.stdout.write(EXPORTERS[fmt](row, segments))
            return 1
    sys.stdout.write(EXPORTERS[fmt](row, segments))
    return 0


def write_note(settings: Settings, store: object, row: object, segments: list,
               path: Path) -> None:
    """Draft the note of a transcribed recording, as the server would, into ``path``."""
    import json

    from server.casenotes import load_note_engine, meeting_info, to_segment
    from server.note_exports import note_docx, note_markdown
    from server.notes.drafting import IncrementalNote

    engine = load_note_engine(settings, store)
    info = meeting_info(row)  # type: ignore[arg-type]
    note = IncrementalNote(engine.drafter, engine.checker, title=info.title, date=info.date)
    note.add_segments(to_segment(s) for s in segments)
    wire = note.finish(info).to_wire()
    if path.suffix == ".json":
        path.write_text(json.dumps(wire, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    elif path.suffix == ".md":
        path.write_text(note_markdown(wire, segments), encoding="utf-8")
    else:
        path.write_bytes(note_docx(wire, segments))


def list_models(settings: Settings) -> int:
    from server.modelstore import ModelStore

    store = ModelStore(settings.model_cache_dir)
    failed = 0
    for name in store.names():
        status = store.status(name)
        if status.verified:
            mark = "verified"
        else:
            mark = "optional" if status.optional else "MISSING"
        print(f"{name:28} {status.kind:14} {status.licence:10} {mark:9} "
              f"{status.path or status.problem}")
        failed += not status.verified and not status.optional
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

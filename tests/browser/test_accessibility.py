"""Accessibility of the recorder and the viewer in a real Chromium: keyboard alone (Tab,
Enter, Space) drives every control, focus is visible, display choices persist, and
axe-core finds no serious or critical violation in any theme (nor any AAA contrast
failure in high contrast)."""

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import (THEMES, assert_accessible, axe_source, choose_theme, focused,
                                   launch, launch_with_microphone, padded, record, tab_to, watch)

pytestmark = [pytest.mark.browser, pytest.mark.models]

FIRST_WORDS_S = 4.0  # "And so, my fellow Americans": enough for one final


@pytest.fixture(scope="module")
def axe() -> str:
    return axe_source()


@pytest.fixture(scope="module")
def finished_meeting(server, jfk_wav):
    """A stopped meeting with a named speaker; its share link stays open 10 minutes."""
    meeting = record(server, jfk_wav)
    assert meeting.finals
    path = f"/v1/meetings/{meeting.meeting_id}"
    label = httpx.get(server.http + path, headers=server.headers).json()["segments"][0]["speaker"]
    named = httpx.patch(f"{server.http}{path}/speakers", headers=server.headers,
                        json={label: {"name": "Jordan", "role": "parent"}})
    assert named.status_code == 200
    return meeting


def expect_focus_ring(page: Page) -> None:
    ring = page.locator(":focus")
    expect(ring).to_have_css("outline-style", "solid")
    expect(ring).not_to_have_css("outline-width", "0px")


def test_recorder_by_keyboard_alone(server, jfk_wav, tmp_path, playwright):
    wav = padded(jfk_wav, tmp_path / "mic.wav", keep_s=FIRST_WORDS_S)
    browser = launch_with_microphone(playwright, wav)
    try:
        page = browser.new_page()
        problems = watch(page)
        page.goto(f"{server.http}/?token={server.token}")
        html = page.locator("html")

        # Display settings: open the panel, change each kind of setting.
        tab_to(page, "#display-toggle")
        expect_focus_ring(page)
        page.keyboard.press("Enter")
        expect(page.locator("#display-panel")).to_be_visible()
        expect(page.locator("#display-toggle")).to_have_attribute("aria-expanded", "true")
        tab_to(page, "#text-larger")
        page.keyboard.press("Space")
        expect(html).to_have_attribute("data-size", "2")
        expect(page.locator("#text-size-value")).to_have_text("Large")
        tab_to(page, "[data-spacing='relaxed']")
        page.keyboard.press("Enter")
        expect(html).to_have_attribute("data-spacing", "relaxed")
        tab_to(page, "[data-theme-option='dark']")
        expect_focus_ring(page)
        page.keyboard.press("Enter")
        expect(html).to_have_attribute("data-theme", "dark")
        expect(page.locator("[data-theme-option='dark']")).to_have_attribute("aria-pressed", "true")
        tab_to(page, "#dyslexia-text")
        page.keyboard.press("Space")
        expect(html).to_have_attribute("data-dyslexia", "on")
        tab_to(page, "#captions-only")
        page.keyboard.press("Enter")
        expect(html).to_have_attribute("data-captions-only", "on")
        expect(page.locator(".site-header")).to_be_hidden()
        expect(page.locator("#captions-exit")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator(".site-header")).to_be_visible()
        expect(page.locator("#captions-only")).to_be_focused()

        # Start, and Stop once the first words are captioned.
        tab_to(page, "#start")
        expect_focus_ring(page)
        page.keyboard.press("Enter")
        expect(page.locator("#status")).to_have_text("listening", timeout=20_000)
        expect(page.locator("#stop")).to_be_focused()
        expect(page.locator("#captions .final").first).to_be_visible(timeout=60_000)
        page.keyboard.press("Space")
        expect(page.locator("#status")).to_have_text("stopped", timeout=60_000)

        # Share: the link stays available after the end, for the grace period.
        tab_to(page, "#share")
        page.keyboard.press("Enter")
        expect(page.locator("#share-dialog")).to_be_visible()
        expect(page.locator("#share-link")).to_have_value(re.compile(r"/view/m_\w+\?share="))
        tab_to(page, "#share-close")
        page.keyboard.press("Enter")
        expect(page.locator("#share-dialog")).to_be_hidden()
        expect(page.locator("#share")).to_be_focused()

        # Name the speaker: typing in the fields, Enter to save.
        tab_to(page, "#roster-list button")
        label = page.locator("#roster-list button:focus").get_attribute("data-speaker")
        page.keyboard.press("Enter")
        expect(page.locator("#speaker-name")).to_be_focused()
        page.keyboard.type("Sarah")
        page.keyboard.press("Tab")
        page.keyboard.type("social worker")
        tab_to(page, "#speaker-save")
        page.keyboard.press("Enter")
        expect(page.locator("#speaker-dialog")).to_be_hidden()
        expect(page.locator(f"#captions li[data-speaker='{label}'] .speaker").first
               ).to_have_text("Sarah")
        assert focused(page, "#roster-list button")

        # The display choices are this device's: they survive a reload.
        page.reload()
        for name, value in (("data-theme", "dark"), ("data-size", "2"),
                            ("data-spacing", "relaxed"), ("data-dyslexia", "on")):
            expect(html).to_have_attribute(name, value)
        assert problems == []
    finally:
        browser.close()


def test_recorder_passes_axe_in_every_theme(server, jfk_wav, tmp_path, playwright, axe):
    wav = padded(jfk_wav, tmp_path / "mic.wav", keep_s=FIRST_WORDS_S)
    browser = launch_with_microphone(playwright, wav)
    try:
        page = browser.new_page()
        page.goto(f"{server.http}/?token={server.token}")
        assert_accessible(page, axe, "recorder before a meeting")
        page.click("#start")
        expect(page.locator("#captions .final").first).to_be_visible(timeout=60_000)
        page.click("#stop")
        expect(page.locator("#status")).to_have_text("stopped", timeout=60_000)

        page.click("#share")
        expect(page.locator("#share-qr svg")).to_be_visible()
        assert_accessible(page, axe, "share dialog")
        page.click("#share-close")
        page.locator("#roster-list button").first.click()
        expect(page.locator("#speaker-dialog")).to_be_visible()
        assert_accessible(page, axe, "speaker dialog")
        page.click("#speaker-cancel")

        for theme in THEMES:
            choose_theme(page, theme)
            expect(page.locator("html")).to_have_attribute("data-theme", theme)
            assert_accessible(page, axe, theme, aaa=theme == "contrast")
    finally:
        browser.close()


def test_viewer_passes_axe_in_every_theme(server, playwright, axe, finished_meeting):
    browser = launch(playwright)
    try:
        context = browser.new_context(viewport={"width": 390, "height": 844},
                                      is_mobile=True, has_touch=True)
        page = context.new_page()
        page.goto(finished_meeting.viewer_url)
        expect(page.locator("#status")).to_have_text("ended", timeout=10_000)
        expect(page.locator("#captions .speaker").filter(has_text="Jordan").first
               ).to_be_visible()
        for theme in THEMES:
            choose_theme(page, theme)
            expect(page.locator("html")).to_have_attribute("data-theme", theme)
            assert_accessible(page, axe, theme, aaa=theme == "contrast")

        # The largest text, dyslexia-friendly, caption-only, on a phone.
        for _ in range(5):
            if page.locator("#text-larger").is_enabled():
                page.click("#text-larger")
        expect(page.locator("html")).to_have_attribute("data-size", "5")
        page.check("#dyslexia-text")
        page.click("#captions-only")
        expect(page.locator("#captions-exit")).to_be_visible()
        assert_accessible(page, axe, "huge dyslexia-friendly caption-only")

        denied = context.new_page()
        response = denied.goto(finished_meeting.viewer_url + "x")
        assert response is not None and response.status == 403
        assert_accessible(denied, axe, "refused link page")
    finally:
        browser.close()


def test_viewer_by_keyboard_alone(server, playwright, finished_meeting):
    browser = launch(playwright)
    try:
        page = browser.new_page()
        problems = watch(page)
        page.goto(finished_meeting.viewer_url)
        expect(page.locator("#status")).to_have_text("ended", timeout=10_000)
        tab_to(page, "#display-toggle")
        page.keyboard.press("Space")
        tab_to(page, "[data-theme-option='contrast']")
        page.keyboard.press("Space")
        expect(page.locator("html")).to_have_attribute("data-theme", "contrast")
        tab_to(page, "#captions-only")
        page.keyboard.press("Space")
        expect(page.locator("#captions-exit")).to_be_focused()
        expect(page.locator("#captions")).to_be_visible()
        page.keyboard.press("Space")
        expect(page.locator(".site-header")).to_be_visible()
        # The captions themselves are reachable, to scroll with the keyboard.
        tab_to(page, "#captions")
        expect_focus_ring(page)
        assert problems == []
    finally:
        browser.close()


def test_viewer_follows_the_device_preferences(server, playwright, finished_meeting):
    browser = launch(playwright)
    try:
        context = browser.new_context(color_scheme="dark", reduced_motion="reduce")
        page = context.new_page()
        page.goto(finished_meeting.viewer_url)
        html = page.locator("html")
        expect(html).to_have_attribute("data-theme", "dark")
        expect(page.locator("#captions")).to_have_css("scroll-behavior", "auto")
        page.emulate_media(color_scheme="light", reduced_motion="no-preference")
        expect(html).to_have_attribute("data-theme", "light")
        expect(page.locator("#captions")).to_have_css("scroll-behavior", "smooth")
        # A chosen theme wins over the device's, on this device only.
        choose_theme(page, "cream")
        page.emulate_media(color_scheme="dark")
        expect(html).to_have_attribute("data-theme", "cream")
        other = browser.new_context(color_scheme="dark").new_page()
        other.goto(finished_meeting.viewer_url)
        expect(other.locator("html")).to_have_attribute("data-theme", "dark")
    finally:
        browser.close()

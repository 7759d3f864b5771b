"""The page keeps capturing through a dropped connection and resumes the meeting."""

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.helpers import launch_with_microphone, padded, watch
from tests.netproxy import CuttableProxy

pytestmark = [pytest.mark.browser, pytest.mark.models]


def norm(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]+", " ", text.lower()).split()


def test_wifi_drop_mid_meeting_loses_nothing(server, jfk_wav, tmp_path, playwright):
    host, port = server.host.split(":")
    proxy = CuttableProxy(host, int(port))
    wav = padded(jfk_wav, tmp_path / "mic.wav")
    browser = launch_with_microphone(playwright, wav)
    try:
        page = browser.new_page()
        problems = watch(page)
        # The page is served through the proxy, so its socket goes through it too.
        page.goto(f"http://127.0.0.1:{proxy.port}/?token={server.token}")
        page.fill("#title", "Tower block visit")
        page.click("#start")
        finals = page.locator("#captions .final")
        expect(finals.first).to_be_visible(timeout=60_000)
        proxy.cut()
        expect(page.locator("#status")).to_have_text("reconnecting", timeout=10_000)
        expect(page.locator("#status-detail")).to_contain_text("buffered")
        page.wait_for_timeout(2500)  # offline for a while; the microphone keeps going
        proxy.restore()
        expect(page.locator("#status")).to_have_text("listening", timeout=30_000)
        expect(finals.filter(has_text=re.compile("do for your country", re.I))).to_have_count(
            1, timeout=60_000)
        page.click("#stop")
        expect(page.locator("#status")).to_have_text("stopped", timeout=60_000)
        shown = page.eval_on_selector_all("#captions .final .text",
                                          "els => els.map(e => e.textContent)")
        assert not [p for p in problems if "pageerror" in p]
    finally:
        browser.close()
        proxy.close()
    with httpx.Client(base_url=server.http, headers=server.headers) as http:
        meetings = http.get("/v1/meetings").json()["meetings"]
        visit = next(m for m in meetings if m["title"] == "Tower block visit")
        stored = http.get(f"/v1/meetings/{visit['id']}").json()
    said = norm(" ".join(s["text"] for s in stored["segments"]))
    # Every phrase once: nothing lost in the outage, nothing sent twice.
    text = " ".join(said)
    for phrase in ("fellow americans", "ask not", "what your country can do for you",
                   "ask what you can do for your country"):
        assert text.count(phrase) == 1, text
    assert [norm(t) for t in shown] == [norm(s["text"]) for s in stored["segments"]]

"""Share links: a recorder page streams while viewer pages follow, in a real Chromium under
the server's real Content-Security-Policy; refused and withdrawn links; what a share token
cannot do."""

import json
import re

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from websockets.sync.client import connect

from tests.browser.helpers import (caption_lines, drain, launch, launch_with_microphone, norm,
                                   padded, watch)
from tests.conftest import wait_until
from tests.streaming import load_pcm, start_frame

pytestmark = [pytest.mark.browser, pytest.mark.models]

VIEWER_FRAMES = {"speakers", "partial", "final", "stopped", "pong"}


def open_viewer(browser: Browser, url: str) -> tuple[Page, list[str]]:
    """A viewer in its own context, as on its own phone."""
    page = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                               has_touch=True).new_page()
    problems = watch(page)
    response = page.goto(url)
    assert response is not None and response.status == 200
    return page, problems


def settled_meeting(server, viewer_url: str) -> dict:
    """The stored meeting once the server has finished with it (status "stopped")."""
    meeting_id = viewer_url.split("/view/", 1)[1].split("?", 1)[0]
    found: dict = {}

    def stopped() -> bool:
        found.update(httpx.get(f"{server.http}/v1/meetings/{meeting_id}",
                               headers=server.headers).json())
        return found["status"] == "stopped"

    # "stopped" follows the speakers' end pass and the note's drafting at stop; with both
    # cores taken by other work that took over 60 s (the suite run with two spinners).
    assert wait_until(stopped, timeout_s=300, interval_s=0.25), found.get("status")
    return found


def expect_lines(page: Page, expected: list[list[str]]) -> None:
    """The page's caption lines become exactly these (frames may still be arriving)."""
    for segment_id, _, speaker, badge, _ in expected:
        line = page.locator(f"#captions li[data-segment-id='{segment_id}']")
        expect(line).to_have_attribute("data-speaker", speaker)
        expect(line.locator(".speaker")).to_have_text(badge)
    assert caption_lines(page) == expected


def test_viewers_follow_the_recorder_with_names(server, jfk_wav, tmp_path, playwright):
    # Silence first, so both viewers are watching before the first words.
    wav = padded(jfk_wav, tmp_path / "mic.wav", lead_s=2.5)
    browser = launch_with_microphone(playwright, wav)
    try:
        recorder = browser.new_page()
        problems = watch(recorder)
        recorder.goto(f"{server.http}/?token={server.token}")
        recorder.fill("#title", "Shared visit")
        expect(recorder.locator("#share")).to_be_disabled()
        recorder.click("#start")
        status = recorder.locator("#status")
        expect(status).to_have_text("listening", timeout=20_000)

        recorder.click("#share")
        link = recorder.locator("#share-link")
        expect(link).to_have_value(re.compile(r"^http://[^/]+/view/m_\w+\?share=[\w-]+$"))
        expect(recorder.locator("#share-qr svg[role=img]")).to_be_visible()
        expect(recorder.locator("#share-expiry")).to_contain_text("10 minutes")
        url = link.input_value()
        recorder.click("#share-close")
        expect(recorder.locator("#share-dialog")).to_be_hidden()
        expect(recorder.locator("#share")).to_be_focused()

        viewers = [open_viewer(browser, url) for _ in range(2)]
        for viewer, _ in viewers:
            expect(viewer.locator("#status")).to_have_text("live", timeout=10_000)

        # The worker names a speaker from its badge on the recorder; everyone sees the name.
        first = recorder.locator("#captions .final").first
        expect(first).to_be_visible(timeout=60_000)
        label = first.get_attribute("data-speaker")
        first.locator(".speaker").click()
        expect(recorder.locator("#speaker-heading")).to_have_text(f"Name speaker {label}")
        recorder.fill("#speaker-name", "Sarah")
        recorder.fill("#speaker-role", "social worker")
        recorder.click("#speaker-save")
        expect(recorder.locator("#speaker-dialog")).to_be_hidden()
        expect(recorder.locator(f"#roster-list [data-speaker='{label}']")).to_contain_text(
            "Sarah, social worker")
        for viewer, _ in viewers:
            expect(viewer.locator("#captions .speaker").filter(has_text="Sarah").first
                   ).to_be_visible()

        country = re.compile("do for your country", re.I)
        expect(recorder.locator("#captions .final").filter(has_text=country)).to_have_count(
            1, timeout=60_000)
        recorder.click("#stop")
        expect(status).to_have_text("stopped", timeout=60_000)
        for viewer, _ in viewers:
            expect(viewer.locator("#status")).to_have_text("ended", timeout=30_000)

        # What the meeting ended as: the server may still relabel speakers after `stopped`
        # (refinement), and sends that to viewers before it closes their sockets.
        stored = settled_meeting(server, url)
        expected = [[seg["segment_id"], "final", seg["speaker"],
                     (stored["speakers"].get(seg["speaker"]) or {}).get("name") or seg["speaker"],
                     seg["text"]] for seg in stored["segments"]]
        assert expected and stored["speakers"][label]["name"] == "Sarah"
        assert "your country" in norm(" ".join(seg["text"] for seg in stored["segments"]))
        for viewer, _ in viewers:
            expect_lines(viewer, expected)
            # Finals that came live were read out; partials never are.
            spoken = viewer.locator("#captions-live p").filter(has_text=country)
            expect(spoken).to_have_count(1)
            # Nothing of the recorder's: no controls, no note, no risk flags.
            assert viewer.locator("#start, #stop, #share, #note-status, .risk").count() == 0
        # The recorder showed the same finals, word for word.
        assert [[sid, text] for sid, kind, _, _, text in caption_lines(recorder)
                if kind == "final"] == [[line[0], line[4]] for line in expected]

        # Joining late, after the end: the whole history, names included, and no read-out.
        late, late_problems = open_viewer(browser, url)
        expect(late.locator("#status")).to_have_text("ended", timeout=10_000)
        expect_lines(late, expected)
        expect(late.locator("#captions-live p")).to_have_count(0)

        assert problems == [] and late_problems == []
        assert all(p == [] for _, p in viewers)
    finally:
        browser.close()


def test_bad_or_withdrawn_links_get_a_clear_page(server, playwright):
    browser = launch(playwright)
    try:
        with connect(server.ws(), max_size=None) as recorder:
            recorder.send(start_frame())
            started = json.loads(recorder.recv(timeout=30))
            meeting_id, share = started["meeting_id"], started["share_token"]
            page = browser.new_page()
            problems = watch(page)
            for url in (f"/view/{meeting_id}?share=not-the-token", f"/view/{meeting_id}",
                        f"/view/m_0000000000000000?share={share}"):
                response = page.goto(server.http + url)
                assert response is not None and response.status == 403
                expect(page.locator("h1")).to_have_text("This caption link does not work")
                expect(page.locator("main")).to_contain_text("new link")

            # A viewer that is watching when the link is withdrawn is told so, and stays told.
            response = page.goto(f"{server.http}/view/{meeting_id}?share={share}")
            assert response is not None and response.status == 200
            expect(page.locator("#status")).to_have_text("live", timeout=10_000)
            revoked = httpx.post(f"{server.http}/v1/meetings/{meeting_id}/share:revoke",
                                 headers=server.headers)
            assert revoked.status_code == 200 and revoked.json()["share_token"] != share
            expect(page.locator("#status")).to_have_text("link not valid", timeout=10_000)
            expect(page.locator("#message")).to_contain_text("no longer works")
            response = page.goto(f"{server.http}/view/{meeting_id}?share={share}")
            assert response is not None and response.status == 403
            recorder.send(json.dumps({"type": "stop"}))
            drain(recorder)
        assert problems == []
    finally:
        browser.close()


def test_a_share_token_cannot_send_audio_or_read_the_note(server, jfk_wav):
    pcm, rate = load_pcm(jfk_wav)
    pcm = pcm[: 4 * rate * 2]  # "And so, my fellow Americans"
    with connect(server.ws(), max_size=None) as recorder:
        recorder.send(start_frame(rate))
        started = json.loads(recorder.recv(timeout=30))
        meeting_id, share = started["meeting_id"], started["share_token"]
        as_viewer = {"Authorization": f"Bearer {share}"}

        with httpx.Client(base_url=server.http) as http:
            for method, path, body in [
                ("GET", "/v1/meetings", None),
                ("GET", f"/v1/meetings/{meeting_id}", None),
                ("GET", f"/v1/meetings/{meeting_id}/transcript.txt", None),
                ("GET", f"/v1/meetings/{meeting_id}/share", None),
                ("GET", f"/v1/meetings/{meeting_id}/share.svg", None),
                ("POST", f"/v1/meetings/{meeting_id}/share:revoke", None),
                ("PATCH", f"/v1/meetings/{meeting_id}/speakers", {"S1": {"name": "X"}}),
            ]:
                for headers, query in ((as_viewer, ""), ({}, f"?token={share}")):
                    answer = http.request(method, path + query, headers=headers, json=body)
                    assert answer.status_code == 403, (method, path, query, answer.text)
            # The note: refused like the rest once the route exists; never served.
            for headers, query in ((as_viewer, ""), ({}, f"?token={share}")):
                answer = http.get(f"/v1/meetings/{meeting_id}/note{query}", headers=headers)
                assert answer.status_code in (403, 404), answer.text
                assert "attendees" not in answer.text

        # The recording socket refuses a share token before reading any audio.
        with connect(server.ws(token=share)) as intruder:
            refusal = drain(intruder, timeout_s=10)
        assert [f.get("code") for f in refusal] == ["unauthorized"]
        assert intruder.close_code == 4401

        # On the captions socket, audio and commands are ignored; ping is answered.
        viewer_url = server.ws(f"/v1/meetings/{meeting_id}/captions?share={share}", token="")
        with connect(viewer_url, max_size=None) as viewer:
            assert json.loads(viewer.recv(timeout=10))["type"] == "speakers"
            viewer.send(bytes(32000))
            viewer.send(start_frame())
            viewer.send(json.dumps({"type": "stop"}))
            viewer.send(json.dumps({"type": "ping"}))
            assert json.loads(viewer.recv(timeout=10)) == {"type": "pong"}

            step = rate // 10 * 2
            for lo in range(0, len(pcm), step):
                recorder.send(pcm[lo:lo + step])
            recorder.send(json.dumps({"type": "stop"}))
            recorded = drain(recorder)
            seen = drain(viewer)
        assert viewer.close_code == 1000

    kinds = [f["type"] for f in seen]
    assert set(kinds) <= VIEWER_FRAMES and "stopped" in kinds
    # After `stopped` only speaker relabels (refinement) may follow, then the close.
    assert set(kinds[kinds.index("stopped") + 1:]) <= {"speakers"}
    finals = [(f["segment_id"], f["text"]) for f in recorded if f["type"] == "final"]
    assert finals and [(f["segment_id"], f["text"]) for f in seen if f["type"] == "final"] == finals
    stopped = next(f for f in recorded if f["type"] == "stopped")
    # The viewer's 1 s of "audio" was not added to the meeting.
    assert stopped["duration_s"] == pytest.approx(len(pcm) / 2 / rate, abs=0.01)
    assert "fellow americans" in norm(" ".join(text for _, text in finals))

"""Letters and referrals from the note view, in a real Chromium under the server's real
Content-Security-Policy: drafted through the buttons by the real default model (the page
stays usable meanwhile), shown with the built-in templates' headings, evidence buttons that
mark their transcript lines, statements the transcript does not support kept or deleted,
edits saved with PUT, downloads of what was saved, drafting again, a note not drafted yet,
a 320 px phone, and axe-core over it all."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import assert_accessible, choose_theme, record, tab_to
from tests.browser.test_note import (BOILER, DOG, get_note, highlighted, meeting_json,
                                     settled_note_status)
from tests.browser.test_upload import browser_page, follow_texts

pytestmark = [pytest.mark.browser, pytest.mark.models]

# One letter: 10 to 60 s on an idle 2-core machine; with both cores taken by other work the
# model gets a third of them and took over 180 s. Waiting longer asserts nothing weaker.
DRAFT_TIMEOUT_MS = 480_000
LETTER_HEADINGS = ["", "Why we met", "What we talked about", "What we agreed",
                   "What happens next", "How to get in touch"]  # server/templates/letter.toml
REFERRAL_HEADINGS = ["Reason for referral", "Relevant history from the visit", "Risks",
                     "The person's views and consent", "Actions already agreed"]  # referral.toml
EDIT = "We met at your home to talk about the heating and your son's school."


@pytest.fixture(scope="module")
def visit(server, jfk_wav) -> tuple[str, list[dict]]:
    """A stopped meeting whose note is a known one (the worker's version): its id and its
    transcript segments."""
    meeting = record(server, jfk_wav)
    # The bundled drafter is installed wherever the suite runs: a note that is not
    # drafted is a failure, not a reason to skip.
    status = settled_note_status(server, meeting.meeting_id)
    assert status == "ready", meeting_json(server, meeting.meeting_id)["note"]
    segments = meeting_json(server, meeting.meeting_id)["segments"]
    first, last = segments[0]["segment_id"], segments[-1]["segment_id"]
    note = dict(get_note(server, meeting.meeting_id), unsupported=[])
    note["attendees"] = [{"speaker": segments[0]["speaker"], "name": "Jordan", "role": "parent"},
                         # named in the talk, voice unknown (PROTOCOL.md additions)
                         {"speaker": "", "name": "Kieran", "role": "brother",
                          "suggested": True}]
    note["purpose"] = [{"text": "Review visit at the family home.", "evidence": [first]}]
    note["discussion"] = [{"text": "Jordan spoke about what people can do for their country.",
                           "evidence": [first]}]
    note["voice_of_person"] = [{"text": "Jordan wants to help other people.", "evidence": [last]}]
    note["observations"] = [{"text": "The home was cold.", "evidence": [first]}]
    note["risks"] = [{"text": "The home has no heating.", "evidence": [first],
                      "severity": "medium"}]
    note["actions"] = [{"text": "Sarah will apply for a heating grant.", "owner": "Sarah",
                        "due": None, "evidence": [last]}]
    note["next_steps"] = [{"text": "Sarah will visit again next week.", "evidence": [last]}]
    put = httpx.put(f"{server.http}/v1/meetings/{meeting.meeting_id}/note",
                    headers=server.headers, json=note)
    assert put.status_code == 200, put.text
    return meeting.meeting_id, segments


def get_document(server, meeting_id: str, doc_id: str) -> dict:
    answer = httpx.get(f"{server.http}/v1/meetings/{meeting_id}/documents/{doc_id}",
                       headers=server.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def headings(card) -> list[str]:
    return card.locator(".doc-heading").evaluate_all("els => els.map(e => e.value)")


def open_visit(page: Page, server, meeting_id: str) -> None:
    page.goto(f"{server.http}/?token={server.token}&meeting={meeting_id}")
    expect(page.locator(".note-item").first).to_be_visible(timeout=30_000)
    expect(page.locator("#documents")).to_be_visible()


@pytest.mark.timeout(1800)   # three documents drafted in turn, on a machine that may be busy
def test_draft_edit_save_and_download_a_letter_and_a_referral(server, visit, playwright, axe):
    meeting_id, _ = visit
    with browser_page(playwright, viewport={"width": 1280, "height": 900}) as (page, problems):
        open_visit(page, server, meeting_id)
        expect(page.locator("#documents-heading")).to_have_text("Letters and referrals")
        expect(page.locator(".doc-card")).to_have_count(0)

        # The letter, drafted by the model (the busy state: test_busy_while_drafting...).
        follow_texts(page, "#documents-status", "documentStatuses")
        page.click("#draft-letter")
        status = page.locator("#documents-status")
        letter = page.locator(".doc-card[data-kind='letter']")
        expect(letter).to_have_count(1, timeout=DRAFT_TIMEOUT_MS)
        expect(status).to_contain_text("The letter is drafted")
        statuses = page.evaluate("window.documentStatuses")
        assert any(s.startswith("Drafting the letter…") for s in statuses), statuses
        expect(page.locator("#draft-letter")).not_to_have_attribute("aria-disabled", "true")
        expect(letter.locator("h3")).to_have_text("Letter to the person")
        assert headings(letter) == LETTER_HEADINGS
        doc_id = letter.get_attribute("data-document-id")
        drafted = get_document(server, meeting_id, doc_id)
        texts = letter.locator(".doc-section textarea").evaluate_all("els => els.map(e => e.value)")
        assert texts == [s["text"] for s in drafted["sections"]]
        expect(letter.locator("input[id$='-title']")).to_have_value(drafted["title"])
        expect(letter.locator("input[id$='-greeting']")).to_have_value(drafted["greeting"])
        expect(letter.locator("textarea[id$='-closing']")).to_have_value(drafted["closing"])

        # Each part's evidence: the lines it rests on, as time-and-speaker buttons.
        why = letter.locator(".doc-section").nth(1)
        button = why.locator(".evidence-link").first
        evidence = drafted["sections"][1]["evidence"]
        assert evidence, drafted["sections"][1]
        expect(button).to_have_attribute("data-segment-id", evidence[0])
        expect(button).to_contain_text(re.compile(r"^\d\d:\d\d"))
        button.click()
        assert highlighted(page) == [evidence[0]]
        # Fixed template text says it rests on no line.
        expect(letter.locator(".doc-section").last.locator(".doc-no-evidence")).to_be_visible()

        # Edit a part and save: the server has the edit.
        why.locator("textarea").fill(EDIT)
        expect(letter.locator(".note-unsaved")).to_have_text("Unsaved changes")
        letter.locator("button[id$='-save']").click()
        expect(letter.locator(".note-feedback")).to_contain_text("Saved")
        expect(letter.locator(".note-unsaved")).to_have_text("")
        saved = get_document(server, meeting_id, doc_id)
        assert saved["sections"][1]["text"] == EDIT
        assert saved["sections"][1]["evidence"] == evidence
        assert "edited_at" in saved

        # Downloads are of the letter as saved.
        with page.expect_download() as download:
            letter.locator("button[id$='-download-md']").click()
        assert EDIT in Path(download.value.path()).read_text(encoding="utf-8")
        with page.expect_download() as download:
            letter.locator("button[id$='-download-docx']").click()
        assert download.value.suggested_filename.endswith(".docx")
        with zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes())) as docx:
            assert "heating and your son" in docx.read("word/document.xml").decode()

        # The referral: a service chosen in a dialog ("Other" needs a name).
        page.click("#draft-referral")
        dialog = page.locator("#referral-dialog")
        expect(dialog).to_be_visible()
        expect(page.locator("#referral-to")).to_be_focused()
        page.select_option("#referral-to", "")
        expect(page.locator("#referral-other")).to_be_focused()
        page.click("#referral-draft")
        expect(page.locator("#referral-error")).to_contain_text("Say which service")
        page.select_option("#referral-to", "housing")
        expect(page.locator("#referral-other")).to_be_hidden()
        page.click("#referral-draft")
        expect(dialog).to_be_hidden()
        referral = page.locator(".doc-card[data-kind='referral']")
        expect(referral).to_have_count(1, timeout=DRAFT_TIMEOUT_MS)
        expect(referral.locator("h3")).to_have_text("Referral to housing")
        assert headings(referral) == REFERRAL_HEADINGS
        ref = get_document(server, meeting_id, referral.get_attribute("data-document-id"))
        assert ref["to"] == "housing" and ref["kind"] == "referral"

        for theme in ("light", "contrast"):
            choose_theme(page, theme)
            assert_accessible(page, axe, f"documents, {theme}", aaa=theme == "contrast")
        choose_theme(page, "light")
        page.click("#display-toggle")

        # Draft again: a new letter beside the old one, which is kept.
        letter.locator("button[id$='-again']").click()
        letters = page.locator(".doc-card[data-kind='letter']")
        expect(letters).to_have_count(2, timeout=DRAFT_TIMEOUT_MS)
        listed = httpx.get(f"{server.http}/v1/meetings/{meeting_id}/documents",
                           headers=server.headers).json()["documents"]
        assert [d["kind"] for d in listed] == ["letter", "referral", "letter"]
        assert listed[0]["sections"][1]["text"] == EDIT

        # Coming back: the documents are listed with the note, the edit kept.
        page.reload()
        expect(page.locator(".doc-card")).to_have_count(3, timeout=30_000)
        expect(page.locator(".doc-card").first.locator(".doc-section textarea").nth(1)
               ).to_have_value(EDIT)

        # A 320 px phone: nothing wider than the screen.
        page.set_viewport_size({"width": 320, "height": 640})
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert_accessible(page, axe, "documents at 320 px")
        assert problems == []


def test_present_lists_people_with_a_voice_and_people_only_named(server, visit, playwright):
    meeting_id, _ = visit
    with browser_page(playwright, viewport={"width": 1280, "height": 900}) as (page, problems):
        open_visit(page, server, meeting_id)
        people = page.locator(".note-attendees li")
        expect(people).to_have_count(2)
        expect(people.nth(0)).to_have_text("Jordan, parent")
        # someone the talk names but no voice carries is listed as that, under their name
        expect(people.nth(1)).to_have_text(
            "Kieran, brother (named in what was said; which voice was theirs is not known)")
        assert problems == []


def test_unsupported_statements_kept_or_deleted(server, visit, playwright):
    meeting_id, _ = visit
    listed = httpx.get(f"{server.http}/v1/meetings/{meeting_id}/documents",
                       headers=server.headers).json()["documents"]
    if listed:
        doc = listed[0]
    else:  # this test run alone: draft one over HTTP
        answer = httpx.post(f"{server.http}/v1/meetings/{meeting_id}/documents",
                            headers=server.headers, json={"kind": "letter"}, timeout=180)
        assert answer.status_code == 201, answer.text
        doc = answer.json()
    # Whatever the model set apart, the page opens two known statements to decide on.
    put = httpx.put(f"{server.http}/v1/meetings/{meeting_id}/documents/{doc['id']}",
                    headers=server.headers, json=dict(doc, unsupported=[DOG, BOILER]))
    assert put.status_code == 200, put.text
    with browser_page(playwright, viewport={"width": 1280, "height": 900}) as (page, problems):
        open_visit(page, server, meeting_id)
        card = page.locator(f".doc-card[data-document-id='{doc['id']}']")
        box = card.locator(".doc-unsupported")
        expect(box.locator("h4")).to_have_text(
            "Not supported by the transcript — check before using")
        expect(box.locator(".unsupported-text")).to_have_text([DOG, BOILER])
        texts = card.locator(".doc-section textarea").evaluate_all("els => els.map(e => e.value)")
        assert DOG not in " ".join(texts)

        # Keep the first at the end of "What happens next".
        target = next(i for i, s in enumerate(doc["sections"])
                      if s["heading"] == "What happens next")
        box.locator("select").first.select_option(label="What happens next")
        box.locator(".unsupported-keep").first.click()
        part = card.locator(".doc-section").nth(target).locator("textarea")
        expect(part).to_be_focused()
        expect(part).to_have_value(re.compile(re.escape(DOG) + "$"))
        # Delete the other by keyboard alone, from the document's Save button above it.
        card_id = card.get_attribute("id")
        page.focus(f"#{card_id}-save")
        tab_to(page, f"#{card_id}-unsupported-0-delete")
        page.keyboard.press("Enter")
        expect(card.locator(".doc-unsupported")).to_have_count(0)
        card.locator("button[id$='-save']").click()
        expect(card.locator(".note-feedback")).to_contain_text("Saved")
        saved = get_document(server, meeting_id, doc["id"])
        assert saved["unsupported"] == []
        assert saved["sections"][target]["text"].endswith(DOG)
        assert BOILER not in str(saved)

        # A refused save says why and keeps the changes on the page.
        card.locator(".doc-section textarea").first.fill("Changed, then refused.")
        page.route(f"**/documents/{doc['id']}", lambda route: route.fulfill(
            status=400, json={"error": "section 1: 's_99' is not evidence of this document"}))
        card.locator("button[id$='-save']").click()
        expect(card.locator(".note-feedback")).to_contain_text(
            "Not saved: section 1: 's_99' is not evidence of this document")
        expect(card.locator(".note-unsaved")).to_have_text("Unsaved changes")
        assert problems == []


def test_busy_while_drafting_and_a_note_not_drafted_yet(server, visit, playwright):
    meeting_id, segments = visit
    held = []
    with browser_page(playwright) as (page, problems):
        # The POST is held until the test answers it: the page is seen while it waits.
        page.route(f"**/v1/meetings/{meeting_id}/documents", lambda route: held.append(route)
                   if route.request.method == "POST" else route.continue_())
        open_visit(page, server, meeting_id)
        page.click("#draft-letter")
        status = page.locator("#documents-status")
        expect(status).to_contain_text("Drafting the letter…")
        expect(page.locator("#draft-letter")).to_have_attribute("aria-disabled", "true")
        expect(page.locator("#draft-letter")).to_be_focused()
        expect(page.locator("#documents-list")).to_have_attribute("aria-busy", "true")
        # The page stays usable: the note's evidence links work meanwhile.
        page.locator(".note-item .evidence-link").first.click()
        assert highlighted(page) == [segments[0]["segment_id"]]
        # One draft at a time: said, not queued (the busy button keeps its focus, for Enter).
        page.focus("#draft-referral")
        page.keyboard.press("Enter")
        expect(status).to_contain_text("Wait for it to finish")
        expect(page.locator("#referral-dialog")).to_be_hidden()
        assert len(held) == 1 and held[0].request.post_data_json == {"kind": "letter"}

        # 409: the note is not drafted yet.
        held[0].fulfill(status=409, json={"error": "the note has not been drafted yet"})
        expect(status).to_contain_text("The case note is not drafted yet")
        expect(page.locator("#draft-letter")).not_to_have_attribute("aria-disabled", "true")
        expect(page.locator("#documents-list")).not_to_have_attribute("aria-busy", "true")
        assert problems == []

"""The case note end to end: a multi-speaker visit streamed over the socket, the note drafted
by the default drafter (the rules) at stop, served over HTTP, edited, exported, redrafted;
the bundled model drafting the same visit uploaded to a server run with `--drafter llama`;
live risk flags to the recorder and never to a viewer."""

import asyncio
import io
import json
import subprocess
import sys

import httpx
import pytest
import websockets
from docx import Document

from server.notes.schema import SECTIONS, CaseNote
from tests.conftest import ROOT, start_server, stop_server
from tests.streaming import load_pcm, start_frame

pytestmark = pytest.mark.models

VISIT = [
    ("worker", "Hello Donna, I am Sarah from children's services. I am here for the review visit."),
    ("parent", "Come in. Things have been hard since the boiler broke."),
    ("worker", "How long has it been broken?"),
    ("parent", "Since last week. We had no heating for two nights and the kids were cold."),
    ("uncle", "I lent her a heater but it costs a lot to run."),
    ("worker", "I will ask the housing team to repair the boiler by Friday."),
    ("parent", "Thank you. Jayden says he wants to stay at his school, he loves it there."),
    ("worker", "I can see the kitchen is clean and there is food in the fridge."),
    ("uncle", "I will pick Jayden up from school on Mondays and Wednesdays."),
    ("worker", "I will come back to see you all in two weeks."),
]


@pytest.fixture(scope="module")
def visit(tmp_path_factory):
    folder = tmp_path_factory.mktemp("visit")
    script = folder / "script.json"
    script.write_text(json.dumps(VISIT))
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_meeting.py"), str(folder),
                    "--script", str(script), "--name", "visit"], check=True,
                   capture_output=True)
    return load_pcm(folder / "visit.wav")


async def _viewer(url: str, frames: list, opened: asyncio.Event) -> None:
    async with websockets.connect(url) as ws:
        opened.set()
        try:
            async for message in ws:
                frames.append(json.loads(message))
        except websockets.ConnectionClosed:
            pass


@pytest.fixture(scope="module")
async def streamed(server, visit):
    """The visit streamed at the engines' pace with a viewer watching; every frame kept."""
    pcm, rate = visit
    frames, viewer_frames = [], []
    async with websockets.connect(server.ws(), max_size=None) as ws:
        await ws.send(start_frame(rate))
        started = json.loads(await ws.recv())
        opened = asyncio.Event()
        viewer = asyncio.create_task(_viewer(
            server.ws(f"/v1/meetings/{started['meeting_id']}/captions?share="
                      f"{started['share_token']}", token=""), viewer_frames, opened))
        await asyncio.wait_for(opened.wait(), 30)
        step = rate // 10 * 2
        for lo in range(0, len(pcm), step):
            await ws.send(pcm[lo:lo + step])
        await ws.send(json.dumps({"type": "stop"}))
        async with asyncio.timeout(600):
            try:
                async for message in ws:
                    frames.append(json.loads(message))
            except websockets.ConnectionClosed:
                pass
        close_code = ws.close_code
    await asyncio.wait_for(viewer, 60)
    return started, frames, viewer_frames, close_code


async def test_the_note_is_ready_over_the_socket_after_stop(streamed):
    started, frames, _, close_code = streamed
    kinds = [f["type"] for f in frames]
    assert close_code == 1000
    stopped = kinds.index("stopped")
    notes = [f for f in frames if f["type"] == "note"]
    assert [n["status"] for n in notes][0] == "drafting" and notes[-1]["status"] == "ready", notes
    assert all(n["status"] == "drafting" for n in notes[:-1])
    assert kinds.index("note") > stopped and kinds[-1] == "note"
    note = notes[-1]["note"]
    parsed = CaseNote.from_wire(note)      # the schema of PROTOCOL.md, validated
    assert parsed.meeting_id == started["meeting_id"] and note["model"] == "rules"
    finals = {f["segment_id"] for f in frames if f["type"] == "final"}
    items = [item for section in SECTIONS for item in note[section]]
    assert items, note
    assert all(item["evidence"] and set(item["evidence"]) <= finals for item in items)


async def test_the_risk_flag_reaches_the_recorder_and_never_a_viewer(streamed):
    _, frames, viewer_frames, _ = streamed
    risks = [f for f in frames if f["type"] == "risk"]
    assert [r["cue"] for r in risks] == ["no heating"], risks
    flagged = next(f for f in frames if f.get("segment_id") == risks[0]["segment_id"]
                   and f["type"] == "final")
    assert "heating" in flagged["text"].lower()
    assert frames.index(flagged) < frames.index(risks[0])
    assert any(f["type"] == "final" for f in viewer_frames)
    assert not [f for f in viewer_frames if f["type"] in ("risk", "note")]


async def test_the_note_over_http_edits_exports_and_redrafts(server, streamed):
    started, frames, _, _ = streamed
    meeting_id = started["meeting_id"]
    drafted = [f for f in frames if f["type"] == "note"][-1]["note"]
    base = f"/v1/meetings/{meeting_id}"
    async with httpx.AsyncClient(base_url=server.http, headers=server.headers,
                                 timeout=60) as http:
        got = await http.get(f"{base}/note")
        assert got.status_code == 200 and got.headers["x-casenote-note-version"] == "draft"
        assert got.json()["drafted_at"] >= drafted["drafted_at"]
        meeting = (await http.get(base)).json()
        assert meeting["risks"][0]["cue"] == "no heating"
        assert meeting["note"]["status"] in ("ready", "drafting")

        # The worker's version: one item reworded, one statement of their own added.
        edited = json.loads(json.dumps(got.json()))
        section = next(s for s in SECTIONS if edited[s])
        edited[section][0]["text"] = "Reworded by the worker: boiler repair chased."
        edited["next_steps"].append({"text": "Call the school about attendance.",
                                     "evidence": []})
        saved = await http.put(f"{base}/note", json=edited)
        assert saved.status_code == 200, saved.text
        current = await http.get(f"{base}/note")
        assert current.headers["x-casenote-note-version"] == "edited"
        assert current.json()[section][0]["text"].startswith("Reworded by the worker")
        assert current.json()["next_steps"][-1]["evidence"] == []
        draft = (await http.get(f"{base}/note", params={"version": "draft"})).json()
        assert draft[section][0]["text"] != current.json()[section][0]["text"]

        # What cannot be saved is refused with a reason, and the saved version stays.
        bad = json.loads(json.dumps(edited))
        bad[section][0]["evidence"] = ["s_9999"]
        refused = await http.put(f"{base}/note", json=bad)
        assert refused.status_code == 400 and "s_9999" in refused.json()["error"]
        missing = {k: v for k, v in edited.items() if k != "risks"}
        assert (await http.put(f"{base}/note", json=missing)).status_code == 400
        assert (await http.put(f"{base}/note", content=b"{not json")).status_code == 400
        still = (await http.get(f"{base}/note")).json()
        assert still[section][0]["text"].startswith("Reworded by the worker")

        md = await http.get(f"{base}/note.md")
        assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
        assert "Reworded by the worker" in md.text and "## Actions" in md.text
        assert "worker's statement" in md.text
        docx = await http.get(f"{base}/note.docx")
        assert docx.status_code == 200
        document = Document(io.BytesIO(docx.content))
        paragraphs = [p.text for p in document.paragraphs]
        assert "The person's views" in paragraphs and "Risks" in paragraphs
        assert any(p.startswith("Reworded by the worker") for p in paragraphs)
        draft_md = (await http.get(f"{base}/note.md", params={"version": "draft"})).text
        assert "Reworded by the worker" not in draft_md

        # Redraft after naming the speakers: the new draft lists them as attendees and
        # replaces the worker's version as the note as it stands (which stays on hand).
        await http.patch(f"{base}/speakers", json={"S1": {"name": "Sarah",
                                                          "role": "social worker"}})
        assert (await http.post(f"{base}/note:redraft")).status_code == 202
        for _ in range(600):
            status = (await http.get(base)).json()["note"]["status"]
            if status != "drafting":
                break
            await asyncio.sleep(0.5)
        assert status == "ready"
        redrafted = await http.get(f"{base}/note")
        assert redrafted.headers["x-casenote-note-version"] == "draft"
        assert {"speaker": "S1", "name": "Sarah", "role": "social worker",
                "suggested": False} in redrafted.json()["attendees"]
        kept = await http.get(f"{base}/note", params={"version": "edited"})
        assert kept.json()[section][0]["text"].startswith("Reworded by the worker")


async def test_letter_and_referral_are_drafted_from_the_note(server, streamed):
    started, frames, _, _ = streamed
    base = f"/v1/meetings/{started['meeting_id']}"
    segment_ids = {f["segment_id"] for f in frames if f["type"] == "final"}
    finals = {f["segment_id"]: f["text"] for f in frames if f["type"] == "final"}
    heating = next(sid for sid, text in finals.items() if "heating" in text.lower())
    boiler = next(sid for sid, text in finals.items() if "repair" in text.lower())
    async with httpx.AsyncClient(base_url=server.http, headers=server.headers,
                                 timeout=300) as http:
        # The documents follow the note as it stands: here a version the worker checked.
        note = (await http.get(f"{base}/note")).json()
        note["discussion"] = [{"text": "The family had no heating for two nights.",
                               "evidence": [heating]}]
        note["actions"] = [{"text": "Ask the housing team to repair the boiler.",
                            "owner": None, "due": None, "evidence": [boiler]}]
        assert (await http.put(f"{base}/note", json=note)).status_code == 200
        letter = await http.post(f"{base}/documents", json={"kind": "letter"})
        referral = await http.post(f"{base}/documents",
                                   json={"kind": "referral", "to": "housing"})
        assert letter.status_code == 201 and referral.status_code == 201, referral.text
        for doc in (letter.json(), referral.json()):
            assert doc["id"].startswith("d_") and isinstance(doc["unsupported"], list)
            assert doc["sections"] and all(
                isinstance(s["heading"], str) and s["text"].strip()
                and set(s["evidence"]) <= segment_ids for s in doc["sections"])
            cited = {sid for s in doc["sections"] for sid in s["evidence"]}
            assert heating in cited, doc
        assert referral.json()["title"] == "Referral to housing"
        assert [s["heading"] for s in referral.json()["sections"]][0] == "Reason for referral"
        doc_id = letter.json()["id"]
        listed = (await http.get(f"{base}/documents")).json()["documents"]
        assert {d["id"] for d in listed} == {doc_id, referral.json()["id"]}

        edited = letter.json()
        edited["sections"][0]["text"] = "Edited by the worker before sending."
        assert (await http.put(f"{base}/documents/{doc_id}", json=edited)).status_code == 200
        again = (await http.get(f"{base}/documents/{doc_id}")).json()
        assert again["sections"][0]["text"] == "Edited by the worker before sending."
        md = await http.get(f"{base}/documents/{doc_id}.md")
        assert "Edited by the worker before sending." in md.text
        word = Document(io.BytesIO((await http.get(f"{base}/documents/{doc_id}.docx")).content))
        assert "Edited by the worker before sending." in [p.text for p in word.paragraphs]

        assert (await http.post(f"{base}/documents",
                                json={"kind": "referral"})).status_code == 400
        assert (await http.get(f"{base}/documents/d_nothere")).status_code == 404


async def test_the_note_is_refused_to_share_links_and_gone_after_delete(server, streamed):
    started, _, _, _ = streamed
    base = f"/v1/meetings/{started['meeting_id']}"
    async with httpx.AsyncClient(base_url=server.http, timeout=60) as http:
        share = {"Authorization": f"Bearer {started['share_token']}"}
        for path in ("/note", "/note.md", "/note.docx", "/documents"):
            assert (await http.get(base + path, headers=share)).status_code == 403
            assert (await http.get(base + path)).status_code == 401
        assert (await http.post(base + "/note:redraft", headers=share)).status_code == 403
        assert (await http.delete(base, headers=server.headers)).status_code == 204
        gone = await http.get(base + "/note", headers=server.headers)
        assert gone.status_code == 404


async def test_the_bundled_model_drafts_when_asked(tmp_path, visit):
    """`--drafter llama` is real code on the real 0.5B: an uploaded visit gets a ready note
    named for the model, every item resting on the meeting's own lines."""
    import wave
    pcm, rate = visit
    path = tmp_path / "visit.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm)
    running = start_server(tmp_path / "data", "--drafter", "llama")
    try:
        async with httpx.AsyncClient(base_url=running.http, headers=running.headers,
                                     timeout=60) as http:
            health = (await http.get("/v1/health")).json()
            with open(path, "rb") as fh:
                posted = await http.post("/v1/transcriptions", files={"file": ("visit.wav", fh)})
            assert posted.status_code in (200, 201, 202), posted.text
            meeting_id = posted.json()["meeting_id"]
            async with asyncio.timeout(600):
                while (meeting := (await http.get(f"/v1/meetings/{meeting_id}")).json()
                       )["status"] != "stopped":
                    await asyncio.sleep(0.5)
            assert meeting["note"]["status"] == "ready", (meeting, health)
            note = (await http.get(f"/v1/meetings/{meeting_id}/note")).json()
    finally:
        stop_server(running)
    assert note["model"].startswith("qwen2.5-coder-0.5b"), note["model"]
    segment_ids = {s["segment_id"] for s in meeting["segments"]}
    items = [item for section in SECTIONS for item in note[section]]
    assert items and all(item["evidence"] and set(item["evidence"]) <= segment_ids
                         for item in items), note

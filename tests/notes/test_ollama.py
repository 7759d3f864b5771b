"""The ollama drafter through the official client, against a small Ollama-API server here.

No ollama server can be installed on these machines; this one speaks the routes the client
calls (/api/show, /api/chat) on a real uvicorn server on port 0, and answers only when the
request carries the draft schema as ``format``."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from server.notes import DrafterConfig, load_drafter
from server.notes.drafting import IncrementalNote, NoteOptions
from server.notes.ollama_drafter import OllamaDrafter, OllamaError
from server.notes.schema import DRAFT_SCHEMA

MODEL = "qwen2.5:7b"


def _reply(prompt: str) -> dict:
    items = []
    for line in prompt.splitlines():
        if line.startswith("[") and "boiler" in line.lower():
            number = int(line[1:line.index("]")])
            items.append({"kind": "discussion", "text": "Donna said the boiler has been "
                          "broken for three weeks and there is no heating.", "lines": [number]})
    return {"items": items}


def make_app(seen: list[dict]) -> Starlette:
    async def show(request: Request) -> JSONResponse:
        body = await request.json()
        if body.get("model") != MODEL:
            return JSONResponse({"error": f"model '{body.get('model')}' not found"}, 404)
        return JSONResponse({"modelfile": "", "parameters": "", "template": "",
                             "details": {"format": "gguf", "family": "qwen2"},
                             "model_info": {}, "capabilities": ["completion"]})

    async def chat(request: Request) -> JSONResponse:
        body = await request.json()
        seen.append(body)
        if body.get("model") != MODEL:
            return JSONResponse({"error": f"model '{body.get('model')}' not found"}, 404)
        if body.get("format") != DRAFT_SCHEMA:
            return JSONResponse({"error": "expected the draft schema as format"}, 400)
        content = json.dumps(_reply(body["messages"][-1]["content"]))
        return JSONResponse({
            "model": MODEL, "created_at": "2026-11-26T10:00:00Z",
            "message": {"role": "assistant", "content": content},
            "done": True, "done_reason": "stop", "total_duration": 1_000_000,
            "prompt_eval_count": 120, "prompt_eval_duration": 500_000,
            "eval_count": 40, "eval_duration": 400_000})

    return Starlette(routes=[Route("/api/show", show, methods=["POST"]),
                             Route("/api/chat", chat, methods=["POST"])])


@pytest.fixture(scope="module")
def fake_ollama() -> Iterator[tuple[str, list[dict]]]:
    seen: list[dict] = []
    server = uvicorn.Server(uvicorn.Config(make_app(seen), host="127.0.0.1", port=0,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", seen
    server.should_exit = True
    thread.join()


def test_drafts_through_the_client_with_the_schema_as_format(fake_ollama, meeting) -> None:
    host, seen = fake_ollama
    drafter = load_drafter(DrafterConfig(engine="ollama", model=MODEL, ollama_host=host), None)
    note = IncrementalNote(drafter, None, NoteOptions(min_chunk_words=10_000, rule_facts=False))
    note.add_segments(meeting.segments)
    result = note.finish(meeting.info)
    assert seen and seen[-1]["format"] == DRAFT_SCHEMA and seen[-1]["stream"] is False
    assert seen[-1]["options"]["temperature"] == 0
    assert result.model == f"ollama:{MODEL}"
    # the same point from three lines and two chunks, merged with its evidence united
    assert [item.evidence for item in result.discussion] == [["s_8", "s_9", "s_31"]]
    assert note.chunks[0].prompt_tokens == 120 and note.chunks[0].generated_tokens == 40


def test_host_from_the_environment(fake_ollama, monkeypatch) -> None:
    host, _ = fake_ollama
    monkeypatch.setenv("OLLAMA_HOST", host)
    assert OllamaDrafter(MODEL).host == host


def test_an_unknown_model_says_how_to_pull_it(fake_ollama) -> None:
    host, _ = fake_ollama
    with pytest.raises(OllamaError, match=r"ollama pull llama3\.1:8b"):
        OllamaDrafter("llama3.1:8b", host=host)


def test_an_unreachable_host_says_so() -> None:
    with socket.socket() as sock:             # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(OllamaError, match="cannot reach the ollama server"):
        OllamaDrafter(MODEL, host=f"http://127.0.0.1:{port}")

"""The guided writer against a scripted toy model that wants to write a known JSON."""

from __future__ import annotations

import json

import numpy as np

from server.notes.guided import DraftWriter, VocabTables

TARGET = {"items": [
    {"kind": "risk", "text": "No heating for three weeks.", "lines": [2], "severity": "high"},
    {"kind": "action", "text": "Sarah to refer to housing.", "lines": [12, 3], "owner": "Sarah",
     "due": "by Friday"},
    {"kind": "voice", "text": "Jayden wants to stay.", "lines": [4]},
    {"kind": "action", "text": "Book the GP.", "lines": [5], "owner": None, "due": None},
]}
PIECES = sorted({*json.dumps(TARGET, separators=(",", ":")), "","\",\"", "\":\"", "},{\"",
                 "]}", "}]}", "\":[", "],\"", "risk", "high", "action", "voice", "kind",
                 "text", "lines", "owner", "due", "null", " heating", "\"}"}, key=str)


class ScriptedModel:
    """Logits that favour the longest token continuing ``target`` after what was written."""

    def __init__(self, target: str) -> None:
        self.target, self.written, self.decodes = target, "", 0

    def feed(self, tokens: list[int]) -> np.ndarray:
        self.decodes += 1
        self.written += "".join(PIECES[t] for t in tokens)
        assert self.target.startswith(self.written), (self.written, self.target)
        rest = self.target[len(self.written):]
        return np.array([len(p) if p and rest.startswith(p) else -1.0 for p in PIECES],
                        dtype=np.float32)

    def tokenize(self, text: str) -> list[int]:
        tokens = []
        while text:
            best = max((i for i, p in enumerate(PIECES) if p and text.startswith(p)),
                       key=lambda i: len(PIECES[i]))
            tokens.append(best)
            text = text[len(PIECES[best]):]
        return tokens


def test_the_writer_follows_the_model_and_forces_the_rest() -> None:
    target = json.dumps(TARGET, separators=(",", ":"))
    model = ScriptedModel(target)
    tables = VocabTables.build(PIECES, [False] * len(PIECES))
    writer = DraftWriter(tables, model.feed, model.tokenize,
                         lambda toks: "".join(PIECES[t] for t in toks),
                         model.feed([]), n_lines=12, max_tokens=1000, should_stop=lambda: False)
    text, stopped = writer.write()
    assert not stopped
    assert json.loads(text) == TARGET
    # the model saw exactly the JSON it wanted (the closing "}]}" needs no decoding)
    assert model.written == target.removesuffix("}]}")
    assert writer.sampled < len(model.tokenize(target))   # structure was forced, not sampled


def test_out_of_range_lines_are_not_written_and_the_budget_stops_cleanly() -> None:
    target = json.dumps(TARGET, separators=(",", ":"))
    tables = VocabTables.build(PIECES, [False] * len(PIECES))
    model = ScriptedModel(target)
    writer = DraftWriter(tables, model.feed, model.tokenize,
                         lambda toks: "".join(PIECES[t] for t in toks), model.feed([]),
                         n_lines=12, max_tokens=40, should_stop=lambda: False)
    text, stopped = writer.write()
    assert stopped
    data = json.loads(text)
    assert data["items"] == TARGET["items"][:len(data["items"])]

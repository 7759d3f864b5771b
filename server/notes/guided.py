"""A guided decoder for ``DRAFT_SCHEMA``: the JSON structure is forced, only values are chosen.

llama.cpp's GBNF grammar sampler checks every one of Qwen's 151,936 tokens at every step; on
these 2-core machines that nearly halved generation speed, and every brace and key still
cost one decode each. Here the writer knows the shape of the draft, so:
- keys and punctuation are fed to the model as forced tokens, several per decode;
- a choice between alternatives (item or end, the kind, the severity, null or a string)
  compares the model's logits over the tokens that can begin each alternative;
- free text is greedy over tokens that can stand inside a JSON string, and ends where the
  model would close the quote;
- line numbers are digits kept within the chunk's lines.
The result is valid JSON of the draft schema by construction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from server.notes.schema import MAX_ITEMS_PER_CHUNK, PLAIN_KINDS

KINDS: tuple[str, ...] = (*PLAIN_KINDS, "risk", "action")
SEVERITIES = ("low", "medium", "high")
MAX_TEXT_TOKENS = 48     # one short sentence
MAX_SHORT_TOKENS = 10    # an owner's name, a due date's words
MAX_LINES_PER_ITEM = 4
NEG = np.float32(-1e30)
_NOT_IN_TEXT = "\\\n\r\t{}[]"  # backslashes, control characters and JSON structure


class StopDrafting(Exception):
    """The token budget or the caller's deadline ran out."""


@dataclass
class VocabTables:
    """Per-token facts the writer needs, computed once per model."""

    pieces: list[str]
    text_ok: np.ndarray          # may stand inside a JSON string value
    has_quote: np.ndarray        # contains '"': the string would end here
    digits: dict[int, str]       # tokens made only of digits
    by_first: dict[str, list[int]]  # tokens by their first character
    _prefix_cache: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def build(cls, pieces: list[str], control: Sequence[bool]) -> VocabTables:
        n = len(pieces)
        text_ok = np.zeros(n, dtype=bool)
        has_quote = np.zeros(n, dtype=bool)
        digits = {}
        by_first: dict[str, list[int]] = {}
        for i, piece in enumerate(pieces):
            if control[i] or not piece:
                continue
            by_first.setdefault(piece[0], []).append(i)
            has_quote[i] = '"' in piece
            text_ok[i] = not has_quote[i] and not any(c in piece for c in _NOT_IN_TEXT)
            if piece.isdigit() and piece.isascii():
                digits[i] = piece
        return cls(pieces, text_ok, has_quote, digits, by_first)

    def starting(self, text: str) -> np.ndarray:
        """Ids of tokens whose text is a prefix of ``text``."""
        if text not in self._prefix_cache:
            self._prefix_cache[text] = np.array(
                [i for i in self.by_first.get(text[:1], []) if text.startswith(self.pieces[i])],
                dtype=np.int64)
        return self._prefix_cache[text]


Feed = Callable[[list[int]], np.ndarray]       # decode tokens, return the last logits
Tokenize = Callable[[str], list[int]]
Detokenize = Callable[[list[int]], str]


class DraftWriter:
    """Writes one chunk's ``{"items": [...]}``; ``write`` returns (JSON text, stopped early).

    Decisions are made over whole option strings (``_choose``), so that the model's own
    tokens mark the boundaries: after ``"lines":[1`` it picks ``]`` and then ``},{"``
    (another item) or ``}]}`` (the end), as in its own tokenisation of the example."""

    def __init__(self, tables: VocabTables, feed: Feed, tokenize: Tokenize,
                 detokenize: Detokenize, logits: np.ndarray, n_lines: int, max_tokens: int,
                 should_stop: Callable[[], bool], max_items: int = MAX_ITEMS_PER_CHUNK) -> None:
        self.t = tables
        self._feed, self._tokenize, self._detokenize = feed, tokenize, detokenize
        self._logits = logits
        self._pending: list[int] = []
        self._pending_text = ""
        self.n_lines = n_lines
        self.max_items = max_items
        self.budget = max_tokens
        self.should_stop = should_stop
        self.sampled = 0
        self.items: list[dict[str, Any]] = []

    def write(self) -> tuple[str, bool]:
        stopped = False
        try:
            self._force('{"items":[')
            more = self._choose({"more": '{"kind":"', "end": "]}"}) == "more"
            while more and len(self.items) < self.max_items:
                item, more = self._item()
                if any(item["text"] == kept["text"] for kept in self.items):
                    break                     # a small model repeating itself is done
                self.items.append(item)
        except StopDrafting:
            stopped = True
        return json.dumps({"items": self.items}), stopped

    def _closers(self, head: str) -> dict[str, str]:
        """How an item ends after ``head``: another item follows, or the list ends."""
        closers = {"end": head + "}]}"}
        if len(self.items) + 1 < self.max_items:
            closers["more"] = head + '},{"kind":"'
        return closers

    def _item(self) -> tuple[dict[str, Any], bool]:
        kind = self._choose({k: f'{k}","text":"' for k in KINDS})
        item: dict[str, Any] = {"kind": kind, "text": self._string(MAX_TEXT_TOKENS)}
        self._force('","lines":[')
        if kind == "risk":
            item["lines"] = self._numbers('],"severity":"')
            options = {f"{s} {name}": f'{s}"{text}' for s in SEVERITIES
                       for name, text in self._closers("").items()}
            item["severity"], ending = self._choose(options).split()
        elif kind == "action":
            item["lines"] = self._numbers('],"owner":')
            item["owner"] = self._owner()
            item["due"], ending = self._due()
        else:
            item["lines"] = self._numbers("]")
            ending = self._choose(self._closers(""))
        return item, ending == "more"

    def _owner(self) -> str | None:
        if self._choose({"null": 'null,"due":', "string": '"'}) == "null":
            return None
        value = self._string(MAX_SHORT_TOKENS)
        self._force('","due":')
        return value or None

    def _due(self) -> tuple[str | None, str]:
        options = {f"null {name}": "null" + text for name, text in self._closers("").items()}
        choice = self._choose({**options, "string": '"'})
        if choice != "string":
            return None, choice.split()[1]
        value = self._string(MAX_SHORT_TOKENS)
        return value or None, self._choose(self._closers('"'))

    # --- primitives ----------------------------------------------------------------------
    def _force(self, text: str) -> None:
        self._pending_text += text

    def _take(self, token: int) -> None:
        if self._pending_text:
            self._pending.extend(self._tokenize(self._pending_text))
            self._pending_text = ""
        self._pending.append(token)
        self.sampled += 1

    def _flush(self) -> np.ndarray:
        if self.should_stop():
            raise StopDrafting
        if self._pending_text:
            self._pending.extend(self._tokenize(self._pending_text))
            self._pending_text = ""
        if self._pending:
            if len(self._pending) > self.budget:
                raise StopDrafting
            self.budget -= len(self._pending)
            tokens, self._pending = self._pending, []
            self._logits = self._feed(tokens)
        return self._logits

    def _choose(self, options: dict[str, str]) -> str:
        """The option the model prefers, written with the model's own first tokens.

        Tokens that begin some option's remaining text compete; the best is taken and the
        options it does not begin drop out; once one is left its rest is forced."""
        remaining = dict(options)
        while len(remaining) > 1:
            logits = self._flush()
            best_token, best_score = -1, float(NEG)
            for text in remaining.values():
                ids = self.t.starting(text)
                if len(ids):
                    j = int(np.argmax(logits[ids]))
                    if logits[ids[j]] > best_score:
                        best_token, best_score = int(ids[j]), float(logits[ids[j]])
            if best_token < 0:
                raise StopDrafting
            piece = self.t.pieces[best_token]
            self._take(best_token)
            remaining = {name: text[len(piece):] for name, text in remaining.items()
                         if text.startswith(piece)}
            finished = [name for name, text in remaining.items() if not text]
            if finished:
                return finished[0]
        (name, text), = remaining.items()
        self._force(text)
        return name

    def _string(self, max_tokens: int) -> str:
        """Free text up to where the model closes the string (the quote is not taken)."""
        tokens: list[int] = []
        for _ in range(max_tokens):
            logits = self._flush()
            masked = np.where(self.t.text_ok | self.t.has_quote, logits, NEG)
            token = int(np.argmax(masked))
            if self.t.has_quote[token]:
                head = self.t.pieces[token].split('"', 1)[0]
                if head and not any(c in head for c in _NOT_IN_TEXT):
                    self._force(head)
                    tokens.extend(self._tokenize(head))
                break
            tokens.append(token)
            self._take(token)
        return " ".join(self._detokenize(tokens).split())

    def _numbers(self, closing: str) -> list[int]:
        """Up to ``MAX_LINES_PER_ITEM`` line numbers; ``closing`` is written after them."""
        numbers = [self._number(closing, 1)]
        while len(numbers) < MAX_LINES_PER_ITEM:
            if self._choose({"another": ",", "close": closing}) == "close":
                return numbers
            value = self._number(closing, 1)
            if value not in numbers:
                numbers.append(value)
        self._force(closing)
        return numbers

    def _number(self, closing: str, minimum: int) -> int:
        digits = ""
        while True:
            logits = self._flush()
            allowed = [(tid, d) for tid, d in self.t.digits.items()
                       if self._may_grow(digits + d, minimum)]
            if not allowed:
                break
            tid, d = max(allowed, key=lambda td: logits[td[0]])
            if digits and int(digits) >= minimum:
                stops = [self.t.starting(text) for text in (",", closing)]
                stop = max((float(logits[ids].max()) for ids in stops if len(ids)),
                           default=float(NEG))
                if stop > logits[tid]:
                    break
            digits += d
            self._take(tid)
        return int(digits) if digits else minimum

    def _may_grow(self, digits: str, minimum: int) -> bool:
        """``digits`` is, or can still grow into, a line number in [minimum, n_lines]."""
        if digits[0] == "0" or int(digits) > self.n_lines:
            return False
        return int(digits) >= minimum or int(digits + "0") <= self.n_lines

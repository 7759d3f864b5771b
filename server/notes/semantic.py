"""Risks said in words no lexicon lists, found by meaning: a sentence is compared with a bank
of spoken risk disclosures and of lines that use the same words without one.

The lexicons of ``risks.py`` and ``facts.py`` are precise but know only the phrasings someone
thought of; on meetings nobody tuned them for they found 1 risk in 8. So each sentence the
rules leave without an item is also embedded (the MiniLM the evidence checker already loads)
and scored: the mean cosine similarity of its ``NEIGHBOURS`` nearest risk examples, less that
of its nearest not-risk examples (``data/risk_examples.json``: plans, screening questions,
resolved problems and ordinary life that share the risk words). Above ``RISK_MARGIN`` it is
a risk item, quoted and cited like every other, so the worker sees exactly what was said.
Deterministic: the same sentences give the same scores.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from server.notes.evidence import Embedder

DATA = Path(__file__).with_name("data")
EXAMPLES = DATA / "risk_examples.json"
NEIGHBOURS = 5
RISK_MARGIN = 0.08   # docs/benchmarks.md: recall and false items by margin


class BankScorer:
    """``scores(sentences)``: how much nearer each is to the bank's ``kind`` examples than
    to its ``not_<kind>`` ones (lines that share their words without being one)."""

    def __init__(self, embedder: Embedder, examples: Path = EXAMPLES, kind: str = "risk") -> None:
        bank = json.loads(examples.read_text(encoding="utf-8"))
        self._embedder = embedder
        self._texts = ([e["text"] for e in bank[kind]], [e["text"] for e in bank[f"not_{kind}"]])
        self._banks: tuple[np.ndarray, np.ndarray] | None = None
        self._lock = threading.Lock()

    def _bank(self) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:   # embedded once, on first use (the note engine's load makes it)
            if self._banks is None:
                kind, other = self._texts
                self._banks = (self._embedder.encode(kind), self._embedder.encode(other))
            return self._banks

    def scores(self, sentences: Sequence[str]) -> list[float]:
        if not sentences:
            return []
        kind, other = self._bank()
        vectors = self._embedder.encode(list(sentences))
        return [float(a - b) for a, b in zip(_nearest(vectors @ kind.T),
                                             _nearest(vectors @ other.T), strict=True)]


RiskScorer = BankScorer   # the risk bank is the default


def _nearest(similarity: np.ndarray) -> np.ndarray:
    k = min(NEIGHBOURS, similarity.shape[1])
    return np.sort(similarity, axis=1)[:, -k:].mean(axis=1)


@functools.cache
def scorer_for(embedder: Embedder) -> BankScorer:
    """One risk scorer per embedder, so the examples are embedded once per process."""
    return BankScorer(embedder)


@functools.cache
def observation_scorer(embedder: Embedder) -> BankScorer:
    """What a worker says they see (``data/observation_examples.json``)."""
    return BankScorer(embedder, DATA / "observation_examples.json", "observation")


@functools.cache
def purpose_scorer(embedder: Embedder) -> BankScorer:
    """Why the meeting is held, as a worker says it (``data/purpose_examples.json``)."""
    return BankScorer(embedder, DATA / "purpose_examples.json", "purpose")

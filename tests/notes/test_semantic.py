"""Risks and purposes found by meaning: the scorer's arithmetic with a fake embedder, where
the rules use it, and the real all-MiniLM-L6-v2 on lines no lexicon lists (from its package,
offline)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

from server.notes.evidence import load_minilm
from server.notes.facts import PURPOSE_MARGIN, find_facts, known_people
from server.notes.schema import Segment
from server.notes.semantic import DATA, EXAMPLES, RISK_MARGIN, BankScorer, RiskScorer

WEDNESDAY = dt.date(2026, 11, 25)


class Keywords:
    """A fake embedder: one axis per keyword, so nearness is shared words."""

    AXES = ("limp", "scared", "kettle", "form", "tea")

    def encode(self, texts):
        rows = [[float(word in t.lower()) for word in self.AXES] + [0.1] for t in texts]
        vectors = np.asarray(rows, dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture()
def bank(tmp_path: Path) -> Path:
    path = tmp_path / "bank.json"
    path.write_text(json.dumps({
        "risk": [{"text": "He came back with a limp", "category": "x"},
                 {"text": "I'm scared when he comes home", "category": "x"}],
        "not_risk": [{"text": "The kettle's on", "topic": "x"},
                     {"text": "Fill in the form and have some tea", "topic": "x"}]}))
    return path


def test_a_line_nearer_the_risk_examples_scores_above_an_everyday_one(bank) -> None:
    scorer = RiskScorer(Keywords(), bank)
    risky, everyday = scorer.scores(["She has a limp today", "The kettle's just boiled"])
    assert risky > RISK_MARGIN > everyday
    assert scorer.scores([]) == []


def lines(*said: tuple[str, str]) -> list[Segment]:
    return [Segment(f"s_{i + 1}", who, 2.0 * i, 2.0 * i + 1.5, text)
            for i, (who, text) in enumerate(said)]


def test_the_rules_add_a_risk_by_meaning_only_where_no_rule_took_the_line(bank) -> None:
    segs = lines(("S1", "Hi, I'm Euan, your social worker."),
                 ("S2", "He's had a limp since Sunday and won't say why."),
                 ("S2", "Is that limp from football, do you think?"),     # a question
                 ("S1", "I'll ask the GP to look at that limp."),   # a plan
                 ("S2", "Mind his limp when you lift him, love."),   # telling
                 ("S2", "The kettle's on if anybody wants a brew."))
    people = known_people(segs, {})
    plain = find_facts(segs, people, WEDNESDAY)
    assert not any(i.section == "risks" for i in plain.items)
    scored = find_facts(segs, people, WEDNESDAY, RiskScorer(Keywords(), bank).scores)
    risks = [i for i in scored.items if i.section == "risks"]
    assert [(r.evidence, r.severity) for r in risks] == [(("s_2",), "medium")]
    assert risks[0].text == 'S2 said: "He\'s had a limp since Sunday and won\'t say why."'
    # the rest of the note is the rules' own, in transcript order
    assert [i for i in scored.items if i.section != "risks"] == list(plain.items)


def test_tea_and_introductions_are_never_risks_by_meaning() -> None:
    segs = lines(("S1", "Hi, I'm Idris, an independent domestic violence adviser."),
                 ("S2", "Kettle's just boiled, so it's no trouble at all."),
                 ("S1", "While the kettle's on, just to explain how this works."),
                 ("S2", "She left the kettle on the hob and it boiled dry twice."))
    everything = find_facts(segs, known_people(segs, {}), WEDNESDAY,
                            lambda texts: [1.0] * len(texts))
    assert [r.evidence for r in everything.items if r.section == "risks"] == [("s_4",)]


def test_the_bundled_examples_are_balanced_and_distinct() -> None:
    bank = json.loads(EXAMPLES.read_text(encoding="utf-8"))
    risk, everyday = ([e["text"] for e in bank[k]] for k in ("risk", "not_risk"))
    assert len(risk) >= 200 and len(everyday) >= 200
    assert len(set(risk) | set(everyday)) == len(risk) + len(everyday)
    bank = json.loads((DATA / "purpose_examples.json").read_text(encoding="utf-8"))
    purpose, other = ([e["text"] for e in bank[k]] for k in ("purpose", "not_purpose"))
    assert len(purpose) >= 120 and len(other) >= 120
    assert len(set(purpose) | set(other)) == len(purpose) + len(other)


@pytest.fixture(scope="module")
def minilm(notes_store):
    return RiskScorer(load_minilm(notes_store))


# Written for this test, in none of the examples and matching no lexicon.
SAID_RISKS = [
    "Some mornings I just lie there and think, what's it all for.",
    "He put the baby down on the sofa and went to the pub.",
    "She's had three falls this month and she won't wear the pendant.",
]
SAID_EVERYDAY = [
    "We've got the school play on Thursday, he's a shepherd.",
    "The bus into town goes every twenty minutes from the end of the road.",
    "I'd like to do a bit more cooking when the kitchen's finished.",
]


def test_minilm_tells_risks_said_plainly_from_everyday_talk(minilm) -> None:
    risky = minilm.scores(SAID_RISKS)
    everyday = minilm.scores(SAID_EVERYDAY)
    assert min(risky) > max(everyday)
    assert all(s < RISK_MARGIN for s in everyday)
    assert sum(s >= RISK_MARGIN for s in risky) >= 2
    assert minilm.scores(SAID_RISKS) == risky   # the same lines, the same scores


def test_the_purpose_by_meaning_is_the_nearest_early_statement_and_is_said_once(tmp_path) -> None:
    path = tmp_path / "purpose.json"
    path.write_text(json.dumps({"purpose": [{"text": "We look at the form today"}],
                                "not_purpose": [{"text": "The kettle's on"}]}))
    segs = lines(("S1", "The kettle's on if anybody wants a brew, it's cold out."),
                 ("S1", "So we go through the form together, point by point."),
                 ("S2", "Go on then, I've got the form in the drawer somewhere."),
                 ("S1", "Thanks, the kettle's boiled now."),
                 ("S2", "Great, tea for me."))
    people = known_people(segs, {})
    scorer = BankScorer(Keywords(), path, "purpose")
    found = find_facts(segs, people, WEDNESDAY, purpose_scores=scorer.scores)
    purposes = [i for i in found.items if i.section == "purpose"]
    assert [(p.evidence, p.text) for p in purposes] == [
        (("s_2",), 'S1 said: "We go through the form together, point by point."')]
    nothing_near = BankScorer(Keywords(), path, "purpose").scores(["The kettle's on"])
    assert nothing_near[0] < PURPOSE_MARGIN


SAID_PURPOSES = ["Right, so today's really about how you're getting on since you moved in.",
                 "The reason we're all here is the letter from the school about his attendance."]
SAID_NOT_PURPOSES = ["I'll ring you on Monday once I've spoken to the landlord.",
                     "Mum's been doing the school run since September."]


def test_minilm_tells_a_stated_purpose_from_a_plan_or_a_report(notes_store) -> None:
    scorer = BankScorer(load_minilm(notes_store), DATA / "purpose_examples.json", "purpose")
    purposes, others = scorer.scores(SAID_PURPOSES), scorer.scores(SAID_NOT_PURPOSES)
    assert min(purposes) > max(others) and max(others) < PURPOSE_MARGIN

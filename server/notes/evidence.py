"""Every item must rest on the segments it cites, or it moves to ``unsupported``.

Three checks, cheapest first:
1. the cited ids exist (unknown ones are dropped; none left: unsupported);
2. what must not be invented appears in the cited segments: numbers (digits or words),
   and proper nouns (names, places, services, weekdays, months) other than the meeting's
   own people, whom pronouns in the transcript refer to;
3. the item means what the cited segments say: the cosine of all-MiniLM-L6-v2 sentence
   embeddings (item against each cited segment and against all of them together), with a
   lower bar where most of the item's content words are in the cited text.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from server.notes.assemble import content_words
from server.notes.prompt import DraftItem
from server.notes.risks import find_cue
from server.notes.schema import Person, Segment

MINILM_MODEL = "all-minilm-l6-v2"
MIN_COSINE = 0.5            # supported on meaning alone
MIN_COSINE_WITH_WORDS = 0.3  # supported when most content words are also in the cited text
MIN_WORD_SHARE = 0.5
ALIGN_MIN_COSINE = 0.3      # a segment found by alignment must at least be this close
MAX_ALIGNED = 3             # segments alignment may cite for one item
SPEAKER_BONUS = 0.15        # alignment's preference for the lines of the person quoted
_EMBED_CACHE_SIZE = 4096
INVENTED = "not in the cited segments"  # why an item naming what its lines lack is rejected

_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty".split())}
_NUMBER_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "hundred": 100,
                      "once": 1, "twice": 2, "first": 1, "second": 2,
                      "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
                      "eighth": 8, "ninth": 9, "tenth": 10})
_SAID = ("said|says|reported|reports|explained|explains|shared|stated|states|"
         "described|describes|disclosed|discloses|mentioned|added|confirmed|agreed|asked")
_REPORTED = ("feels|felt|wants|wanted|wishes|would like|is|was|has|had|will|would|to|"
             "needs|can|cannot|can't")
_ATTRIBUTION = re.compile(rf"^\s*(?P<who>[A-Z][\w'-]*)\s+(?:(?P<told>(?:told|tells|asked|asks)\s+"
                          rf"(?:me|us|her|him|them|[A-Z][a-z]+))|(?P<said>{_SAID})|{_REPORTED})"
                          rf"\b(?:\s+that\b)?\s*")
_COMMON_CAPITALISED = frozenset("""i a an the he she they it his her their this that these those
we you our your my mr mrs ms miss dr mum dad mother father son daughter child children young
person worker social there here when where what who how if as at in on of for to and but or
so then also both all no not yes ok okay""".split())


class Embedder(Protocol):
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised sentence embeddings, one row per text."""


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from a verified local folder (the ``all-minilm-l6-v2`` manifest entry).

    Built module by module (transformer, mean pooling, normalisation) so that the folder needs
    no sentence-transformers metadata and nothing is looked up on a hub."""

    def __init__(self, folder: Path, device: str = "cpu") -> None:
        from sentence_transformers import SentenceTransformer
        from sentence_transformers.sentence_transformer.modules import (Normalize, Pooling,
                                                                        Transformer)

        local = {"local_files_only": True}
        word = Transformer(str(folder), max_seq_length=256, model_kwargs=local,
                           processor_kwargs=local, config_kwargs=local)
        pooling = Pooling(word.get_embedding_dimension(), pooling_mode="mean")
        self._model = SentenceTransformer(modules=[word, pooling, Normalize()], device=device)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
            if missing:
                vectors = self._model.encode(missing, convert_to_numpy=True,
                                             normalize_embeddings=True, show_progress_bar=False)
                for text, vector in zip(missing, vectors, strict=True):
                    self._cache[text] = vector.astype(np.float32)
            for text in texts:
                self._cache.move_to_end(text)
            while len(self._cache) > _EMBED_CACHE_SIZE:
                self._cache.popitem(last=False)
            return np.stack([self._cache[t] for t in texts])


def load_minilm(store: Any) -> MiniLMEmbedder:
    """The embedder from the model store (assembled and SHA-256-verified on first use)."""
    return MiniLMEmbedder(store.path(MINILM_MODEL))


class EvidenceChecker:
    def __init__(self, embedder: Embedder | None) -> None:
        self.embedder = embedder

    def check(self, item: DraftItem, segments: Mapping[str, Segment],
              speakers: Mapping[str, Person]) -> tuple[DraftItem, str | None]:
        """The item with unknown ids dropped, and why it is unsupported (None: supported)."""
        evidence = tuple(sid for sid in dict.fromkeys(item.evidence) if sid in segments)
        item = replace(item, evidence=evidence)
        if not evidence:
            return item, "cites no transcript segment"
        cited = [segments[sid] for sid in evidence]
        support = " ".join(_line(seg, speakers) for seg in cited)
        missing = missing_facts(item.text, support, speakers)
        cue = find_cue(item.text)
        if cue is not None and find_cue(support) is None:
            missing.append(f"the safeguarding cue '{cue[0]}'")
        if missing:
            return item, f"{INVENTED}: {', '.join(missing)}"
        speaker = said_by(item.text, speakers)
        if speaker is not None and speaker not in {seg.speaker for seg in cited}:
            person = speakers.get(speaker)
            who = person.name if person and person.name else speaker
            return item, f"{who} does not say this in the cited segments"
        if self.embedder is not None and not self._means_the_same(item.text, cited):
            return item, "the cited segments do not say this"
        return item, None

    def align(self, item: DraftItem, candidates: Sequence[Segment],
              speakers: Mapping[str, Person]) -> DraftItem:
        """Evidence re-anchored on the chunk's segments that say what the item says.

        Small models write a sound sentence but cite the wrong line numbers. The cited
        segments are kept where they are close in meaning; otherwise the closest segment of
        the chunk is cited, and more are added (up to ``MAX_ALIGNED``) while names, numbers
        or dates of the item are still missing from the citation. ``check`` then judges the
        result as it would any citation."""
        if self.embedder is None or not candidates:
            return item
        lines = [_line(seg, speakers) for seg in candidates]
        vectors = self.embedder.encode([claim(item.text), *(seg.text for seg in candidates)])
        cosine = vectors[1:] @ vectors[0]
        speaker = said_by(item.text, speakers)
        if speaker is not None:     # "Donna said ...": Donna's own lines come first
            cosine = cosine + SPEAKER_BONUS * np.array([seg.speaker == speaker
                                                        for seg in candidates])
        ids = [seg.segment_id for seg in candidates]
        chosen = [i for i, sid in enumerate(ids) if sid in item.evidence
                  and cosine[i] >= MIN_COSINE_WITH_WORDS]
        if not chosen:
            best = int(np.argmax(cosine))
            if cosine[best] < ALIGN_MIN_COSINE:
                return item
            chosen = [best]
        while len(chosen) < MAX_ALIGNED:
            missing = missing_facts(item.text, " ".join(lines[i] for i in chosen), speakers)
            helpful = [i for i in range(len(ids)) if i not in chosen and cosine[i] >= ALIGN_MIN_COSINE
                       and len(missing_facts(item.text, " ".join(lines[j] for j in [*chosen, i]),
                                             speakers)) < len(missing)]
            if not missing or not helpful:
                break
            chosen.append(max(helpful, key=lambda i: cosine[i]))
        return replace(item, evidence=tuple(ids[i] for i in sorted(chosen)))

    def similarity(self, a: str, b: str) -> float:
        if self.embedder is None:
            return 0.0
        va, vb = self.embedder.encode([a, b])
        return float(va @ vb)

    def _means_the_same(self, text: str, cited: list[Segment]) -> bool:
        assert self.embedder is not None
        lines = [seg.text for seg in cited]
        candidates = lines + ([" ".join(lines)] if len(lines) > 1 else [])
        vectors = self.embedder.encode([claim(text), *candidates])
        cosine = float(np.max(vectors[1:] @ vectors[0]))
        if cosine >= MIN_COSINE:
            return True
        return (cosine >= MIN_COSINE_WITH_WORDS
                and word_share(claim(text), " ".join(lines)) >= MIN_WORD_SHARE)


_SPEAKER_LABEL = re.compile(r"\bS[1-9][0-9]{0,2}\b")


def _line(seg: Segment, speakers: Mapping[str, Person]) -> str:
    person = speakers.get(seg.speaker)
    who = f"{person.name} ({person.role})" if person and person.name else seg.speaker
    return f"{who}: {seg.text}"


def claim(text: str) -> str:
    """The item without its attribution: "Donna said that the boiler is broken" -> "the
    boiler is broken". Names in front would make every line of that speaker look alike."""
    match = _ATTRIBUTION.match(text)
    return text[match.end():] if match and match.end() < len(text) else text


def said_by(text: str, speakers: Mapping[str, Person]) -> str | None:
    """The speaker label of the person an item says said something, if it says so."""
    match = _ATTRIBUTION.match(text)
    if match is None or not (match["said"] or match["told"]):
        return None
    who = match["who"].lower()
    if _SPEAKER_LABEL.fullmatch(match["who"]):
        return match["who"].upper()  # an unnamed speaker, by label
    return next((label for label, person in speakers.items()
                 if person.name and person.name.lower() == who), None)


def word_share(text: str, support: str) -> float:
    words = content_words(text)
    if not words:
        return 0.0
    return len(words & content_words(support)) / len(words)


def numbers_in(text: str) -> set[float]:
    text = _SPEAKER_LABEL.sub(" ", text)  # "S2 said" names a speaker, not the number 2
    found: set[float] = {float(n) for n in re.findall(r"\d+(?:\.\d+)?", text)}
    found.update(float(_NUMBER_WORDS[w]) for w in re.findall(r"[a-z]+", text.lower())
                 if w in _NUMBER_WORDS)
    return found


def proper_nouns(text: str) -> list[str]:
    """Capitalised words not at a sentence start (acronyms anywhere), possessives stripped."""
    nouns = []
    for sentence in re.split(r"(?<=[.!?])\s+|:\s+", text):
        for i, match in enumerate(re.finditer(r"[A-Za-z][A-Za-z'-]*", sentence)):
            word = re.sub(r"'s$|s'$", "", match.group())
            if not word[:1].isupper() or word.lower() in _COMMON_CAPITALISED:
                continue
            if i == 0 and not word.isupper():
                continue
            nouns.append(word)
    return nouns


def missing_facts(text: str, support: str, speakers: Mapping[str, Person]) -> list[str]:
    """Numbers and proper nouns of ``text`` that ``support`` does not contain."""
    missing = [f"number {n:g}" for n in sorted(numbers_in(text) - numbers_in(support))]
    people = {p.name.lower() for p in speakers.values() if p.name}
    support_lower = support.lower()
    for noun in dict.fromkeys(proper_nouns(text)):
        key = noun.lower()
        if key in people or re.search(rf"\b{re.escape(key)}", support_lower):
            continue
        missing.append(noun)
    return missing

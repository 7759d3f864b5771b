"""Where a sentence ends in recognised text, for cutting finals in talk without pauses.

A full stop ends a sentence only when it is not part of a title ("Mr. Patel"), an initial
("J. Smith", "U.K."), a number ("3.5", "No. 4") or an abbreviation followed by more of the
same sentence ("etc. and"); "?" and "!" always do.
"""

from __future__ import annotations

import re

# Titles and the like: always followed by a name, never the end of a sentence.
TITLES = frozenset({"mr", "mrs", "ms", "mx", "miss", "dr", "st", "prof", "rev", "fr", "sr",
                    "sgt", "capt", "col", "gen", "lt", "hon", "cllr", "insp", "supt", "pc"})
# Abbreviations that end a sentence only when no number follows ("No. 4", "p. 12").
BEFORE_NUMBERS = frozenset({"no", "nos", "tel", "ext", "p", "pp", "vol", "fig", "ch", "sec",
                            "para", "art", "approx", "ca"})
_INITIALS = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]?\.?")  # "J.", "U.K.", "e.g."
_QUOTES = "\"'“”‘’«»()[]"


def ends_sentence(word: str, next_word: str | None = None) -> bool:
    """Whether ``word`` (as recognised, punctuation attached) ends a sentence, given the
    word after it, if any."""
    token = word.strip().strip(_QUOTES)
    if token.endswith(("?", "!")):
        return True
    if not token.endswith(".") or token.endswith(".."):
        return False  # no stop, or an ellipsis: the speaker trails on
    core = token.rstrip(".").lower()
    nxt = (next_word or "").strip().lstrip(_QUOTES)
    if core in TITLES or _INITIALS.fullmatch(token):
        return False
    if nxt[:1].isdigit() and (core in BEFORE_NUMBERS or core[-1:].isdigit()):
        return False
    if nxt[:1].islower():
        return False  # "etc. and so on": the sentence goes on
    return bool(core)


def sentence_inside(text: str) -> bool:
    """A sentence ends somewhere before the last word (so a cut there keeps words after)."""
    words = text.split()
    return any(ends_sentence(w, words[i + 1]) for i, w in enumerate(words[:-1]))


def split_sentences(text: str) -> list[str]:
    """``text`` cut at its sentence ends (titles, initials and numbers kept whole)."""
    words = text.split()
    sentences, start = [], 0
    for i, word in enumerate(words):
        following = words[i + 1] if i + 1 < len(words) else None
        if following is None or ends_sentence(word, following):
            sentences.append(" ".join(words[start:i + 1]))
            start = i + 1
    return sentences

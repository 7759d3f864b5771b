"""Sentence ends in recognised text, and finals cut at them in talk without pauses.

The streaming policy is driven here with a scripted decoder and a VAD that hears speech
throughout, so a cut can only come from a sentence end (or the length limit).
"""

from __future__ import annotations

import numpy as np
import pytest

from server.engines.base import SAMPLE_RATE_HZ, Word
from server.engines.sentences import ends_sentence, sentence_inside
from server.engines.utterance import UtteranceStream, UtterancePolicy, UtteranceTranscriber
from server.engines.vad import WINDOW_SAMPLES
from server.engines.whisper import Decoded


@pytest.mark.parametrize("word, following", [
    ("Mr.", "Patel"), ("Dr.", "Okafor"), ("Mrs.", "Jones"), ("St.", "Mary's"),
    ("Prof.", "Lee"), ("J.", "Smith"), ("U.K.", "Then"), ("e.g.", "school"),
    ("No.", "4"), ("3.", "5"), ("etc.", "and"), ("so...", "Then"), ("well", "Then"),
    ("£1,240.50", "a"), ("3.5", "percent"),
])
def test_not_a_sentence_end(word, following):
    assert not ends_sentence(word, following)


@pytest.mark.parametrize("word, following", [
    ("today.", "Then"), ("school?", "Yes"), ("now!", "OK"), ("No.", "I"),
    ("etc.", "Then"), ("£1,240.50.", "We"), ("2024.", "We"), ("done.", None),
    ('"fine."', "Then"),
])
def test_a_sentence_end(word, following):
    assert ends_sentence(word, following)


def test_sentence_inside_ignores_abbreviations_and_the_last_word():
    assert not sentence_inside("Mr. Patel and Dr. Jones met at St. Mary's")
    assert not sentence_inside("It rose by 3.5 percent to £1,240.50.")
    assert sentence_inside("Mr. Patel came. Then we")


SCRIPT = ("Mr. Patel and Dr. Jones came to St. Mary's this morning. The rent is £1,240.50 a "
          "month, up 3.5 percent since May. J. R. Smith from housing signed it. Mrs. Okafor "
          "said No. 4 is empty now. We left at noon.").split()
WORD_S = 0.3  # each scripted word lasts this long, back to back: no pause anywhere


class ScriptedDecoder:
    """Decodes audio as the scripted words whose middle falls inside it."""

    english_only = True
    model_path = "scripted"

    def decode(self, audio, offset_s, *, language, word_timestamps, beam_size=1,
               prompt=None):
        end_s = offset_s + audio.size / SAMPLE_RATE_HZ
        words = tuple(Word(w, round(i * WORD_S, 3), round((i + 1) * WORD_S, 3))
                      for i, w in enumerate(SCRIPT)
                      if offset_s <= (i + 0.5) * WORD_S < end_s)
        return Decoded(" ".join(w.text for w in words), words if word_timestamps else (),
                       "en", 1.0)


class AlwaysSpeech:
    def stream(self):
        return self

    def process(self, audio):
        return np.full(audio.size // WINDOW_SAMPLES, 0.9, dtype=np.float32)


def stream_script(frame_s=0.1):
    engine = UtteranceTranscriber(ScriptedDecoder(), ScriptedDecoder(), AlwaysSpeech(),
                                  UtterancePolicy(max_utterance_s=30.0))
    stream: UtteranceStream = engine.open_stream("en")
    total = int(len(SCRIPT) * WORD_S * SAMPLE_RATE_HZ)
    step = int(frame_s * SAMPLE_RATE_HZ)
    finals = []
    for lo in range(0, total, step):
        stream.accept(np.zeros(min(step, total - lo), dtype=np.float32))
        finals += stream.step().finals
    finals += stream.finish().finals
    return finals


def test_talk_without_pauses_is_cut_only_at_sentence_ends():
    finals = stream_script()
    texts = [f.text for f in finals]
    assert len(finals) >= 3, texts  # the sentence splits did happen
    for final in finals[:-1]:
        words = final.text.split()
        assert words[-1].endswith((".", "?", "!")), texts
        assert words[-1] not in ("Mr.", "Dr.", "St.", "J.", "R.", "Mrs.", "No."), texts
    assert texts[0].startswith("Mr. Patel and Dr. Jones came to St. Mary's")


def test_each_word_is_committed_once_and_finals_never_overlap():
    finals = stream_script()
    committed = [w.text for f in finals for w in f.words]
    assert committed == SCRIPT
    spans = [(f.start_s, f.end_s) for f in finals]
    for (_, end), (start, _) in zip(spans, spans[1:]):
        assert start >= end - 1e-6, spans

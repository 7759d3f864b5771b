"""One faster-whisper model, decoding short clips into timed words."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from server.engines.base import SAMPLE_RATE_HZ, Word

# Whisper's own fallback thresholds, used here to drop a segment rather than re-decode it:
# re-decoding at higher temperatures costs seconds that live captions cannot spare.
NO_SPEECH_PROB = 0.6
LOGPROB_FLOOR = -1.0
COMPRESSION_RATIO_CEILING = 2.4


@dataclass(frozen=True)
class Decoded:
    text: str
    words: tuple[Word, ...]
    language: str | None
    language_probability: float


class WhisperDecoder:
    """Shared across meetings; calls are serialised, since a CTranslate2 model on two cores
    gains nothing from running two decodes at once."""

    def __init__(self, model_path: str, cpu_threads: int = 2, compute_type: str = "int8",
                 device: str = "auto") -> None:
        from faster_whisper import WhisperModel

        self.model_path = model_path
        self._model = WhisperModel(model_path, device=device, compute_type=compute_type,
                                   cpu_threads=cpu_threads)
        self.english_only = not self._model.model.is_multilingual
        self._lock = threading.Lock()

    def decode(self, audio: np.ndarray, offset_s: float, *, language: str | None,
               word_timestamps: bool, beam_size: int = 1, prompt: str | None = None) -> Decoded:
        """Decode ``audio`` (16 kHz float32) that starts at meeting time ``offset_s``."""
        if self.english_only:
            language = "en"
        with self._lock:
            segments, info = self._model.transcribe(
                audio, language=language, beam_size=beam_size, temperature=0.0,
                word_timestamps=word_timestamps, without_timestamps=not word_timestamps,
                condition_on_previous_text=False, initial_prompt=prompt or None,
                vad_filter=False, suppress_blank=True)
            kept = [seg for seg in segments if not _hallucinated(seg)]
        words: list[Word] = []
        if word_timestamps:
            for seg in kept:
                for w in seg.words or ():
                    words.append(Word(w.word.strip(), round(offset_s + w.start, 3),
                                      round(offset_s + w.end, 3), round(w.probability, 3)))
            words = [w for w in words if w.text]
        text = " ".join(seg.text.strip() for seg in kept).strip()
        return Decoded(text, tuple(words), info.language, float(info.language_probability))



def _hallucinated(segment: object) -> bool:
    no_speech = getattr(segment, "no_speech_prob", 0.0)
    logprob = getattr(segment, "avg_logprob", 0.0)
    if no_speech > NO_SPEECH_PROB and logprob < LOGPROB_FLOOR:
        return True
    return getattr(segment, "compression_ratio", 0.0) > COMPRESSION_RATIO_CEILING


def clip(audio: np.ndarray, buffer_start_s: float, start_s: float, end_s: float) -> np.ndarray:
    """The part of ``audio`` (which begins at ``buffer_start_s``) between two meeting times."""
    lo = max(0, int(round((start_s - buffer_start_s) * SAMPLE_RATE_HZ)))
    hi = max(lo, int(round((end_s - buffer_start_s) * SAMPLE_RATE_HZ)))
    return audio[lo:hi]

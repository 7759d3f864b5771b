"""whisperlivekit's LocalAgreement policy on its faster-whisper backend, as a library.

The model is loaded once (whisperlivekit's ``FasterWhisperASR``); each meeting gets its own
``OnlineASRProcessor``. Committed words are held until a sentence ends (or a pause / length
limit), then sent as one final; the rest shows as the partial.
"""

from __future__ import annotations

import threading

import numpy as np

from server.engines.base import SAMPLE_RATE_HZ, Hypothesis, ModelInfo, StreamUpdate, Word
from server.engines.sentences import ends_sentence

MIN_CHUNK_S = 1.0  # whisperlivekit's default min_chunk_size
BUFFER_TRIMMING_S = 15.0
MAX_FINAL_WORDS = 40


class WhisperLiveKitTranscriber:
    name = "whisperlivekit"

    def __init__(self, model_dir: str, language: str | None) -> None:
        from whisperlivekit.local_agreement.backends import FasterWhisperASR

        asr = FasterWhisperASR(language or "auto", model_dir=model_dir)
        # Attributes whisperlivekit's backend_factory sets after construction.
        asr.confidence_validation = False
        asr.tokenizer = None
        asr.buffer_trimming = "segment"
        asr.buffer_trimming_sec = BUFFER_TRIMMING_S
        self._asr = asr
        self._model_dir = model_dir
        self.lock = threading.Lock()

    def open_stream(self, language: str | None, start_s: float = 0.0,
                    partials: bool = True) -> "WhisperLiveKitStream":
        return WhisperLiveKitStream(self, start_s)

    def models(self) -> list[ModelInfo]:
        return [ModelInfo("finals", self._model_dir, {"policy": "localagreement"})]


class WhisperLiveKitStream:
    def __init__(self, engine: WhisperLiveKitTranscriber, start_s: float) -> None:
        from whisperlivekit.local_agreement.online_asr import OnlineASRProcessor

        self._engine = engine
        self._proc = OnlineASRProcessor(engine._asr)
        self._start_s = start_s
        self._unprocessed_s = 0.0
        self._received_s = start_s
        self._held: list[Word] = []

    def accept(self, audio: np.ndarray) -> None:
        if audio.size:
            self._proc.insert_audio_chunk(audio.astype(np.float32, copy=False))
            self._unprocessed_s += audio.size / SAMPLE_RATE_HZ
            self._received_s += audio.size / SAMPLE_RATE_HZ

    def step(self) -> StreamUpdate:
        if self._unprocessed_s < MIN_CHUNK_S:
            return StreamUpdate(processed_s=self._received_s - self._unprocessed_s)
        with self._engine.lock:
            tokens, _ = self._proc.process_iter()
        self._unprocessed_s = 0.0
        self._held.extend(self._words(tokens))
        finals = self._release(final=False)
        buffer = self._words(self._proc.transcript_buffer.buffer)
        return StreamUpdate(finals, self._partial(self._held + buffer), self._received_s)

    def finish(self) -> StreamUpdate:
        with self._engine.lock:
            if self._unprocessed_s > 0:
                tokens, _ = self._proc.process_iter()
                self._held.extend(self._words(tokens))
            rest, _ = self._proc.finish()
        self._held.extend(self._words(rest))
        self._unprocessed_s = 0.0
        return StreamUpdate(self._release(final=True), Hypothesis("", self._received_s,
                                                                   self._received_s),
                            self._received_s)

    def _words(self, tokens: list) -> list[Word]:
        return [Word(t.text.strip(), round(self._start_s + t.start, 3),
                     round(self._start_s + t.end, 3), t.probability)
                for t in tokens if t.text and t.text.strip()]

    def _release(self, final: bool) -> tuple[Hypothesis, ...]:
        out: list[Hypothesis] = []
        cut = 0
        for i, word in enumerate(self._held):
            following = self._held[i + 1].text if i + 1 < len(self._held) else None
            if ends_sentence(word.text, following) or i - cut + 1 >= MAX_FINAL_WORDS:
                out.append(_join(self._held[cut: i + 1]))
                cut = i + 1
        if final and cut < len(self._held):
            out.append(_join(self._held[cut:]))
            cut = len(self._held)
        self._held = self._held[cut:]
        return tuple(out)

    @staticmethod
    def _partial(words: list[Word]) -> Hypothesis:
        return _join(words) if words else Hypothesis("", 0.0, 0.0)


def _join(words: list[Word]) -> Hypothesis:
    return Hypothesis(" ".join(w.text for w in words), words[0].start_s, words[-1].end_s,
                      tuple(words))

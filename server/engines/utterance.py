"""casenote's own streaming policy: VAD-cut utterances with short re-decodes.

Whisper costs a full encoder pass per call whatever the clip length, so re-decoding a
sliding 30 s window (LocalAgreement) cannot keep up on two cores. Here Silero VAD cuts the
stream into utterances; while one is open, a fast model re-decodes it every
``partial_every_s`` for provisional text, and when the speaker pauses the main model decodes
the utterance once, with word timings, into a final. An utterance that runs past
``max_utterance_s`` is committed up to its widest pause between words.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from server.engines.base import SAMPLE_RATE_HZ, Hypothesis, ModelInfo, StreamUpdate, Word
from server.engines.sentences import ends_sentence, sentence_inside
from server.engines.vad import WINDOW_S, SileroVadModel, VadStream
from server.engines.whisper import WhisperDecoder, clip

PROMPT_CHARS = 120  # of committed text given to the next final decode, for continuity


@dataclass(frozen=True)
class UtterancePolicy:
    onset: float = 0.5  # speech probability that opens an utterance
    offset: float = 0.35  # below this a window counts as silence
    min_silence_s: float = 0.5  # pause that ends a short utterance
    # The pause needed shrinks as an utterance grows, so that people who never stop
    # for half a second still get finals at their shorter breaths.
    shrink_after_s: float = 2.0
    shrink_per_s: float = 0.1
    floor_silence_s: float = 0.09
    pad_s: float = 0.2  # audio kept either side of an utterance when decoding
    first_partial_after_s: float = 0.3
    partial_every_s: float = 0.6
    max_utterance_s: float = 8.0
    keep_tail_s: float = 1.0  # not committed when an over-long utterance is split
    sentence_split_after_s: float = 2.0
    catch_up_s: float = 1.5  # more new audio than this in one step: no partial
    final_beam_size: int = 5
    use_prompt: bool = False  # measured: worse WER (0.172 -> 0.356 on sample.wav)


class UtteranceTranscriber:
    name = "utterance"

    def __init__(self, final_model: WhisperDecoder, partial_model: WhisperDecoder | None,
                 vad: SileroVadModel, policy: UtterancePolicy | None = None) -> None:
        self.final_model = final_model
        self.partial_model = partial_model
        self.vad = vad
        self.policy = policy or UtterancePolicy()

    def open_stream(self, language: str | None, start_s: float = 0.0,
                    partials: bool = True) -> "UtteranceStream":
        return UtteranceStream(self, language, start_s, partials)

    def models(self) -> list[ModelInfo]:
        infos = [ModelInfo("finals", self.final_model.model_path)]
        if self.partial_model is not None:
            infos.append(ModelInfo("partials", self.partial_model.model_path))
        return infos


class UtteranceStream:
    def __init__(self, engine: UtteranceTranscriber, language: str | None, start_s: float,
                 partials: bool) -> None:
        self.engine = engine
        self._partials = partials
        self.policy = engine.policy
        self.language = language
        self._vad: VadStream = engine.vad.stream()
        self._buffer = np.zeros(0, dtype=np.float32)
        self._buffer_start_s = start_s
        self._vad_time_s = start_s  # meeting time up to which VAD windows were scored
        self._new: list[np.ndarray] = []
        self._speech_start_s: float | None = None
        self._last_speech_end_s = start_s
        self._silence_s = 0.0
        self._ended: list[tuple[float, float]] = []
        self._last_partial_s = -1.0
        self._partial_cost_s = 0.0
        self._partial_shown = False
        self._partial_text = ""
        self._committed_text = ""
        # End of the last committed final: later decodes start no earlier, so a word is
        # never committed twice and one stream's finals never overlap in time.
        self._committed_s = start_s

    # -- audio in -------------------------------------------------------------------------

    def accept(self, audio: np.ndarray) -> None:
        if audio.size:
            self._new.append(audio.astype(np.float32, copy=False))

    @property
    def _end_s(self) -> float:
        return self._buffer_start_s + self._buffer.size / SAMPLE_RATE_HZ

    def _take_new(self) -> float:
        """Score the audio accepted since the last step; returns its length in seconds."""
        if not self._new:
            return 0.0
        audio = np.concatenate(self._new)
        self._new = []
        self._buffer = np.concatenate([self._buffer, audio])
        for prob in self._vad.process(audio):
            self._score_window(float(prob))
        return audio.size / SAMPLE_RATE_HZ

    def _score_window(self, prob: float) -> None:
        window_start = self._vad_time_s
        self._vad_time_s += WINDOW_S
        p = self.policy
        if self._speech_start_s is None:
            if prob >= p.onset:
                self._speech_start_s = window_start
                self._last_speech_end_s = self._vad_time_s
                self._silence_s = 0.0
            return
        if prob >= p.offset:
            self._last_speech_end_s = self._vad_time_s
            self._silence_s = 0.0
            return
        self._silence_s += WINDOW_S
        if self._silence_s >= self._needed_silence_s(window_start):
            self._ended.append((self._speech_start_s, self._last_speech_end_s))
            self._speech_start_s = None

    def _needed_silence_s(self, now_s: float) -> float:
        p = self.policy
        spoken = now_s - (self._speech_start_s or now_s)
        shrink = max(0.0, spoken - p.shrink_after_s) * p.shrink_per_s
        return max(p.floor_silence_s, p.min_silence_s - shrink)

    # -- recognition ----------------------------------------------------------------------

    def step(self) -> StreamUpdate:
        # Much new audio at once means recognition fell behind: skip the partial, since
        # finals are what catch up, and a stale partial helps nobody.
        catching_up = self._take_new() > self.policy.catch_up_s
        finals = [h for start, end in self._drain_ended() for h in self._final(start, end)]
        finals.extend(self._split_if_too_long())
        partial = self._maybe_partial() if self._partials and not catching_up else None
        self._trim()
        return StreamUpdate(tuple(finals), partial, self._end_s)

    def finish(self) -> StreamUpdate:
        self._take_new()
        if self._speech_start_s is not None:
            self._ended.append((self._speech_start_s, max(self._last_speech_end_s, self._end_s)))
            self._speech_start_s = None
        finals = [h for start, end in self._drain_ended() for h in self._final(start, end)]
        partial = Hypothesis("", self._end_s, self._end_s) if self._partial_shown else None
        self._partial_shown = False
        self._trim()
        return StreamUpdate(tuple(finals), partial, self._end_s)

    def _drain_ended(self) -> list[tuple[float, float]]:
        ended, self._ended = self._ended, []
        return ended

    def _final(self, start_s: float, end_s: float) -> list[Hypothesis]:
        p = self.policy
        lo = self._decode_from(start_s)
        audio = clip(self._buffer, self._buffer_start_s, lo, end_s + p.pad_s)
        if audio.size < SAMPLE_RATE_HZ * 0.1:
            return []
        decoded = self.engine.final_model.decode(
            audio, lo, language=self.language, word_timestamps=True,
            beam_size=p.final_beam_size, prompt=self._prompt())
        if self.language is None and decoded.language and decoded.language_probability > 0.8:
            self.language = decoded.language  # fix it once known: detection costs each call
        self._last_partial_s = -1.0
        if not decoded.text:
            return []  # a partial shown for it is withdrawn by the next step
        if self._speech_start_s is None:
            self._partial_shown = False  # the final replaces it
        return [self._hypothesis(decoded.text, decoded.words, start_s, end_s)]

    def _decode_from(self, start_s: float) -> float:
        """Where a decode of speech from ``start_s`` begins: ``pad_s`` earlier, but never
        inside audio already committed, nor before the buffer."""
        return max(self._buffer_start_s, start_s - self.policy.pad_s, self._committed_s)

    def _prompt(self) -> str | None:
        return self._committed_text[-PROMPT_CHARS:] if self.policy.use_prompt else None

    def _hypothesis(self, text: str, words: tuple[Word, ...], start_s: float,
                    end_s: float) -> Hypothesis:
        self._committed_text = (self._committed_text + " " + text).strip()[-4 * PROMPT_CHARS:]
        if words:
            start_s, end_s = min(start_s, words[0].start_s), max(end_s, words[-1].end_s)
        start_s = max(start_s, self._committed_s)
        end_s = max(end_s, start_s)
        self._committed_s = end_s
        return Hypothesis(text, round(start_s, 3), round(end_s, 3), words)

    def _split_due(self) -> bool:
        """Past the length limit, or past ``sentence_split_after_s`` with the latest partial
        showing a finished sentence followed by more speech (talk without pauses)."""
        p = self.policy
        if self._speech_start_s is None:
            return False
        spoken = self._end_s - self._speech_start_s
        if spoken >= p.max_utterance_s:
            return True
        return spoken >= p.sentence_split_after_s and sentence_inside(self._partial_text)

    def _split_if_too_long(self) -> list[Hypothesis]:
        p = self.policy
        start = self._speech_start_s
        if start is None or not self._split_due():
            return []
        lo = self._decode_from(start)
        decoded = self.engine.final_model.decode(
            clip(self._buffer, self._buffer_start_s, lo, self._end_s), lo,
            language=self.language, word_timestamps=True, beam_size=p.final_beam_size,
            prompt=self._prompt())
        words = decoded.words
        limit = self._end_s - p.keep_tail_s
        candidates = [i for i in range(len(words) - 1) if words[i].end_s <= limit]
        if not candidates:
            # Nothing recognisable for a long while: drop the audio rather than hold it.
            self._speech_start_s = limit
            return []
        sentence_ends = [i for i in candidates if ends_sentence(words[i].text, words[i + 1].text)]
        if sentence_ends:
            cut = sentence_ends[-1]
        elif self._end_s - start >= p.max_utterance_s:
            cut = max(candidates, key=lambda i: (words[i + 1].start_s - words[i].end_s, i))
        else:
            self._partial_text = ""  # the partial misled us: wait for the next one
            return []
        kept = words[: cut + 1]
        self._speech_start_s = words[cut + 1].start_s
        self._last_partial_s = -1.0
        self._partial_text = ""
        text = " ".join(w.text for w in kept)
        return [self._hypothesis(text, kept, start, kept[-1].end_s)]

    def _maybe_partial(self) -> Hypothesis | None:
        p = self.policy
        start = self._speech_start_s
        if start is None:
            if self._partial_shown:
                self._partial_shown = False
                return Hypothesis("", self._end_s, self._end_s)
            return None
        spoken = self._end_s - start
        since = self._end_s - self._last_partial_s
        interval = max(p.partial_every_s, 1.5 * self._partial_cost_s)
        if spoken < p.first_partial_after_s or since < interval:
            return None
        model = self._partial_decoder()
        lo = max(self._buffer_start_s, start - p.pad_s)
        began = time.perf_counter()
        decoded = model.decode(clip(self._buffer, self._buffer_start_s, lo, self._end_s), lo,
                               language=self.language, word_timestamps=False)
        self._partial_cost_s = time.perf_counter() - began
        self._last_partial_s = self._end_s
        self._partial_text = decoded.text
        if not decoded.text:
            return None
        self._partial_shown = True
        return Hypothesis(decoded.text, round(start, 3), round(self._end_s, 3))

    def _partial_decoder(self) -> WhisperDecoder:
        fast = self.engine.partial_model
        if fast is not None and (not fast.english_only or self.language == "en"):
            return fast
        return self.engine.final_model

    def _trim(self) -> None:
        """Keep audio only from the open utterance (or the last ``pad_s``) on."""
        keep_from = self._end_s - self.policy.pad_s
        if self._speech_start_s is not None:
            keep_from = min(keep_from, self._speech_start_s - self.policy.pad_s)
        for start, _ in self._ended:
            keep_from = min(keep_from, start - self.policy.pad_s)
        drop = int((keep_from - self._buffer_start_s) * SAMPLE_RATE_HZ)
        if drop > 0:
            self._buffer = self._buffer[drop:]
            self._buffer_start_s += drop / SAMPLE_RATE_HZ

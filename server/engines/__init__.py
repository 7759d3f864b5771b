"""Engines behind small protocols, picked by name and imported lazily.

A heavy optional dependency costs nothing until its engine is chosen.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from server.engines.base import Transcriber
from server.modelstore import ModelStore, resolve_whisper_model
from server.settings import Settings


def _utterance(settings: Settings, store: ModelStore) -> Transcriber:
    from server.engines.utterance import UtteranceTranscriber
    from server.engines.vad import SileroVadModel
    from server.engines.whisper import WhisperDecoder

    final = WhisperDecoder(resolve_whisper_model(settings.asr_model, store, settings.allow_hub),
                           cpu_threads=settings.asr_threads)
    partial = None
    if settings.partial_model:
        partial = WhisperDecoder(
            resolve_whisper_model(settings.partial_model, store, settings.allow_hub),
            cpu_threads=settings.asr_threads)
    vad = SileroVadModel(store.file("silero-vad", "silero_vad_v6.onnx"))
    return UtteranceTranscriber(final, partial, vad)


def _whisperlivekit(settings: Settings, store: ModelStore) -> Transcriber:
    from server.engines.whisperlive import WhisperLiveKitTranscriber

    return WhisperLiveKitTranscriber(
        resolve_whisper_model(settings.asr_model, store, settings.allow_hub), settings.language)


TRANSCRIBERS: dict[str, Callable[[Settings, ModelStore], Transcriber]] = {
    "utterance": _utterance,
    "whisperlivekit": _whisperlivekit,
}


def load_transcriber(settings: Settings, store: ModelStore) -> Transcriber:
    try:
        factory = TRANSCRIBERS[settings.transcriber]
    except KeyError:
        raise ValueError(f"unknown transcriber {settings.transcriber!r}; "
                         f"choose one of {', '.join(TRANSCRIBERS)}") from None
    return factory(settings, store)


class _LiveAndRefine:
    """Live labels from one diariser, the end-of-meeting pass from another."""

    def __init__(self, live: Any, refiner: Any) -> None:
        self.name = f"{live.name}+{refiner.name}"
        self._live = live
        self._refiner = refiner

    def open_stream(self) -> Any:
        return self._live.open_stream()

    def refine(self, audio: Any) -> Any:
        return self._refiner.refine(audio)

    def models(self) -> list[Any]:
        return self._live.models() + self._refiner.models()


def load_diariser(settings: Settings, store: ModelStore) -> Any:
    """None when speaker labels are off; raises ModelError when weights are missing."""
    if settings.diariser == "none":
        return None
    if settings.diariser not in ("campplus", "pyannote"):
        raise ValueError(f"unknown diariser {settings.diariser!r}; "
                         "choose campplus, pyannote or none")
    from server.engines.diarise import Diariser, PyannotePipelineDiariser

    live = Diariser.from_store(store)
    if settings.diariser == "campplus":
        return live
    refiner = PyannotePipelineDiariser(settings.diariser_model,
                                       token=os.environ.get("HF_TOKEN"),
                                       allow_hub=settings.allow_hub)
    return _LiveAndRefine(live, refiner)

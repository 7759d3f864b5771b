"""Engines behind small protocols, picked by name and imported lazily.

A heavy optional dependency costs nothing until its engine is chosen.
"""

from __future__ import annotations

from collections.abc import Callable

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

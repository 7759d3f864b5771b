"""PCM frames in the client's format -> 16 kHz mono float32 for the engines."""

from __future__ import annotations

import numpy as np
import soxr

from server.engines.base import SAMPLE_RATE_HZ

_DTYPES = {"pcm_s16le": np.dtype("<i2"), "pcm_f32le": np.dtype("<f4")}
_S16_SCALE = 32768.0


def decode_pcm(data: bytes, encoding: str) -> np.ndarray:
    """Raw little-endian PCM -> float32 in [-1, 1]. The byte count must be whole samples."""
    dtype = _DTYPES[encoding]
    if len(data) % dtype.itemsize:
        raise ValueError(f"{len(data)} bytes is not a whole number of {encoding} samples")
    samples = np.frombuffer(data, dtype=dtype)
    if encoding == "pcm_s16le":
        return samples.astype(np.float32) / _S16_SCALE
    # Non-finite floats would poison every later computation: treat them as silence.
    out = np.nan_to_num(samples.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    return np.clip(out, -1.0, 1.0)


def encode_s16(audio: np.ndarray) -> bytes:
    return (np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


class StreamResampler:
    """Streaming resampler to 16 kHz that keeps filter state across frames.

    soxr removes its own filter delay, so output sample ``k`` is at ``k / 16000`` s of
    input time; ``flush`` returns the tail held back for the filter.
    """

    def __init__(self, in_rate_hz: int) -> None:
        self.in_rate_hz = in_rate_hz
        self._stream = (None if in_rate_hz == SAMPLE_RATE_HZ else
                        soxr.ResampleStream(in_rate_hz, SAMPLE_RATE_HZ, 1, dtype="float32",
                                            quality="HQ"))

    def process(self, audio: np.ndarray) -> np.ndarray:
        if self._stream is None:
            return audio
        return self._stream.resample_chunk(audio, last=False)

    def flush(self) -> np.ndarray:
        if self._stream is None:
            return np.zeros(0, dtype=np.float32)
        return self._stream.resample_chunk(np.zeros(0, dtype=np.float32), last=True)


def read_audio_file(path: str, target_rate_hz: int = SAMPLE_RATE_HZ) -> np.ndarray:
    """Decode any file PyAV/ffmpeg can read into mono float32 at ``target_rate_hz``."""
    import av  # PyAV ships its own ffmpeg libraries: no shell-out, no system ffmpeg.

    chunks: list[np.ndarray] = []
    with av.open(path) as container:
        if not container.streams.audio:
            raise ValueError("the file holds no audio stream")
        resampler = av.AudioResampler(format="flt", layout="mono", rate=target_rate_hz)
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
    if not chunks:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(chunks).astype(np.float32, copy=False)

"""Streaming Silero VAD (v6 ONNX): speech probability per 32 ms window, state kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np

WINDOW_SAMPLES = 512  # 32 ms at 16 kHz, the model's frame
CONTEXT_SAMPLES = 64  # the model sees the last 64 samples of the previous window
WINDOW_S = WINDOW_SAMPLES / 16000


class SileroVadModel:
    """The ONNX session, loaded once and shared; per-stream state lives in ``VadStream``."""

    def __init__(self, path: Path) -> None:
        import onnxruntime

        opts = onnxruntime.SessionOptions()
        opts.inter_op_num_threads = 1
        opts.intra_op_num_threads = 1
        opts.log_severity_level = 4
        self._session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"],
                                                     sess_options=opts)

    def run(self, windows: np.ndarray, h: np.ndarray, c: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        out, h, c = self._session.run(None, {"input": windows, "h": h, "c": c})
        return np.asarray(out, dtype=np.float32).reshape(-1), h, c

    def stream(self) -> "VadStream":
        return VadStream(self)


class VadStream:
    """Feeds arbitrary-length audio; returns one probability per completed window."""

    def __init__(self, model: SileroVadModel) -> None:
        self._model = model
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT_SAMPLES, dtype=np.float32)
        self._rest = np.zeros(0, dtype=np.float32)

    def process(self, audio: np.ndarray) -> np.ndarray:
        audio = np.concatenate([self._rest, audio]) if self._rest.size else audio
        n = audio.size // WINDOW_SAMPLES
        self._rest = audio[n * WINDOW_SAMPLES:].copy()
        if n == 0:
            return np.zeros(0, dtype=np.float32)
        windows = audio[: n * WINDOW_SAMPLES].reshape(n, WINDOW_SAMPLES)
        contexts = np.empty((n, CONTEXT_SAMPLES), dtype=np.float32)
        contexts[0] = self._context
        contexts[1:] = windows[:-1, -CONTEXT_SAMPLES:]
        self._context = windows[-1, -CONTEXT_SAMPLES:].copy()
        batch = np.concatenate([contexts, windows], axis=1).astype(np.float32, copy=False)
        probs, self._h, self._c = self._model.run(batch, self._h, self._c)
        return probs

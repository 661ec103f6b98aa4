"""Voice-activity detection: the Silero VAD v6 model bundled with faster-whisper, streaming."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime
from numpy.typing import NDArray

SAMPLE_RATE = 16000
WINDOW = 512  # samples per VAD decision (32 ms at 16 kHz)
_CONTEXT = 64


def _model_path() -> Path:
    from faster_whisper.utils import get_assets_path

    return Path(get_assets_path()) / "silero_vad_v6.onnx"


class SileroVad:
    """One loaded Silero model, shared by every stream of a process (it keeps no state)."""

    def __init__(self, path: Path | None = None) -> None:
        options = onnxruntime.SessionOptions()
        options.inter_op_num_threads = 1
        options.intra_op_num_threads = 1
        options.enable_cpu_mem_arena = False
        options.log_severity_level = 4
        self._session = onnxruntime.InferenceSession(
            str(path or _model_path()), providers=["CPUExecutionProvider"], sess_options=options
        )

    def stream(self) -> VadStream:
        """A fresh detector for one audio stream."""
        return VadStream(self._session)


class VadStream:
    """Speech probabilities for consecutive 32 ms windows of one 16 kHz stream."""

    def __init__(self, session: onnxruntime.InferenceSession) -> None:
        self._session = session
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(_CONTEXT, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)

    def feed(self, pcm: NDArray[np.float32]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """Add audio; returns the complete windows consumed and one probability per window."""
        audio = np.concatenate([self._pending, pcm]) if self._pending.size else pcm
        count = audio.size // WINDOW
        self._pending = audio[count * WINDOW :].copy()
        if count == 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.float32)
        windows = audio[: count * WINDOW].reshape(count, WINDOW).astype(np.float32, copy=False)
        contexts = np.empty((count, _CONTEXT), dtype=np.float32)
        contexts[0] = self._context
        contexts[1:] = windows[:-1, -_CONTEXT:]
        self._context = windows[-1, -_CONTEXT:].copy()
        batch = np.concatenate([contexts, windows], axis=1)
        output, self._h, self._c = self._session.run(
            None, {"input": batch, "h": self._h, "c": self._c}
        )
        return windows.reshape(-1), np.asarray(output, dtype=np.float32).reshape(-1)

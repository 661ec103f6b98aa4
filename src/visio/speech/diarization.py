"""Who spoke when on one microphone that several people share (a meeting room's device).

Visio knows the speaker of every other stream for certain (it is the stream's owner); this module
is only for the rest: one track, several voices. It finds speech with Silero VAD (the model
faster-whisper bundles), embeds overlapping 1.6 s windows of speech with Resemblyzer's voice
encoder, clusters the embeddings (agglomerative, cosine distance, average linkage) and labels
every 10 ms of speech with the cluster of the windows that cover it.

**The encoder's weights come from PyPI** and nothing is downloaded: ``Resemblyzer`` 0.1.4 ships
``pretrained.pt`` (17 MB, a 3-layer LSTM over 40 mel bands, 256-d embeddings) in its wheel.
Resemblyzer itself needs PyTorch (several GB on PyPI's default index, which has no CPU-only
build), so ``scripts/setup`` installs it with ``--no-deps`` and this module runs the network in
NumPy: the checkpoint (PyTorch's legacy format: a few pickles, then the raw storages) is read
with an unpickler that accepts only the four names such a checkpoint uses, after its SHA-256 is
checked. The mel spectrogram is computed as Resemblyzer's ``librosa`` call does (power STFT,
25 ms Hann window, 10 ms hop, Slaney mel filters).

The number of speakers is found by the clustering (a cosine-distance threshold) unless the
caller knows it. Overlapping speech gets one label (the louder voice usually wins).
"""

from __future__ import annotations

import hashlib
import pickle
import struct
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Final

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from visio.speech.vad import SileroVad

RATE: Final = 16000
HOP: Final = 160  # 10 ms: one mel frame, and the unit of the labelling
N_FFT: Final = 400  # 25 ms
MELS: Final = 40
WINDOW_FRAMES: Final = 160  # 1.6 s: the length Resemblyzer's encoder was trained on
STEP_FRAMES: Final = 40  # a window every 0.4 s
MIN_WINDOW_FRAMES: Final = 50  # speech shorter than 0.5 s is labelled from its neighbours

ENCODER_DISTRIBUTION: Final = "Resemblyzer"
ENCODER_VERSION: Final = "0.1.4"
ENCODER_FILE: Final = "resemblyzer/pretrained.pt"
ENCODER_SHA256: Final = "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e"

DISTANCE_THRESHOLD: Final = 0.30
"""Cosine distance (1 - similarity) above which two clusters are different people. Chosen on the
development set of ``bench/diarization.py`` (real telephone prompts in four languages), never on
the test meetings."""
MIN_CLUSTER_SHARE: Final = 0.05
"""A cluster of fewer windows than this share is merged into the nearest other (same set)."""


class DiarizationError(Exception):
    """Diarization cannot run; the message says why and what to do."""


@dataclass(frozen=True)
class Turn:
    """A stretch of speech by one voice: seconds from the start of the audio, and a speaker
    number (0, 1, …, numbered in order of first appearance)."""

    start: float
    end: float
    speaker: int


# --- the encoder's weights --------------------------------------------------------------------


class _Tensor:
    """A tensor named in the checkpoint's pickle, filled once the storages that follow it are
    read."""

    def __init__(self, storage: tuple[Any, ...], offset: int, size: tuple[int, ...], *_: Any):
        self.key = str(storage[2])
        self.offset = offset
        self.size = size


_ELEMENT: Final[dict[str, str]] = {
    "FloatStorage": "<f4",
    "DoubleStorage": "<f8",
    "LongStorage": "<i8",
    "IntStorage": "<i4",
}


class _CheckpointReader(pickle.Unpickler):
    """An unpickler for a legacy PyTorch checkpoint that builds nothing but ordered dicts,
    numbers and tensor placeholders: any other global is refused, so the file runs no code."""

    def __init__(self, file: BinaryIO) -> None:
        super().__init__(file)
        self.storages: dict[str, np.dtype[Any]] = {}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _Tensor
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        if module == "torch" and name in _ELEMENT:
            return name
        raise pickle.UnpicklingError(f"the checkpoint names {module}.{name}, which is refused")

    def persistent_load(self, pid: Any) -> Any:
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError("unexpected persistent id in the checkpoint")
        self.storages[str(pid[2])] = np.dtype(_ELEMENT[str(pid[1])])
        return pid


def _read_checkpoint(path: Path) -> dict[str, NDArray[np.float32]]:
    """The ``model_state`` tensors of a legacy-format PyTorch checkpoint, as float32 arrays."""
    with path.open("rb") as file:
        for _ in range(3):  # magic number, protocol version, system info
            pickle.load(file)  # noqa: S301 — plain values; the file's hash was checked
        reader = _CheckpointReader(file)
        checkpoint = reader.load()
        keys = pickle.load(file)  # noqa: S301
        data: dict[str, NDArray[Any]] = {}
        for key in keys:
            (count,) = struct.unpack("<q", file.read(8))
            dtype = reader.storages[str(key)]
            data[str(key)] = np.frombuffer(file.read(count * dtype.itemsize), dtype=dtype)
    state: dict[str, NDArray[np.float32]] = {}
    for name, tensor in checkpoint["model_state"].items():
        count = int(np.prod(tensor.size))
        flat = data[tensor.key][tensor.offset : tensor.offset + count]
        state[name] = flat.reshape(tensor.size).astype(np.float32)
    return state


def encoder_path() -> Path:
    """Where the installed Resemblyzer wheel keeps its encoder's weights (its module is never
    imported: it needs PyTorch)."""
    try:
        distribution = metadata.distribution(ENCODER_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        raise DiarizationError(
            f"the voice encoder's weights are not installed: run ./scripts/setup, or "
            f"pip install --no-deps {ENCODER_DISTRIBUTION}=={ENCODER_VERSION}"
        ) from None
    return Path(str(distribution.locate_file(ENCODER_FILE)))


class VoiceEncoder:
    """Resemblyzer's speaker encoder (LSTM 40→256 x3, linear 256→256, ReLU, L2 norm) in NumPy."""

    def __init__(self, path: Path | None = None) -> None:
        path = path or encoder_path()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != ENCODER_SHA256:
            raise DiarizationError(
                f"{path} has SHA-256 {digest}, not {ENCODER_SHA256}: reinstall "
                f"{ENCODER_DISTRIBUTION}=={ENCODER_VERSION} (./scripts/setup)"
            )
        state = _read_checkpoint(path)
        self._layers = [
            (
                state[f"lstm.weight_ih_l{n}"].T.copy(),
                state[f"lstm.weight_hh_l{n}"].T.copy(),
                state[f"lstm.bias_ih_l{n}"] + state[f"lstm.bias_hh_l{n}"],
            )
            for n in range(3)
        ]
        self._linear = (state["linear.weight"].T.copy(), state["linear.bias"])
        self._mel = _mel_filters()
        self._window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)

    def mel(self, audio: NDArray[np.float32]) -> NDArray[np.float32]:
        """Mel power spectrogram, one row per 10 ms (centred frames, as librosa does)."""
        padded = np.pad(audio, N_FFT // 2)
        count = 1 + (padded.size - N_FFT) // HOP
        frames = np.lib.stride_tricks.as_strided(
            padded, (count, N_FFT), (padded.strides[0] * HOP, padded.strides[0])
        )
        power = np.abs(np.fft.rfft(frames * self._window, axis=1)) ** 2
        return (power @ self._mel.T).astype(np.float32)

    def embed(self, windows: Sequence[NDArray[np.float32]]) -> NDArray[np.float32]:
        """One unit-length embedding per mel window (frames x 40); windows may differ in length."""
        if not windows:
            return np.zeros((0, 256), dtype=np.float32)
        lengths = np.array([w.shape[0] for w in windows])
        steps = int(lengths.max())
        batch = np.zeros((len(windows), steps, MELS), dtype=np.float32)
        for index, window in enumerate(windows):
            batch[index, : window.shape[0]] = window
        layer_input = batch
        for w_ih, w_hh, bias in self._layers:
            hidden = np.zeros((len(windows), w_hh.shape[0]), dtype=np.float32)
            cell = np.zeros_like(hidden)
            projected = layer_input @ w_ih + bias  # every step's input at once
            outputs = np.empty((len(windows), steps, hidden.shape[1]), dtype=np.float32)
            for t in range(steps):
                gates = projected[:, t] + hidden @ w_hh
                i, f, g, o = np.split(gates, 4, axis=1)
                cell = _sigmoid(f) * cell + _sigmoid(i) * np.tanh(g)
                hidden = _sigmoid(o) * np.tanh(cell)
                outputs[:, t] = hidden
            layer_input = outputs
        last = layer_input[np.arange(len(windows)), lengths - 1]
        weight, bias = self._linear
        raw = np.maximum(last @ weight + bias, 0)
        norms = np.linalg.norm(raw, axis=1, keepdims=True)
        return np.asarray(raw / np.maximum(norms, 1e-9), dtype=np.float32)


def _sigmoid(x: NDArray[np.float32]) -> NDArray[np.float32]:
    return np.asarray(
        0.5 * (1 + np.tanh(0.5 * x)), dtype=np.float32
    )  # no overflow warnings for large |x|


def _mel_filters() -> NDArray[np.float32]:
    """Slaney-style mel filters (librosa's default: ``htk=False``, ``norm='slaney'``)."""

    def to_mel(hz: NDArray[np.float64]) -> NDArray[np.float64]:
        linear = hz / (200.0 / 3)
        log = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
        return np.where(hz >= 1000.0, log, linear)

    def to_hz(mel: NDArray[np.float64]) -> NDArray[np.float64]:
        linear = mel * (200.0 / 3)
        log = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0))
        return np.where(mel >= 15.0, log, linear)

    bins = np.linspace(0, RATE / 2, 1 + N_FFT // 2)
    edges = to_hz(np.linspace(to_mel(np.array(0.0)), to_mel(np.array(RATE / 2.0)), MELS + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - bins[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


# --- speech, windows, clusters, turns ----------------------------------------------------------


SPEECH_ON: Final = 0.5
"""Silero's speech probability from which a stretch of speech starts (and stays) on full-band
audio: the model's own default."""
TELEPHONE_VAD_MODE: Final = 3
"""On telephone-band audio (``telephone_band``) Silero's probabilities run low (it finds a fifth to
a half of the speech at 0.5; at 0.3/0.15 a little over half on a real conversation), so speech is
found there by WebRTC's VAD, a detector made for telephone lines (Gaussian mixtures over six
bands from 80 Hz to 4 kHz), in its strictest mode. Mode and detector chosen on the development
set passed through the same 300-3400 Hz band, by speech missed plus false alarms (mode 3: 2-4 %,
mode 2: 4-6 %, Silero at 0.3/0.15: 4-9 %), never on the test recordings."""
BAND_SHARE_DB: Final = -20.0
"""Under this share of the energy both below 250 Hz and above 3600 Hz: telephone-band audio."""


def telephone_band(audio: NDArray[np.float32]) -> bool:
    """Whether ``audio`` holds only a telephone line's band (300-3400 Hz): nearly no energy
    below 250 Hz (where a voice's pitch lies) nor above 3600 Hz. Full-band speech holds about a
    quarter of its energy below 250 Hz, and 8-kHz recordings that kept their low end (telephone
    prompts) are not telephone-band."""
    size = 1024
    count = audio.size // size
    if count == 0:
        return False
    frames = audio[: count * size].reshape(count, size)[:: max(1, count // 2000)]  # ≤ ~2000 frames
    power = (np.abs(np.fft.rfft(frames * np.hanning(size), axis=1)) ** 2).sum(axis=0)
    total = float(power.sum())
    if total <= 0:
        return False
    bins = np.fft.rfftfreq(size, 1 / RATE)
    limit = 10 ** (BAND_SHARE_DB / 10)
    return bool(
        power[bins < 250].sum() / total < limit and power[bins > 3600].sum() / total < limit
    )


def speech_frames(audio: NDArray[np.float32], vad: SileroVad | None = None) -> NDArray[np.bool_]:
    """Which 10 ms frames hold speech: Silero's probability ≥ 0.5 (on telephone-band audio,
    WebRTC's VAD), gaps under 0.3 s bridged, bursts under 0.25 s dropped."""
    count = audio.size // HOP
    if telephone_band(audio):
        frames = _telephone_speech(audio)
    else:
        from visio.speech.vad import WINDOW, SileroVad

        _, probabilities = (vad or SileroVad()).stream().feed(audio.astype(np.float32))
        per_sample = np.repeat(probabilities >= SPEECH_ON, WINDOW)
        per_sample = np.pad(per_sample, (0, max(0, audio.size - per_sample.size)))
        frames = np.asarray(per_sample[: count * HOP].reshape(count, HOP).any(axis=1), dtype=bool)
    frames = _fill_runs(frames, value=False, shorter_than=30)
    return _fill_runs(frames, value=True, shorter_than=25)


def _telephone_speech(audio: NDArray[np.float32]) -> NDArray[np.bool_]:
    """Speech per 10 ms frame by WebRTC's VAD (it takes 30 ms frames of 16-bit PCM)."""
    import webrtcvad

    detector = webrtcvad.Vad(TELEPHONE_VAD_MODE)
    size = 3 * HOP
    pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2")
    voiced = [
        detector.is_speech(pcm[start : start + size].tobytes(), RATE)
        for start in range(0, pcm.size - size + 1, size)
    ]
    frames = np.repeat(np.asarray(voiced, dtype=bool), 3)
    return np.pad(frames, (0, max(0, audio.size // HOP - frames.size)))


def _fill_runs(flags: NDArray[np.bool_], *, value: bool, shorter_than: int) -> NDArray[np.bool_]:
    """Flip runs of ``value`` shorter than ``shorter_than`` frames (inner runs only for gaps)."""
    flags = flags.copy()
    for start, end in _runs(flags == value):
        inner = start > 0 and end < flags.size
        if end - start < shorter_than and (value or inner):
            flags[start:end] = not value
    return flags


def _runs(flags: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """(start, end) of each run of True."""
    edges = np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def _loudness_normalised(audio: NDArray[np.float32], speech: NDArray[np.bool_]) -> NDArray[Any]:
    """The audio at -30 dBFS over its speech (Resemblyzer's training level)."""
    voiced = audio[: speech.size * HOP].reshape(-1, HOP)[speech]
    rms = float(np.sqrt(np.mean(voiced.astype(np.float64) ** 2))) if voiced.size else 0.0
    if rms < 1e-6:
        return audio
    return (audio * (10 ** (-30 / 20) / rms)).astype(np.float32)


def _windows(speech: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """Frame ranges to embed: 1.6 s windows every 0.4 s over each stretch of speech (a shorter
    stretch is one window of its own length; under 0.5 s, none)."""
    windows: list[tuple[int, int]] = []
    for start, end in _runs(speech):
        length = end - start
        if length < MIN_WINDOW_FRAMES:
            continue
        if length <= WINDOW_FRAMES:
            windows.append((start, end))
            continue
        starts = list(range(start, end - WINDOW_FRAMES + 1, STEP_FRAMES))
        if starts[-1] + WINDOW_FRAMES < end:
            starts.append(end - WINDOW_FRAMES)
        windows += [(s, s + WINDOW_FRAMES) for s in starts]
    return windows


def cluster(
    embeddings: NDArray[np.float32], speakers: int | None, threshold: float = DISTANCE_THRESHOLD
) -> NDArray[np.int_]:
    """A cluster number per embedding: ``speakers`` clusters, or as many as the cosine-distance
    ``threshold`` leaves (average linkage)."""
    from sklearn.cluster import AgglomerativeClustering

    count = embeddings.shape[0]
    if count == 0:
        return np.zeros(0, dtype=int)
    if count == 1 or speakers == 1:
        return np.zeros(count, dtype=int)
    if speakers is not None:
        model = AgglomerativeClustering(
            n_clusters=min(speakers, count), metric="cosine", linkage="average"
        )
    else:
        model = AgglomerativeClustering(
            n_clusters=None, metric="cosine", linkage="average", distance_threshold=threshold
        )
    labels = np.asarray(model.fit_predict(embeddings), dtype=int)
    return labels if speakers is not None else _absorb_small(labels, embeddings)


def _absorb_small(labels: NDArray[np.int_], embeddings: NDArray[np.float32]) -> NDArray[np.int_]:
    """Clusters holding under 5 % of the windows are not taken as people (a cough, a stretch of
    overlap): every window goes to the nearest centroid of the others, a few times over."""
    for _ in range(5):
        kept = [k for k in np.unique(labels) if (labels == k).mean() >= MIN_CLUSTER_SHARE]
        if not kept:
            break
        centroids = np.array([embeddings[labels == k].mean(axis=0) for k in kept])
        centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
        labels = np.array(kept)[(embeddings @ centroids.T).argmax(axis=1)]
    return np.asarray(np.unique(labels, return_inverse=True)[1], dtype=int)


def diarize(
    audio: NDArray[np.float32],
    encoder: VoiceEncoder,
    *,
    speakers: int | None = None,
    threshold: float = DISTANCE_THRESHOLD,
    vad: SileroVad | None = None,
) -> list[Turn]:
    """Turns of 16 kHz mono ``audio``: ``speakers`` voices, or as many as are found."""
    if speakers is not None and speakers < 1:
        raise ValueError("speakers must be at least 1")
    speech = speech_frames(audio, vad)
    windows = _windows(speech)
    if not windows:
        return []
    mel = encoder.mel(_loudness_normalised(audio, speech))
    embeddings = encoder.embed([mel[start:end] for start, end in windows])
    labels = cluster(embeddings, speakers, threshold)
    clusters = int(labels.max()) + 1
    # Each speech frame goes to the cluster whose windows cover it most; a window counts more
    # near its middle, where its voice is surest.
    votes = np.zeros((speech.size, clusters), dtype=np.float32)
    for (start, end), label in zip(windows, labels, strict=True):
        weight = np.hanning(end - start + 2)[1:-1]
        votes[start:end, label] += weight
    centres = np.array([(s + e) / 2 for s, e in windows])
    frame_labels = np.full(speech.size, -1)
    covered = votes.sum(axis=1) > 0
    frame_labels[covered] = votes[covered].argmax(axis=1)
    for frame in np.flatnonzero(speech & ~covered):  # short bursts: the nearest window's voice
        frame_labels[frame] = labels[int(np.abs(centres - frame).argmin())]
    frame_labels[~speech] = -1
    return _turns(frame_labels)


def _turns(frame_labels: NDArray[np.int_]) -> list[Turn]:
    """Runs of one label as turns, speakers renumbered by first appearance."""
    turns: list[Turn] = []
    order: dict[int, int] = {}
    start = 0
    for index in range(1, frame_labels.size + 1):
        if index < frame_labels.size and frame_labels[index] == frame_labels[start]:
            continue
        label = int(frame_labels[start])
        if label >= 0:
            speaker = order.setdefault(label, len(order))
            turns.append(Turn(start * HOP / RATE, index * HOP / RATE, speaker))
        start = index
    return turns


# --- scoring ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiarizationScore:
    """Diarization error rate parts, in seconds of reference speech (no collar, overlap
    scored)."""

    reference: float
    missed: float
    false_alarm: float
    confusion: float
    speakers_found: int
    speakers_true: int

    @property
    def error_rate(self) -> float:
        return (self.missed + self.false_alarm + self.confusion) / max(self.reference, 1e-9)


def score(
    reference: Sequence[tuple[float, float, str]],
    hypothesis: Sequence[Turn],
    seconds: float,
) -> DiarizationScore:
    """The diarization error rate of ``hypothesis`` against ``reference`` (start, end, speaker)
    on 10 ms frames, hypothesis speakers mapped to reference speakers one to one so as to
    maximise the time they agree (Hungarian assignment)."""
    from scipy.optimize import linear_sum_assignment

    frames = round(seconds * 100)
    names = sorted({name for _, _, name in reference})
    found = sorted({turn.speaker for turn in hypothesis})
    truth = np.zeros((frames, len(names)), dtype=bool)
    for start, end, name in reference:
        truth[round(start * 100) : round(end * 100), names.index(name)] = True
    guess = np.zeros((frames, len(found)), dtype=bool)
    for turn in hypothesis:
        guess[round(turn.start * 100) : round(turn.end * 100), found.index(turn.speaker)] = True
    agreement = truth.T.astype(np.int64) @ guess.astype(np.int64)
    rows, columns = linear_sum_assignment(-agreement)
    correct = np.zeros(frames, dtype=np.int64)
    for row, column in zip(rows, columns, strict=True):
        correct += truth[:, row] & guess[:, column]
    true_count = truth.sum(axis=1)
    guess_count = guess.sum(axis=1)
    return DiarizationScore(
        reference=float(true_count.sum()) / 100,
        missed=float(np.maximum(true_count - guess_count, 0).sum()) / 100,
        false_alarm=float(np.maximum(guess_count - true_count, 0).sum()) / 100,
        confusion=float((np.minimum(true_count, guess_count) - correct).sum()) / 100,
        speakers_found=len(found),
        speakers_true=len(names),
    )

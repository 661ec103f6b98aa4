"""Looking at a recording the way a person would: what ffprobe says is in the file, and what
can be heard in it (which tones, how loud)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tests.support import RunningServer, wait_until

RATE = 16000


@dataclass(frozen=True)
class Probe:
    format_name: str
    duration: float
    streams: list[dict[str, Any]]

    def codecs(self, kind: str) -> list[str]:
        return [s["codec_name"] for s in self.streams if s["codec_type"] == kind]


def probe(path: Path) -> Probe:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", path],
        check=True,
        capture_output=True,
        timeout=60,
    ).stdout
    info = json.loads(out)
    return Probe(info["format"]["format_name"], float(info["format"]["duration"]), info["streams"])


def decoded_audio(path: Path) -> np.ndarray:
    """The file's mixed audio, mono at 16 kHz, as floats in [-1, 1]."""
    raw = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            path,
            "-vn",
            "-ac",
            "1",
            "-ar",
            str(RATE),
            "-f",
            "s16le",
            "-",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    ).stdout
    return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768


def frame_tiles_lit(path: Path, at_s: float, tiles: list[tuple[int, int, int, int]]) -> list[bool]:
    """For one frame of the video at ``at_s``: whether each tile (x, y, width, height) shows a
    picture rather than black."""
    found = probe(path)
    video = next(s for s in found.streams if s["codec_type"] == "video")
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-ss", f"{at_s:.2f}", "-i", path, "-frames:v", "1",
         "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        check=True,
        capture_output=True,
        timeout=60,
    ).stdout  # fmt: skip
    frame = np.frombuffer(raw, dtype=np.uint8).reshape(video["height"], video["width"], 3)
    brightest = frame.max(axis=2)
    return [bool(brightest[y : y + h, x : x + w].mean() > 30) for x, y, w, h in tiles]


def frame_tiles_named(
    path: Path, at_s: float, tiles: list[tuple[int, int, int, int]]
) -> list[bool]:
    """For one frame at ``at_s``: whether each tile shows a label where processing draws it
    (white text low on the left, over the black bar that pads the camera's picture in its
    tile), with the same columns dark at the top of the tile (the bar), where none is drawn."""
    found = probe(path)
    video = next(s for s in found.streams if s["codec_type"] == "video")
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-ss", f"{at_s:.2f}", "-i", path, "-frames:v", "1",
         "-f", "rawvideo", "-pix_fmt", "gray", "-"],
        check=True,
        capture_output=True,
        timeout=60,
    ).stdout  # fmt: skip
    frame = np.frombuffer(raw, dtype=np.uint8).reshape(video["height"], video["width"])
    named = []
    for x, y, _, h in tiles:
        size = max(12, h // 14)
        columns = slice(x + size // 2, x + size // 2 + 2 * size)
        label = frame[y + h - 2 * size : y + h - size, columns]
        above = frame[y + size // 4 : y + size // 4 + size, columns]
        named.append(bool((label > 180).mean() > 0.05 and (above > 180).mean() < 0.01))
    return named


def level_dbfs(samples: np.ndarray) -> float:
    rms = float(np.sqrt(np.mean(samples**2))) if samples.size else 0.0
    return 20 * np.log10(max(rms, 1e-9))


def tone_share(samples: np.ndarray, frequency: float) -> float:
    """The share of the signal's energy within 10 Hz of ``frequency`` (0 to 1)."""
    power = np.abs(np.fft.rfft(samples * np.hanning(samples.size))) ** 2
    freqs = np.fft.rfftfreq(samples.size, 1 / RATE)
    band = (freqs > frequency - 10) & (freqs < frequency + 10)
    return float(power[band].sum() / max(power.sum(), 1e-12))


def recording_rows(server: RunningServer) -> list[dict[str, Any]]:
    """The server's ``recordings`` table, read from its SQLite file."""
    connection = sqlite3.connect(f"file:{server.data_dir / 'visio.db'}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in connection.execute("SELECT * FROM recordings")]
    finally:
        connection.close()


def audit_events(server: RunningServer, prefix: str) -> list[dict[str, Any]]:
    connection = sqlite3.connect(f"file:{server.data_dir / 'visio.db'}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    try:
        return [
            dict(row)
            for row in connection.execute(
                "SELECT * FROM audit_events WHERE event LIKE ? ORDER BY id", (prefix + "%",)
            )
        ]
    finally:
        connection.close()


def wait_finished(server: RunningServer, recording_id: str, timeout: float) -> dict[str, Any]:
    """Wait until the recording is ready or failed; return its row."""

    def finished() -> dict[str, Any] | None:
        for row in recording_rows(server):
            if row["id"] == recording_id and row["status"] in ("ready", "failed"):
                return row
        return None

    return wait_until(
        finished,
        timeout,
        lambda: (
            f"recording {recording_id} not processed: {recording_rows(server)}\n"
            f"{server.log()[-3000:]}"
        ),
    )


def raw_audio_bytes(server: RunningServer, recording_id: str) -> dict[str, int]:
    """Each raw audio track Janus is writing for the recording, with its size so far."""
    folder = server.data_dir / "recordings" / recording_id / "raw"
    return {p.name: p.stat().st_size for p in folder.glob("*-audio-*.mjr")}

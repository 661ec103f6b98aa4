"""Names on the tiles of the composite video: drawn by real ffmpeg, whatever the name holds."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.recording.media import probe
from visio.recording.processing import (
    CANVAS,
    Converted,
    Track,
    _run,
    grid,
    mix_command,
    read_names,
    tile_label,
    write_labels,
)

HOSTILE = (
    "Ahmad أحمد 👩‍💻 'x':y\\z,[v0];[base0] %{pts} %{eif\\:1\\:d} "
    "\u202eevil\n-vf null -y /etc/passwd " + "very long name " * 8
)


def _frame(path: Path, at_s: float) -> np.ndarray:
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-ss", f"{at_s:.2f}", "-i", str(path), "-frames:v", "1",
         "-f", "rawvideo", "-pix_fmt", "gray", "-"],
        check=True, capture_output=True, timeout=60,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, dtype=np.uint8).reshape(CANVAS[1], CANVAS[0]).astype(np.int16)


@pytest.fixture
def tracks(tmp_path: Path) -> tuple[Converted, Converted]:
    """A 2 s grey camera (feed 7) and a 2 s tone, as janus-pp-rec would have converted them."""
    camera, tone = tmp_path / "camera.webm", tmp_path / "tone.opus"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=gray:s=320x240:r=15:d=2",
         "-c:v", "libvpx", "-deadline", "realtime", str(camera)],
        check=True, timeout=60,
    )  # fmt: skip
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=f=440:d=2:r=48000",
         "-c:a", "libopus", str(tone)],
        check=True, timeout=60,
    )  # fmt: skip
    video = Converted(Track(camera, "video", "vp8", 1, "7-1"), camera, 0.0, 2.0)
    audio = Converted(Track(tone, "audio", "opus", 1, "7-0"), tone, 0.0, 2.0)
    return audio, video


async def test_tile_shows_its_publishers_name_whatever_it_holds(
    tmp_path: Path, tracks: tuple[Converted, Converted]
) -> None:
    """A name with RTL script, emoji, quotes, backslashes, filter syntax, ``%{…}`` expansions,
    a bidi override, a line break and 150 characters is drawn on its tile (pixels in the label's
    corner change against the unlabelled render, the rest of the tile does not), and none of it
    reaches ffmpeg's command line."""
    audio, video = tracks
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "names.json").write_text(json.dumps({"7": HOSTILE}), "utf-8")
    work = tmp_path / "work"
    work.mkdir()
    labels = write_labels([video], read_names(raw), work)
    assert labels == {"7-1": "label-0.txt"}
    shown = (work / "label-0.txt").read_text("utf-8")
    assert shown == tile_label(HOSTILE) and len(shown) == 40 and shown.endswith("…")
    assert "\n" not in shown and "\u202e" not in shown and shown.startswith("Ahmad أحمد 👩")

    renders = {}
    for name, given in (("plain", {}), ("labelled", labels)):
        target = tmp_path / f"{name}.webm"
        command = mix_command([audio], [video], target, 2.0, 1, with_video=True, labels=given)
        assert not any(part in " ".join(command) for part in ("أحمد", "%{pts}", "passwd"))
        await _run(*command, timeout=120, cwd=work)
        assert probe(target).codecs("video") == ["vp8"]
        renders[name] = _frame(target, 1.0)

    x, y, width, height = grid(1)[0]
    size = max(12, height // 14)
    corner = (slice(y + height - 3 * size, y + height), slice(x, x + width // 2))
    top = (slice(y, y + height // 2), slice(x, x + width))
    changed = np.abs(renders["labelled"] - renders["plain"])
    assert (changed[corner] > 40).mean() > 0.05  # the label's text and box
    assert (changed[top] > 40).mean() < 0.001  # the picture itself is untouched


def test_names_file_that_is_not_names_gives_no_labels(tmp_path: Path) -> None:
    """A missing, broken or odd names file labels nothing rather than failing the recording."""
    assert read_names(tmp_path) == {}
    (tmp_path / "names.json").write_text("[1, 2]", "utf-8")
    assert read_names(tmp_path) == {}
    (tmp_path / "names.json").write_text('{"1": 5, "2": "\\u0000\\n", "3": "Zoé"}', "utf-8")
    assert read_names(tmp_path) == {"3": "Zoé"}


def test_label_file_names_are_checked(tracks: tuple[Converted, Converted], tmp_path: Path) -> None:
    """Only label-N.txt may be named in the filter: anything else is refused, not escaped."""
    audio, video = tracks
    with pytest.raises(ValueError, match="unsafe"):
        mix_command(
            [audio], [video], tmp_path / "x.webm", 2.0, 1, with_video=True,
            labels={"7-1": "a.txt:fontfile=/etc/passwd"},
        )  # fmt: skip

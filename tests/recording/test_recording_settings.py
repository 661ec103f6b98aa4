"""The recording settings: validated, defaulted under the data folder, checked by `visio check`."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support import VISIO
from visio.settings import SettingsError, load_settings


def test_recordings_live_under_the_data_folder_unless_told(tmp_path: Path) -> None:
    """By default recordings go to <data>/recordings, absolute (Janus writes there too)."""
    settings = load_settings(data_dir=tmp_path / "data")
    assert settings.effective_recordings_dir == (tmp_path / "data" / "recordings").resolve()
    assert settings.recording_retention_days == 30
    elsewhere = load_settings(data_dir=tmp_path, recordings_dir=Path("rec"))
    assert elsewhere.effective_recordings_dir.is_absolute()


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("recording_retention_days", 0),
        ("recording_ffmpeg_threads", 0),
        ("recording_max_hours", 0),
        ("recording_max_hours", 100),
    ],
)
def test_recording_settings_out_of_range_are_refused(setting: str, value: object) -> None:
    with pytest.raises(SettingsError, match=f"VISIO_{setting.upper()}"):
        load_settings(**{setting: value})


def test_cli_check_says_when_the_recordings_folder_is_not_writable(tmp_path: Path) -> None:
    """`visio check` finds janus-pp-rec and ffmpeg, and names a recordings folder it cannot
    write to."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = subprocess.run(
        [str(VISIO), "check"],
        env={
            "PYTHONPATH": os.environ.get("PYTHONPATH", ""),  # this checkout's code
            "VISIO_DATA_DIR": str(tmp_path),
            "VISIO_RECORDINGS_DIR": str(blocker / "rec"),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "ok   janus-pp-rec for processing recordings" in result.stdout
    assert "ok   ffmpeg for processing recordings" in result.stdout
    assert f"ERR  recordings folder {blocker / 'rec'}" in result.stdout
    assert "set VISIO_RECORDINGS_DIR" in result.stdout

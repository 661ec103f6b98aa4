"""The Janus forwarding benchmark (bench/janus_forwarding.py) still works, at the smallest scale."""

from __future__ import annotations

import pytest
from bench.janus_forwarding import Configuration, run

from tests.support import in_media_namespace


async def test_bench_janus_forwarding_delivers_packets_to_every_subscriber() -> None:
    """One publisher, two subscribers: both receive its video and audio, and Janus's CPU is read."""
    if not in_media_namespace():
        pytest.fail(
            "media tests need the private network namespace: run them through scripts/in-netns"
        )
    [result] = await run(
        [Configuration("1→2", 1, 2, video=True, audio=True)],
        seconds=2,
        warmup=0,
        clip_seconds=1,
        idle_seconds=0,
    )
    assert result["video_streams"] == result["video_expected"] == 2
    assert result["audio_streams"] == result["audio_expected"] == 2
    assert result["video_packets_per_s"] > 0
    assert result["audio_packets_per_s"] > 0
    assert result["out_kbps"] > result["in_kbps"] > 0  # Janus sends each stream twice
    assert result["janus_cpu_pct_of_core"] > 0

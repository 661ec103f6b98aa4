"""Media engine benchmark: SIGKILL on the embedded Janus → supervisor restart → engine reconnected.

    .venv/bin/python -m bench.media [--kills 10]

No browser: the figure is the server side of a Janus crash (bench.meeting's "recovery" adds the
browsers' ICE restart). Prints the median and p90 of the seconds from the kill to the engine's
"restored" notification. Figures depend on the machine; compare runs made on the same one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import tempfile
import time
from pathlib import Path

from tests.support import free_port

from bench.meeting import quantiles
from visio.media.engine import MediaEngine
from visio.media.janus.config import janus_command, write_janus_config
from visio.settings import load_settings
from visio.supervision import SupervisedProcess


async def janus_restarts(kills: int) -> list[float]:
    settings = load_settings(
        _env_file=None, janus_ws_port=free_port(), janus_admin_port=free_port()
    )
    runtime = write_janus_config(settings, Path(tempfile.mkdtemp(prefix="visio-bench-media-")))
    process = SupervisedProcess("janus", janus_command(settings.janus_binary, runtime.config_dir))
    engine = MediaEngine(runtime.ws_url, runtime.api_secret, runtime.videoroom_admin_key)
    restored = asyncio.Event()

    async def back() -> None:
        restored.set()

    engine.on_restored(back)
    await process.start()
    await engine.start()
    durations = []
    try:
        await engine.wait_ready(30)
        for _ in range(kills):
            pid = process.pid
            assert pid is not None
            restored.clear()
            started = time.monotonic()
            os.kill(pid, signal.SIGKILL)
            await asyncio.wait_for(restored.wait(), 60)
            durations.append(time.monotonic() - started)
    finally:
        await engine.stop()
        await process.stop()
    return durations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kills", type=int, default=10)
    args = parser.parse_args()
    figures = {
        "janus_kill_to_engine_restored_s": quantiles(asyncio.run(janus_restarts(args.kills)))
    }
    print(f"{'figure':<48} {'median':>8} {'p90':>8} {'min':>8} {'max':>8} {'n':>4}")
    for key, value in figures.items():
        print(
            f"{key:<48} {value['median']:>8.3f} {value['p90']:>8.3f} {value['min']:>8.3f} {value['max']:>8.3f} {value['n']:>4}"
        )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

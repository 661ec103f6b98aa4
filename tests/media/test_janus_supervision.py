"""The embedded Janus is restarted when it dies, and the media engine reconnects to it."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from tests.support import free_port
from visio.media.engine import MediaEngine
from visio.media.janus.client import JanusConnection, JanusError, JanusSession
from visio.media.janus.config import janus_command, write_janus_config
from visio.settings import load_settings
from visio.supervision import SupervisedProcess


async def test_janus_killed_is_restarted_and_reconnected(tmp_path: Path) -> None:
    """SIGKILL on Janus: the supervisor restarts it and the engine tells lost, then restored."""
    settings = load_settings(
        _env_file=None, janus_ws_port=free_port(), janus_admin_port=free_port()
    )
    runtime = write_janus_config(settings, tmp_path)
    process = SupervisedProcess("janus", janus_command(settings.janus_binary, runtime.config_dir))
    engine = MediaEngine(runtime.ws_url, runtime.api_secret, runtime.videoroom_admin_key)
    events: list[str] = []
    restored = asyncio.Event()

    async def lost() -> None:
        events.append("lost")

    async def back() -> None:
        events.append("restored")
        restored.set()

    engine.on_lost(lost)
    engine.on_restored(back)
    await process.start()
    await engine.start()
    try:
        await engine.wait_ready(10)
        first_pid = process.pid
        assert first_pid is not None
        os.kill(first_pid, signal.SIGKILL)
        await asyncio.wait_for(restored.wait(), 30)  # how fast: python -m bench.media
        assert events == ["lost", "restored"]
        assert process.pid not in (None, first_pid)
        assert process.restarts == 1
        assert engine.connected
    finally:
        await engine.stop()
        await process.stop()


async def test_media_engine_refuses_wrong_secret(tmp_path: Path) -> None:
    """A client without Janus's API secret cannot open a session."""
    settings = load_settings(
        _env_file=None, janus_ws_port=free_port(), janus_admin_port=free_port()
    )
    runtime = write_janus_config(settings, tmp_path)
    process = SupervisedProcess("janus", janus_command(settings.janus_binary, runtime.config_dir))
    engine = MediaEngine(runtime.ws_url, "wrong-secret", None)
    rightful = MediaEngine(runtime.ws_url, runtime.api_secret, None)
    await process.start()
    await engine.start()
    await rightful.start()
    try:
        await rightful.wait_ready(30)  # Janus is up and answers whoever has the secret
        connection = JanusConnection(runtime.ws_url, "wrong-secret")
        await connection.connect()
        try:
            with pytest.raises(JanusError, match="Unauthorized"):
                await JanusSession.create(connection)
        finally:
            await connection.close()
        assert not engine.connected
    finally:
        await rightful.stop()
        await engine.stop()
        await process.stop()


async def test_media_engine_keeps_trying_when_the_handshake_is_cut_short(tmp_path: Path) -> None:
    """A port that accepts and hangs up (Janus half up while it starts) does not stop the engine:
    once the real Janus listens there, the engine connects."""
    port = free_port()

    hung_up = 0
    tried_again = asyncio.Event()

    async def hang_up(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal hung_up
        writer.close()
        hung_up += 1
        if hung_up >= 2:
            tried_again.set()

    impostor = await asyncio.start_server(hang_up, "127.0.0.1", port)
    settings = load_settings(_env_file=None, janus_ws_port=port, janus_admin_port=free_port())
    runtime = write_janus_config(settings, tmp_path)
    engine = MediaEngine(runtime.ws_url, runtime.api_secret, runtime.videoroom_admin_key)
    process = SupervisedProcess("janus", janus_command(settings.janus_binary, runtime.config_dir))
    await engine.start()
    try:
        await asyncio.wait_for(tried_again.wait(), 30)  # hung up on, and still trying
        assert not engine.connected
        impostor.close()
        await impostor.wait_closed()
        await process.start()
        await engine.wait_ready(15)
        assert engine.connected
    finally:
        await engine.stop()
        await process.stop()


def test_supervised_children_die_with_visio() -> None:
    """If Visio itself is killed, the processes it supervises (Janus, workers) go too: no orphan
    keeps Janus's ports."""
    import subprocess
    import sys
    import time

    script = (
        "import asyncio, sys\n"
        "from visio.supervision import SupervisedProcess\n"
        "async def main():\n"
        "    child = SupervisedProcess('sleeper', ['sleep', '300'])\n"
        "    await child.start()\n"
        "    print(child.pid, flush=True)\n"
        "    await asyncio.sleep(300)\n"
        "asyncio.run(main())\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child_pid = int(parent.stdout.readline())
    os.kill(child_pid, 0)  # alive
    parent.kill()
    parent.wait()
    parent.stdout.close()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.kill(child_pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.kill(child_pid, signal.SIGKILL)
    raise AssertionError("the supervised child outlived Visio")

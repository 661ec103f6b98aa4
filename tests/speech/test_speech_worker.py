"""The speech worker end to end: worker protocol over a WebSocket, Opus RTP over UDP, captions back.

A small WebSocket server in the test stands in for the app server's worker endpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import numpy as np
import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

from tests.speech.meetings import RATE, french_meetings
from tests.speech.recordings import Recording, silence
from visio.speech.audio import OpusPacketizer
from visio.speech.scoring import word_error_rate
from visio.speech.whisper import WhisperRecogniser
from visio.speech.worker import SpeechWorker, WorkerIdentity

SECRET = "worker-secret-for-tests"


class StandInServer:
    """Accepts workers with the right bearer token and records what they send."""

    def __init__(self) -> None:
        self.connections: asyncio.Queue[ServerConnection] = asyncio.Queue()
        self.hellos: list[dict[str, Any]] = []
        self.refused = 0
        self.refused_twice = asyncio.Event()

    def check_auth(self, connection: ServerConnection, request: Request) -> Response | None:
        if request.headers.get("Authorization") != f"Bearer {SECRET}":
            self.refused += 1
            if self.refused >= 2:
                self.refused_twice.set()
            return connection.respond(401, "bad worker secret\n")
        return None

    async def handler(self, connection: ServerConnection) -> None:
        hello = json.loads(await connection.recv())
        self.hellos.append(hello)
        await connection.send(json.dumps({"type": "welcome", "worker_id": hello["worker_id"]}))
        await self.connections.put(connection)
        await connection.wait_closed()


@contextlib.asynccontextmanager
async def running(
    worker: SpeechWorker, stand_in: StandInServer
) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(worker.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def next_message(
    connection: ServerConnection, kind: str, timeout: float = 15
) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            message = json.loads(await connection.recv())
            if message["type"] == kind:
                return message


@contextlib.asynccontextmanager
async def one_stream(
    whisper: WhisperRecogniser, worker_id: str, stream_id: str
) -> AsyncIterator[tuple[ServerConnection, dict[str, Any]]]:
    """A worker of one stream's capacity, connected to a stand-in server, with an English
    stream started on it: the server's connection and the worker's ``stream.ready``."""
    stand_in = StandInServer()
    async with serve(
        stand_in.handler, "127.0.0.1", 0, process_request=stand_in.check_auth
    ) as server:
        port = server.sockets[0].getsockname()[1]
        identity = WorkerIdentity(worker_id, "127.0.0.1", 1, ["whisper-tiny.en"])
        worker = SpeechWorker(f"ws://127.0.0.1:{port}/ws", SECRET, identity, whisper)
        async with running(worker, stand_in):
            connection = await asyncio.wait_for(stand_in.connections.get(), 10)
            await connection.send(
                json.dumps({"type": "stream.start", "stream_id": stream_id, "language": "en"})
            )
            yield connection, await next_message(connection, "stream.ready")


async def test_worker_captions_opus_rtp_sent_to_its_port(
    whisper: WhisperRecogniser, librivox: list[Recording]
) -> None:
    """stream.start → stream.ready with a port; Opus RTP sent there comes back as captions."""
    stand_in = StandInServer()
    async with serve(
        stand_in.handler, "127.0.0.1", 0, process_request=stand_in.check_auth
    ) as server:
        port = server.sockets[0].getsockname()[1]
        identity = WorkerIdentity("worker-a", "127.0.0.1", 2, ["whisper-tiny.en", "whisper-base"])
        worker = SpeechWorker(
            f"ws://127.0.0.1:{port}/api/v1/speech/workers/ws", SECRET, identity, whisper
        )
        async with running(worker, stand_in):
            connection = await asyncio.wait_for(stand_in.connections.get(), 10)
            assert stand_in.hellos[0] == {
                "type": "hello",
                "version": 1,
                "worker_id": "worker-a",
                "host": "127.0.0.1",
                "capacity": 2,
                "models": ["whisper-tiny.en", "whisper-base"],
            }
            await connection.send(json.dumps({"type": "ping"}))
            assert (await next_message(connection, "pong"))["load"] == {
                "dropped_seconds": 0.0,
                "backlog_seconds": 0.0,
                "decode_errors": 0,
                "streams": 0,
                "final_lag_seconds": 0.0,
                "rtp_packets": 0,
                "rtp_lost": 0,
                "rtp_rejected": 0,
                "silent_streams": 0,
            }
            await connection.send(
                json.dumps(
                    {
                        "type": "stream.start",
                        "stream_id": "alice-mic",
                        "language": "en",
                        "model": None,
                        "payload_type": 109,
                        "sample_rate": 48000,
                    }
                )
            )
            ready = await next_message(connection, "stream.ready")
            assert ready["stream_id"] == "alice-mic" and ready["port"] > 0

            recording = librivox[2]
            audio = np.concatenate([silence(0.3), recording.audio, silence(1.5)])
            packets = [
                p.serialize() for p in OpusPacketizer(payload_type=109).packets(audio, 16000)
            ]
            for i in range(0, len(packets) - 2, 9):  # a little reordering, as networks do
                packets[i], packets[i + 1] = packets[i + 1], packets[i]
            captions: list[dict[str, Any]] = []

            async def collect() -> None:
                while True:
                    message = await next_message(connection, "caption", timeout=30)
                    captions.append(message)
                    if message["kind"] == "final":
                        return

            collector = asyncio.create_task(collect())
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                udp.sendto(b"not rtp", ("127.0.0.1", ready["port"]))
                loop = asyncio.get_running_loop()
                start = loop.time()
                for index, data in enumerate(packets):  # paced like a live microphone
                    udp.sendto(data, ("127.0.0.1", ready["port"]))
                    await asyncio.sleep(max(0.0, start + (index + 1) * 0.02 - loop.time()))
            await asyncio.wait_for(collector, 30)

            final = captions[-1]
            assert final["stream_id"] == "alice-mic" and final["kind"] == "final"
            assert word_error_rate(recording.transcript, final["text"]) <= 0.25, final["text"]
            assert [w["text"] for w in final["words"]] == final["text"].split()
            assert 0.1 < final["start"] < final["end"] <= audio.size / 16000 + 0.5
            assert final["language"] == "en"
            partials = [c for c in captions if c["kind"] == "partial"]
            assert partials and {c["segment_id"] for c in captions} == {final["segment_id"]}

            await connection.send(json.dumps({"type": "stream.stop", "stream_id": "alice-mic"}))
            # The worker handles messages in order: its pong says stream.stop was handled.
            await connection.send(json.dumps({"type": "ping"}))
            load = (await next_message(connection, "pong"))["load"]
            assert worker.streams == {}
            # Every packet counted (reordered ones are not lost); the stray datagram refused.
            assert (load["rtp_packets"], load["rtp_lost"], load["rtp_rejected"]) == (
                len(packets),
                0,
                1,
            )


async def test_worker_refuses_streams_beyond_capacity_and_reconnects(
    whisper: WhisperRecogniser,
) -> None:
    """A stream over capacity gets stream.error; a dropped connection is re-established."""
    stand_in = StandInServer()
    async with serve(
        stand_in.handler, "127.0.0.1", 0, process_request=stand_in.check_auth
    ) as server:
        port = server.sockets[0].getsockname()[1]
        identity = WorkerIdentity("worker-b", "127.0.0.1", 1, ["whisper-tiny.en"])
        worker = SpeechWorker(f"ws://127.0.0.1:{port}/ws", SECRET, identity, whisper, max_backoff=1)
        async with running(worker, stand_in):
            connection = await asyncio.wait_for(stand_in.connections.get(), 10)
            for stream_id in ("one", "two"):
                await connection.send(
                    json.dumps({"type": "stream.start", "stream_id": stream_id, "language": "en"})
                )
            assert (await next_message(connection, "stream.ready"))["stream_id"] == "one"
            error = await next_message(connection, "stream.error")
            assert error == {
                "type": "stream.error",
                "stream_id": "two",
                "message": "worker at capacity",
            }
            await connection.send(json.dumps({"type": "stream.stop", "stream_id": "one"}))
            await connection.send(
                json.dumps(
                    {
                        "type": "stream.start",
                        "stream_id": "three",
                        "language": "fr",
                        "model": "whisper-tiny.en",
                    }
                )
            )
            error = await next_message(connection, "stream.error")
            assert error["stream_id"] == "three" and "only knows English" in error["message"]

            await connection.close()
            again = await asyncio.wait_for(stand_in.connections.get(), 10)
            assert len(stand_in.hellos) == 2
            assert worker.streams == {}  # streams die with the connection; the server reassigns
            await again.close()


async def test_worker_with_wrong_secret_is_refused_and_keeps_trying(
    whisper: WhisperRecogniser, caplog: pytest.LogCaptureFixture
) -> None:
    """A bad secret gets HTTP 401; the worker logs what to fix and retries with backoff."""
    stand_in = StandInServer()
    async with serve(
        stand_in.handler, "127.0.0.1", 0, process_request=stand_in.check_auth
    ) as server:
        port = server.sockets[0].getsockname()[1]
        identity = WorkerIdentity("worker-c", "127.0.0.1", 1, [])
        worker = SpeechWorker(
            f"ws://127.0.0.1:{port}/ws", "wrong", identity, whisper, max_backoff=0.5
        )
        async with running(worker, stand_in):
            await asyncio.wait_for(stand_in.refused_twice.wait(), 10)
        assert stand_in.hellos == []
        assert "VISIO_SPEECH_WORKER_SECRET" in caplog.text


async def test_worker_counts_and_logs_rtp_gaps_and_streams_without_packets(
    whisper: WhisperRecogniser, caplog: pytest.LogCaptureFixture
) -> None:
    """Packets missing from a stream's sequence, and a stream that gets no packet at all, show
    in the worker's load (so in /metrics) and in a warning naming the stream."""
    stand_in = StandInServer()
    async with serve(
        stand_in.handler, "127.0.0.1", 0, process_request=stand_in.check_auth
    ) as server:
        port = server.sockets[0].getsockname()[1]
        identity = WorkerIdentity("worker-c", "127.0.0.1", 2, ["whisper-tiny.en"])
        worker = SpeechWorker(
            f"ws://127.0.0.1:{port}/ws", SECRET, identity, whisper, load_log_interval=0.3
        )
        async with running(worker, stand_in):
            connection = await asyncio.wait_for(stand_in.connections.get(), 10)
            ports = {}
            for stream_id in ("room/p_gappy/1", "room/p_mute/2"):
                await connection.send(
                    json.dumps({"type": "stream.start", "stream_id": stream_id, "language": "en"})
                )
                ready = await next_message(connection, "stream.ready")
                ports[ready["stream_id"]] = ready["port"]
            packets = OpusPacketizer().packets(silence(1.0), 16000)
            sent = packets[:20] + packets[30:]  # 10 lost on the way
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                for data in sent:
                    udp.sendto(data.serialize(), ("127.0.0.1", ports["room/p_gappy/1"]))

            async def until(check: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
                """Asks the worker its load every 50 ms until ``check`` holds."""
                async with asyncio.timeout(15):
                    while True:
                        await connection.send(json.dumps({"type": "ping"}))
                        figures = dict((await next_message(connection, "pong"))["load"])
                        if check(figures):
                            return figures
                        await asyncio.sleep(0.05)

            figures = await until(lambda load: load["rtp_packets"] >= len(sent))
            assert figures["rtp_lost"] == 10 and figures["rtp_rejected"] == 0
            # The other stream never got a packet: counted once a log interval has passed.
            await until(lambda load: load["silent_streams"] >= 1)
            await until(lambda _: "room/p_mute/2: no RTP packet" in caplog.text)
            await until(lambda _: "room/p_gappy/1: 10 RTP packets lost" in caplog.text)
    warnings = [r for r in caplog.records if "no RTP packet" in r.getMessage()]
    assert {r.levelname for r in warnings} == {"WARNING"}
    assert len([r for r in warnings if "p_mute" in r.getMessage()]) == 1, "logged once"


async def test_worker_keeps_the_rtp_that_arrives_while_it_is_held_up(
    whisper: WhisperRecogniser,
) -> None:
    """Packets that arrive while the worker's event loop is held up (here: by this test, sending
    20 s of a microphone at once) wait in the socket instead of being dropped by the kernel."""
    async with one_stream(whisper, "worker-d", "busy") as (connection, ready):
        packets = [p.serialize() for p in OpusPacketizer().packets(silence(20.0), 16000)]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            for data in packets:  # no await: the worker's loop cannot read meanwhile
                udp.sendto(data, ("127.0.0.1", ready["port"]))
        deadline = asyncio.get_running_loop().time() + 30
        while asyncio.get_running_loop().time() < deadline:  # until all are read
            await connection.send(json.dumps({"type": "ping"}))
            load = (await next_message(connection, "pong"))["load"]
            if load["rtp_packets"] == len(packets):
                break
            await asyncio.sleep(0.05)
        assert load["rtp_packets"] == len(packets) and load["rtp_lost"] == 0, load


def _send_in_real_time(udp: socket.socket, port: int, packets: list[bytes], start: float) -> None:
    """One packet every 20 ms from ``start`` (``time.monotonic()``), blocking the caller."""
    for index, data in enumerate(packets):
        time.sleep(max(0.0, start + index * 0.02 - time.monotonic()))
        udp.sendto(data, ("127.0.0.1", port))


async def test_worker_counts_a_final_late_from_when_its_speech_was_spoken(
    whisper: WhisperRecogniser, librivox: list[Recording]
) -> None:
    """A microphone sent in real time while the worker's event loop is held up (here: by this
    test, which sleeps between packets without letting the loop run): an utterance, then 6 s of
    silence. Its packets wait in the socket, and its final is late by those 6 s at least: the
    lag in ``pong`` counts from when the speech was spoken, not from when the worker read it."""
    async with one_stream(whisper, "worker-l", "late") as (connection, ready):
        audio = np.concatenate([silence(1.0), librivox[2].audio, silence(6.0)])
        packets = [p.serialize() for p in OpusPacketizer().packets(audio, 16000)]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            start = time.monotonic()
            for index in range(50):  # the first second: the worker reads as it comes
                udp.sendto(packets[index], ("127.0.0.1", ready["port"]))
                await asyncio.sleep(max(0.0, start + (index + 1) * 0.02 - time.monotonic()))
            # Then its loop is held up: the rest is sent in real time, and read at the end.
            _send_in_real_time(udp, ready["port"], packets[50:], start + 1.0)
        while (await next_message(connection, "caption", timeout=60))["kind"] != "final":
            pass
        await connection.send(json.dumps({"type": "ping"}))
        load = (await next_message(connection, "pong"))["load"]
        assert load["final_lag_seconds"] >= 5.5, load


async def test_worker_sends_english_of_french_finals_when_asked(whisper: WhisperRecogniser) -> None:
    """stream.start with translate: French speech sent as Opus RTP comes back as a final whose
    translation is English; a stream the recogniser cannot translate gets stream.error."""
    meeting = next(m for m in french_meetings() if m.name == "incident-client")
    utterance = max(meeting.utterances_of("marc"), key=lambda u: u.end - u.start)
    speech = meeting.speaker("marc").track[
        round(utterance.start * RATE) : round(utterance.end * RATE)
    ]
    audio = np.concatenate([silence(0.3), speech, silence(1.5)])
    await asyncio.to_thread(whisper.preload, "whisper-base")  # as the worker does at start-up
    stand_in = StandInServer()
    async with serve(
        stand_in.handler, "127.0.0.1", 0, process_request=stand_in.check_auth
    ) as server:
        port = server.sockets[0].getsockname()[1]
        identity = WorkerIdentity("worker-t", "127.0.0.1", 2, ["whisper-tiny.en", "whisper-base"])
        worker = SpeechWorker(
            f"ws://127.0.0.1:{port}/api/v1/speech/workers/ws", SECRET, identity, whisper
        )
        async with running(worker, stand_in):
            connection = await asyncio.wait_for(stand_in.connections.get(), 10)
            start = {"type": "stream.start", "language": "fr", "translate": True}
            await connection.send(
                json.dumps({**start, "stream_id": "tiny", "model": "whisper-tiny.en"})
            )
            refused = await next_message(connection, "stream.error")
            assert refused["stream_id"] == "tiny" and "only knows English" in refused["message"]
            await connection.send(json.dumps({**start, "stream_id": "marc-mic"}))
            ready = await next_message(connection, "stream.ready")
            packets = [p.serialize() for p in OpusPacketizer(payload_type=111).packets(audio, RATE)]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                loop = asyncio.get_running_loop()
                begin = loop.time()
                for index, data in enumerate(packets):  # paced like a live microphone
                    udp.sendto(data, ("127.0.0.1", ready["port"]))
                    await asyncio.sleep(max(0.0, begin + (index + 1) * 0.02 - loop.time()))
            captions: list[dict[str, Any]] = []
            with contextlib.suppress(TimeoutError):  # the last final came, then nothing more
                while True:
                    captions.append(await next_message(connection, "caption", timeout=15))
    finals = [c for c in captions if c["kind"] == "final" and c["text"]]
    assert finals and all(c["language"] == "fr" and c["translation"] for c in finals), captions
    assert not any("translation" in c for c in captions if c["kind"] == "partial")
    words = " ".join(c["translation"] for c in finals).lower().replace(",", " ").split()
    english = {"we", "the", "to", "a", "with", "and", "have", "need", "must", "write", "today"}
    assert sum(w.strip(".!?") in english for w in words) >= 2, words

"""How much RTP a speech worker's event loop takes in, in real time, while its decoder is busy.

    .venv/bin/python -m bench.rtp_intake [--streams 4] [--seconds 10]

The worker's own RTP handler (SRTP unprotect, Opus decode, resampling: ``_StreamReceiver``)
receives ``--streams`` microphones at 50 packets/s each from another process. Beside it, a
thread runs pure Python, as the recogniser's decoder thread does between model calls. Each C call
of the handler lets go of the interpreter lock and must get it back from the busy thread, after
at most its time slice (``sys.setswitchinterval``). Printed: packets handled while they were
sent (the rest wait in the socket buffer, late, or are dropped once it is full), with no busy
thread, and with one at Python's default slice (5 ms) and at 0.5 ms. It tells whether the
handler alone can keep up; in a real meeting the CPU is also shared with browsers and Janus.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import multiprocessing
import secrets
import socket
import sys
import threading
import time
from typing import Any

import numpy as np
import pylibsrtp

from visio.speech.audio import OpusPacketizer
from visio.speech.protocol import Srtp, StreamStart
from visio.speech.recogniser import RecognitionStream
from visio.speech.worker import _StreamReceiver


class _Discard:
    """Where the PCM goes: nowhere (recognition is not measured here)."""

    def feed(self, pcm: object, spoken_at: float | None = None) -> None:
        pass

    def close(self) -> None:
        pass


def _send(key: str, ports: list[int], seconds: float, sending: Any) -> None:
    policy = pylibsrtp.Policy(
        key=base64.b64decode(key),
        ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND,
        srtp_profile=pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
    )
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(int(16000 * seconds)) / 16000)).astype(
        np.float32
    )
    streams = []
    for n in range(len(ports)):
        session = pylibsrtp.Session(policy=policy)
        packets = OpusPacketizer(ssrc=1000 + n).packets(tone, 16000)
        streams.append([session.protect(p.serialize()) for p in packets])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        sending.set()  # packets ready: the clock starts now
        start = time.monotonic()
        for k in range(len(streams[0])):
            for port, stream in zip(ports, streams, strict=True):
                udp.sendto(stream[k], ("127.0.0.1", port))
            time.sleep(max(0.0, start + (k + 1) * 0.02 - time.monotonic()))


async def _intake(streams: int, seconds: float) -> tuple[int, int]:
    loop = asyncio.get_running_loop()
    key = base64.b64encode(secrets.token_bytes(30)).decode()
    receivers, ports = [], []
    for n in range(streams):
        start = StreamStart(stream_id=f"s{n}", language="en", srtp=Srtp(key=key))
        sink: RecognitionStream = _Discard()  # type: ignore[assignment]
        receiver = _StreamReceiver(start, sink, 16000)
        transport, _ = await loop.create_datagram_endpoint(
            lambda r=receiver: r, local_addr=("127.0.0.1", 0)
        )
        sock = transport.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        receivers.append(receiver)
        ports.append(transport.get_extra_info("sockname")[1])
    context = multiprocessing.get_context("spawn")
    sending = context.Event()
    sender = context.Process(target=_send, args=(key, ports, seconds, sending))
    sender.start()
    await loop.run_in_executor(None, sending.wait)  # the sender encodes its packets first
    await asyncio.sleep(seconds + 0.2)  # the time it takes to send them, and a little
    handled = sum(r.packets for r in receivers)
    sender.join()
    return handled, int(seconds * 50) * streams


def _busy(stop: threading.Event) -> None:
    total = 0
    while not stop.is_set():
        for i in range(1000):
            total += i * i


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--streams", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    print(f"{'decoder thread':34} {'handled in real time':>22}")
    for label, busy, interval in (
        ("idle", False, 0.005),
        ("running Python, 5 ms slices", True, 0.005),
        (
            "running Python, 0.5 ms slices",
            True,
            0.0005,
        ),
    ):
        sys.setswitchinterval(interval)
        stop = threading.Event()
        if busy:
            threading.Thread(target=_busy, args=(stop,), daemon=True).start()
        handled, sent = asyncio.run(_intake(args.streams, args.seconds))
        stop.set()
        print(f"{label:34} {handled:>8} of {sent} ({100 * handled / sent:.0f} %)")


if __name__ == "__main__":
    main()

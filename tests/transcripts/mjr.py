"""Writing a Janus recording (``.mjr``) of a microphone, as Janus's VideoRoom writes one: the
audio is encoded to Opus (PyAV's libopus, 20 ms frames), each frame sent as an RTP packet
(payload type 111, 48 kHz clock) and framed the way Janus's recorder frames packets: the
``MJR00002`` header with its JSON info (``u``: the first packet's wall-clock time), then
``MEET`` + milliseconds since the first packet + the packet's length + the packet."""

from __future__ import annotations

import json
import struct
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from numpy.typing import NDArray

OPUS_RATE = 48000
FRAME = 960  # 20 ms at 48 kHz


def _opus_packets(audio: NDArray[np.float32], rate: int) -> list[bytes]:
    """``audio`` (mono, floats) as Opus packets of 20 ms each."""
    pcm = np.repeat(audio, OPUS_RATE // rate) if rate != OPUS_RATE else audio
    pcm16 = (np.clip(pcm, -1, 1) * 32767).astype("<i2")
    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate = OPUS_RATE
    codec.layout = "mono"
    codec.format = av.AudioFormat("s16")
    codec.bit_rate = 32000
    codec.time_base = Fraction(1, OPUS_RATE)
    packets: list[bytes] = []
    for start in range(0, pcm16.size - FRAME + 1, FRAME):
        frame = av.AudioFrame.from_ndarray(
            pcm16[start : start + FRAME].reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate = OPUS_RATE
        frame.pts = start
        packets += [bytes(p) for p in codec.encode(frame)]
    packets += [bytes(p) for p in codec.encode(None)]
    return packets


def write_mjr(path: Path, audio: NDArray[np.float32], rate: int, first_packet_us: int) -> Path:
    """Write ``audio`` (mono floats at ``rate``, a multiple of 16 kHz dividing 48 kHz) as the
    ``.mjr`` Janus would have recorded of a microphone whose first packet came at
    ``first_packet_us`` (microseconds since the epoch)."""
    info = json.dumps(
        {"t": "a", "c": "opus", "d": "microphone", "s": first_packet_us, "u": first_packet_us}
    ).encode()
    body = bytearray(b"MJR00002" + struct.pack(">H", len(info)) + info)
    ssrc = 0x5A11E3
    for number, payload in enumerate(_opus_packets(audio, rate)):
        rtp = struct.pack(">BBHII", 0x80, 111, number & 0xFFFF, number * FRAME, ssrc) + payload
        body += b"MEET" + struct.pack(">IH", number * 20, len(rtp)) + rtp
    path.write_bytes(bytes(body))
    return path

"""RTP input: parsing, reordering, loss, and Opus decoding to 16 kHz PCM."""

from __future__ import annotations

import numpy as np
import pytest

from tests.speech.recordings import Recording
from visio.speech.audio import OpusDepacketizer, OpusPacketizer
from visio.speech.rtp import ReorderBuffer, RtpError, RtpPacket, SpeakingClock


def packet(sequence: int, ssrc: int = 7) -> RtpPacket:
    return RtpPacket(111, sequence, sequence * 960, ssrc, False, bytes([sequence & 0xFF]))


def test_rtp_packet_roundtrip_and_garbage_rejected() -> None:
    """What serialize writes, parse reads; non-RTP datagrams raise RtpError."""
    original = RtpPacket(111, 65535, 4_000_000_000, 0xDEADBEEF, True, b"opus")
    assert RtpPacket.parse(original.serialize()) == original
    with pytest.raises(RtpError):
        RtpPacket.parse(b"\x00" * 20)
    with pytest.raises(RtpError):
        RtpPacket.parse(b"\x80")


def test_rtp_reorder_buffer_restores_order_across_wraparound() -> None:
    """Swapped packets come out in sequence, across the 16-bit wrap."""
    buffer = ReorderBuffer(depth=3)
    order = [65533, 65535, 65534, 1, 0, 2, 3]
    out = [p.sequence for s in order for p in buffer.push(packet(s))]
    assert out == [65533, 65534, 65535, 0, 1, 2, 3]
    assert buffer.lost == 0


def test_rtp_reorder_buffer_gives_up_on_lost_packets_and_drops_late_ones() -> None:
    """A missing packet is skipped after `depth` later ones; it is dropped if it comes later."""
    buffer = ReorderBuffer(depth=2)
    out = [p.sequence for s in [10, 12, 13, 14, 11, 15, 15] for p in buffer.push(packet(s))]
    assert out == [10, 12, 13, 14, 15]
    assert buffer.lost == 1


def test_speaking_clock_shows_how_long_audio_waited_before_it_was_read() -> None:
    """Packets read on time are spoken when read; packets read in a burst after the reader was
    held up 3 s keep the times they were spoken, across the 32-bit timestamp wrap; a new SSRC
    starts afresh."""
    clock = SpeakingClock(48000)
    start = 0xFFFFFFFF - 960 * 100  # the timestamp wraps after 100 packets
    timestamps = [(start + 960 * k) & 0xFFFFFFFF for k in range(300)]
    # Packet k is sent at 0.02 k s; the first 150 are read as they come (some a little late),
    # then nothing is read for 3 s and the next 150 are read at once.
    read = [0.02 * k + (0.005 if k % 7 else 0.0) for k in range(150)] + [0.02 * 150 + 3.0] * 150
    spoken = [
        clock.spoken_at(RtpPacket(111, k, ts, 7, False, b""), at)
        for k, (ts, at) in enumerate(zip(timestamps, read, strict=True))
    ]
    assert spoken == pytest.approx([0.02 * k for k in range(300)], abs=1e-9)
    assert read[150] - spoken[150] == pytest.approx(3.0)  # the first of the burst waited 3 s
    # A new SSRC (the publisher renegotiated) with an unrelated timestamp: spoken when read.
    assert clock.spoken_at(RtpPacket(111, 0, 5, 8, False, b""), 100.0) == 100.0
    assert clock.spoken_at(RtpPacket(111, 1, 965, 8, False, b""), 100.5) == pytest.approx(100.02)


def test_rtp_opus_roundtrip_keeps_the_speech(librivox: list[Recording]) -> None:
    """Opus RTP encoded with PyAV decodes back to 16 kHz audio that matches the recording."""
    recording = librivox[1]
    packets = OpusPacketizer().packets(recording.audio, 16000)
    assert len(packets) == pytest.approx(recording.seconds / 0.02, abs=2)
    decoder = OpusDepacketizer(16000)
    decoded = np.concatenate([decoder.decode(RtpPacket.parse(p.serialize())) for p in packets])
    assert decoded.size == pytest.approx(recording.audio.size, abs=1000)
    # Align (codec delay), then compare: the waveform survives 32 kb/s Opus.
    lag = int(np.argmax(np.correlate(decoded[:16000], recording.audio[4000:8000], "valid"))) - 4000
    assert 0 <= lag < 400
    n = min(decoded.size - lag, recording.audio.size) - 100
    assert np.corrcoef(decoded[lag : lag + n], recording.audio[:n])[0, 1] > 0.9


def test_rtp_opus_timestamp_gap_becomes_silence(librivox: list[Recording]) -> None:
    """A lost packet leaves a 20 ms hole of silence, so the stream's clock does not drift."""
    packets = OpusPacketizer().packets(librivox[1].audio[:16000], 16000)
    decoder = OpusDepacketizer(16000)
    kept = [p for i, p in enumerate(packets) if i != 10]
    decoded = np.concatenate([decoder.decode(p) for p in kept])
    reference = OpusDepacketizer(16000)
    complete = np.concatenate([reference.decode(p) for p in packets])
    assert decoded.size == complete.size
    hole = slice(304 + 9 * 320, 304 + 10 * 320)
    assert not decoded[hole].any() and complete[hole].any()

"""Opus RTP payloads to mono float32 PCM at the recogniser's rate, with PyAV (libavcodec)."""

from __future__ import annotations

import av
import numpy as np
from numpy.typing import NDArray

from visio.speech.rtp import RtpPacket

OPUS_RATE = 48000
MAX_GAP_SECONDS = 10.0  # longer holes in the RTP timeline are filled with this much silence


class OpusDepacketizer:
    """Decodes one RTP stream's Opus payloads, in order, into PCM at ``rate`` Hz.

    Holes in the RTP timestamps (lost packets, or DTX while the speaker is silent) become silence
    of the same length (capped at ``MAX_GAP_SECONDS``), so the stream's clock stays close to the
    speaker's.
    """

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._decoder = av.CodecContext.create("opus", "r")
        self._decoder.sample_rate = OPUS_RATE
        self._resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        self._expected_timestamp: int | None = None
        self.gap_seconds = 0.0
        """Silence put in for holes in the RTP timeline (lost packets, DTX), in all."""

    def decode(self, packet: RtpPacket) -> NDArray[np.float32]:
        """PCM for one packet (plus silence for any hole before it)."""
        chunks: list[NDArray[np.float32]] = []
        if self._expected_timestamp is not None:
            gap = (packet.timestamp - self._expected_timestamp) & 0xFFFFFFFF
            if 0 < gap < 0x80000000:
                seconds = min(gap / OPUS_RATE, MAX_GAP_SECONDS)
                self.gap_seconds += seconds
                chunks.append(np.zeros(int(seconds * self.rate), dtype=np.float32))
        for frame in self._decoder.decode(av.Packet(packet.payload)):
            samples = frame.samples
            self._expected_timestamp = (packet.timestamp + samples) & 0xFFFFFFFF
            for out in self._resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1).astype(np.float32, copy=False))
        if not chunks:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate(chunks)


class OpusPacketizer:
    """Encodes PCM into Opus RTP packets, 20 ms each: what tests and benchmarks send to a worker."""

    def __init__(
        self, payload_type: int = 111, ssrc: int = 0x1234ABCD, sequence: int = 1000
    ) -> None:
        self.payload_type = payload_type
        self.ssrc = ssrc
        self.sequence = sequence
        self.timestamp = 12345
        encoder = av.CodecContext.create("libopus", "w")
        encoder.sample_rate = OPUS_RATE
        encoder.layout = "mono"
        encoder.format = "s16"
        encoder.bit_rate = 32000
        encoder.open()
        self._encoder = encoder
        self._resampler = av.AudioResampler(
            format="s16", layout="mono", rate=OPUS_RATE, frame_size=960
        )

    def packets(self, pcm: NDArray[np.float32], rate: int) -> list[RtpPacket]:
        """RTP packets for ``pcm`` (mono float32 at ``rate`` Hz)."""
        frame = av.AudioFrame.from_ndarray(
            (np.clip(pcm, -1, 1) * 32767).astype(np.int16).reshape(1, -1),
            format="s16",
            layout="mono",
        )
        frame.sample_rate = rate
        out: list[RtpPacket] = []
        for resampled in self._resampler.resample(frame):
            for encoded in self._encoder.encode(resampled):
                out.append(
                    RtpPacket(
                        self.payload_type,
                        self.sequence,
                        self.timestamp,
                        self.ssrc,
                        False,
                        bytes(encoded),
                    )
                )
                self.sequence = (self.sequence + 1) & 0xFFFF
                self.timestamp = (self.timestamp + 960) & 0xFFFFFFFF
        return out

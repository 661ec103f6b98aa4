"""Plain RTP as Janus's VideoRoom ``rtp_forward`` sends it, and a small reorder buffer."""

from __future__ import annotations

import struct
from dataclasses import dataclass

_HEADER = struct.Struct("!BBHII")


class RtpError(ValueError):
    """Not an RTP packet we can use."""


@dataclass(frozen=True)
class RtpPacket:
    """The fields of an RTP packet (RFC 3550) that audio decoding needs."""

    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    marker: bool
    payload: bytes

    @classmethod
    def parse(cls, data: bytes) -> RtpPacket:
        """Parse one datagram; raises :class:`RtpError` for anything but RTP version 2."""
        if len(data) < _HEADER.size:
            raise RtpError("shorter than an RTP header")
        first, second, sequence, timestamp, ssrc = _HEADER.unpack_from(data)
        if first >> 6 != 2:
            raise RtpError("not RTP version 2")
        offset = _HEADER.size + 4 * (first & 0x0F)
        if first & 0x10:  # header extension
            if len(data) < offset + 4:
                raise RtpError("truncated header extension")
            words = struct.unpack_from("!H", data, offset + 2)[0]
            offset += 4 + 4 * words
        end = len(data)
        if first & 0x20:  # padding
            end -= data[-1]
        if offset > end:
            raise RtpError("truncated packet")
        return cls(second & 0x7F, sequence, timestamp, ssrc, bool(second & 0x80), data[offset:end])

    def serialize(self) -> bytes:
        """The packet as bytes (no CSRCs, no extension): what tests and benchmarks send."""
        second = (0x80 if self.marker else 0) | self.payload_type
        return _HEADER.pack(0x80, second, self.sequence, self.timestamp, self.ssrc) + self.payload


def _newer(a: int, b: int) -> bool:
    """Whether 16-bit sequence number ``a`` comes after ``b`` (RFC 1982 arithmetic)."""
    return a != b and ((a - b) & 0xFFFF) < 0x8000


class ReorderBuffer:
    """Puts packets back in sequence order, waiting for at most ``depth`` packets.

    ``push`` returns the packets that are ready, in order; a missing packet is given up on (and
    counted in ``lost``) once ``depth`` later packets have arrived. Late and duplicate packets are
    dropped. A new SSRC (the publisher renegotiated) restarts the sequence.
    """

    def __init__(self, depth: int = 5) -> None:
        self.depth = depth
        self.lost = 0
        self._held: dict[int, RtpPacket] = {}
        self._next: int | None = None
        self._ssrc: int | None = None

    def push(self, packet: RtpPacket) -> list[RtpPacket]:
        if packet.ssrc != self._ssrc:
            released = self.flush()
            self._ssrc = packet.ssrc
            self._next = packet.sequence
            return released + self._accept(packet)
        assert self._next is not None
        if packet.sequence != self._next and not _newer(packet.sequence, self._next):
            return []  # late or duplicate
        return self._accept(packet)

    def _accept(self, packet: RtpPacket) -> list[RtpPacket]:
        self._held[packet.sequence] = packet
        released: list[RtpPacket] = []
        while self._held:
            assert self._next is not None
            if self._next in self._held:
                released.append(self._held.pop(self._next))
                self._next = (self._next + 1) & 0xFFFF
            elif len(self._held) > self.depth:
                self.lost += 1
                self._next = (self._next + 1) & 0xFFFF
            else:
                break
        return released

    def flush(self) -> list[RtpPacket]:
        """Everything still held, in order (for a stream that ends)."""
        if self._next is None:
            return []
        start = self._next
        ordered = sorted(self._held.values(), key=lambda p: (p.sequence - start) & 0xFFFF)
        self._held.clear()
        return ordered


class SpeakingClock:
    """When each packet's audio was spoken, on this machine's monotonic clock.

    RTP timestamps count the sender's samples; the packet that arrived soonest after its
    timestamp is taken as one that waited for nothing, and every other packet's wait is measured
    from it. Audio that sat in the socket's buffer while the worker was held up therefore shows
    its true age, which the time it was read does not. A new SSRC, or a timestamp that goes back
    (the publisher renegotiated), starts the clock afresh.
    """

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._ssrc: int | None = None
        self._last: int | None = None
        self._samples = 0  # the timestamp, unwrapped, counted from the first packet
        self._origin = 0.0  # monotonic time at which sample 0 was spoken (earliest estimate)

    def spoken_at(self, packet: RtpPacket, arrived: float) -> float:
        """The monotonic time ``packet`` (in sequence order) was spoken; ``arrived``: when it
        was read."""
        step = 0 if self._last is None else (packet.timestamp - self._last) & 0xFFFFFFFF
        if packet.ssrc != self._ssrc or self._last is None or step >= 0x80000000:
            self._ssrc, self._samples = packet.ssrc, 0
            self._origin = arrived
        else:
            self._samples += step
        self._last = packet.timestamp
        media = self._samples / self.rate
        self._origin = min(self._origin, arrived - media)
        return self._origin + media

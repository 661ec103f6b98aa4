"""The worker's SRTP: what Janus encrypts with the stream key decrypts; anything else is refused."""

from __future__ import annotations

import base64
import secrets
import struct

import pylibsrtp
import pytest

from visio.speech.worker import srtp_session


def rtp(sequence: int, payload: bytes) -> bytes:
    return struct.pack("!BBHII", 0x80, 111, sequence, 48000 + sequence * 960, 0x1234) + payload


def sender(key: bytes) -> pylibsrtp.Session:
    policy = pylibsrtp.Policy(
        key=key,
        ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND,
        srtp_profile=pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
    )
    return pylibsrtp.Session(policy=policy)


def test_srtp_round_trip_with_the_stream_key() -> None:
    """Packets protected with the SDES-style key decrypt to the original RTP."""
    key = secrets.token_bytes(30)
    protect, unprotect = sender(key), srtp_session(base64.b64encode(key).decode())
    for sequence in range(5):
        packet = rtp(sequence, b"opus-frame-%d" % sequence)
        encrypted = protect.protect(packet)
        assert encrypted[12:] != packet[12:] + encrypted[len(packet) :]
        assert unprotect.unprotect(encrypted) == packet


def test_srtp_refuses_tampered_foreign_and_plain_packets() -> None:
    """A flipped bit, another key, or plain RTP all fail authentication."""
    key = secrets.token_bytes(30)
    unprotect = srtp_session(base64.b64encode(key).decode())
    encrypted = bytearray(sender(key).protect(rtp(1, b"hello")))
    encrypted[14] ^= 0x01
    with pytest.raises(pylibsrtp.Error):
        unprotect.unprotect(bytes(encrypted))
    with pytest.raises(pylibsrtp.Error):
        unprotect.unprotect(sender(secrets.token_bytes(30)).protect(rtp(2, b"hello")))
    with pytest.raises(pylibsrtp.Error):
        unprotect.unprotect(rtp(3, b"plain rtp, no auth tag"))

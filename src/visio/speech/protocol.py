"""The worker protocol (version 1): JSON messages between the app server and speech workers.

docs/speech.md is the reference; these models are its executable form, for both ends.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    model_serializer,
)

PROTOCOL_VERSION = 1
StreamId = Annotated[str, Field(min_length=1, max_length=128)]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    _added_later: ClassVar[tuple[str, ...]] = ()
    """Fields added after version 1 shipped: left out while they hold their default, so that a
    peer older than them (which refuses unknown fields) still understands the message."""

    @model_serializer(mode="wrap")
    def _leave_out_added_later(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        for name in self._added_later:
            if isinstance(data, dict) and data.get(name) == type(self).model_fields[name].default:
                del data[name]
        return data


# --- worker → server ---------------------------------------------------------------------------
class Hello(_Message):
    type: Literal["hello"] = "hello"
    version: Literal[1] = 1
    worker_id: str = Field(min_length=1, max_length=128)
    host: str = Field(min_length=1, max_length=255)
    capacity: int = Field(ge=0)
    models: list[str] = Field(max_length=64)


class StreamReady(_Message):
    type: Literal["stream.ready"] = "stream.ready"
    stream_id: StreamId
    port: int = Field(ge=1, le=65535)


class CaptionWord(_Message):
    text: str = Field(max_length=256)
    start: float
    end: float


class CaptionMessage(_Message):
    type: Literal["caption"] = "caption"
    stream_id: StreamId
    segment_id: str = Field(min_length=1, max_length=128)
    kind: Literal["partial", "final"]
    text: str = Field(max_length=4096)
    language: str = Field(max_length=16)
    start: float
    end: float
    words: list[CaptionWord] = Field(max_length=1000)
    _added_later = ("translation",)
    translation: str = Field(default="", max_length=4096)
    """On finals of streams started with ``translate``: the text in English (empty when it was
    spoken in English, or from workers older than this field)."""


class StreamError(_Message):
    type: Literal["stream.error"] = "stream.error"
    stream_id: StreamId
    message: str = Field(max_length=1024)


BEHIND_SECONDS = 2.0
"""A worker whose finals come later than this after speech ends (or whose oldest waiting audio
is older) cannot keep up: it says so in its log, and app servers place new streams elsewhere."""


class WorkerLoad(_Message):
    """How well a worker keeps up (sent in ``pong``). Seconds are of audio."""

    dropped_seconds: float = Field(ge=0)
    """Audio not recognised since the worker started (came too late, queue overflow, failed
    decodes): a counter, it never goes down."""
    backlog_seconds: float = Field(ge=0)
    """Age of the oldest audio waiting for the recogniser, on the most behind stream, now."""
    decode_errors: int = Field(ge=0)
    """Decodes that failed since the worker started: a counter."""
    streams: int = Field(ge=0)
    """Streams the worker carries now."""
    final_lag_seconds: float = Field(default=0.0, ge=0)
    """On the most behind stream, how long after the end of the last utterance its final came:
    a few tenths of a second when the worker keeps up."""
    rtp_packets: int = Field(default=0, ge=0)
    """RTP packets received and accepted, all streams, since the worker started: a counter."""
    rtp_lost: int = Field(default=0, ge=0)
    """Packets missing from a stream's sequence (never arrived, or too late): a counter."""
    rtp_rejected: int = Field(default=0, ge=0)
    """Datagrams refused (SRTP authentication, not RTP, wrong payload type): a counter."""
    silent_streams: int = Field(default=0, ge=0)
    """Streams that received no RTP packet in the last few seconds, now (Janus sends a
    microphone's packets all the time, silence included: none means its audio is not arriving)."""


class Pong(_Message):
    type: Literal["pong"] = "pong"
    load: WorkerLoad | None = None
    """Absent from workers older than this field; the server then shows no load figures."""


WorkerMessage = Annotated[
    Hello | StreamReady | CaptionMessage | StreamError | Pong, Field(discriminator="type")
]


# --- server → worker ---------------------------------------------------------------------------
class Welcome(_Message):
    type: Literal["welcome"] = "welcome"
    worker_id: str


class Srtp(_Message):
    """How the RTP is encrypted: SRTP AES_CM_128_HMAC_SHA1_80, key as in SDES (base64 of the
    16-byte master key followed by the 14-byte master salt)."""

    suite: Literal["AES_CM_128_HMAC_SHA1_80"] = "AES_CM_128_HMAC_SHA1_80"
    key: str = Field(min_length=40, max_length=40)


class StreamStart(_Message):
    type: Literal["stream.start"] = "stream.start"
    stream_id: StreamId
    language: Literal["fr", "en", "auto"] = "auto"
    model: str | None = None
    payload_type: int = Field(default=111, ge=0, le=127)
    sample_rate: Literal[48000] = 48000
    srtp: Srtp | None = None
    """Present when the audio arrives encrypted (the server's default)."""
    _added_later = ("translate",)
    translate: bool = False
    """Finals also in English (``caption.translation``), for viewers who want it. A server older
    than this field never sends it; a worker older than it refuses the ``stream.start``."""


class StreamStop(_Message):
    type: Literal["stream.stop"] = "stream.stop"
    stream_id: StreamId


class Ping(_Message):
    type: Literal["ping"] = "ping"


ServerMessage = Annotated[Welcome | StreamStart | StreamStop | Ping, Field(discriminator="type")]

worker_message = TypeAdapter[WorkerMessage](WorkerMessage)
server_message = TypeAdapter[ServerMessage](ServerMessage)

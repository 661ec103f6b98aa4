"""The speech worker protocol, version 1 (docs/speech.md), as Pydantic models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter

WORKER_PROTOCOL_VERSION = 1

StreamId = Annotated[str, StringConstraints(min_length=1, max_length=128)]
ShortText = Annotated[str, StringConstraints(max_length=128)]


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


# ---- worker → server ---------------------------------------------------------------------------


class Hello(_Message):
    type: Literal["hello"]
    version: int
    worker_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    host: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    capacity: Annotated[int, Field(ge=1, le=1000)]
    models: list[ShortText] = []


class StreamReady(_Message):
    type: Literal["stream.ready"]
    stream_id: StreamId
    port: Annotated[int, Field(ge=1, le=65535)]


class Word(_Message):
    text: Annotated[str, StringConstraints(max_length=256)]
    start: float
    end: float


class WorkerCaption(_Message):
    type: Literal["caption"]
    stream_id: StreamId
    segment_id: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    kind: Literal["partial", "final"]
    text: Annotated[str, StringConstraints(max_length=4096)]
    language: ShortText | None = None
    start: float | None = None
    end: float | None = None
    words: Annotated[list[Word], Field(max_length=1000)] = []


class StreamError(_Message):
    type: Literal["stream.error"]
    stream_id: StreamId
    message: Annotated[str, StringConstraints(max_length=1024)] = ""


class Pong(_Message):
    type: Literal["pong"]


WorkerMessage = Annotated[
    Hello | StreamReady | WorkerCaption | StreamError | Pong, Field(discriminator="type")
]
WORKER_MESSAGE: TypeAdapter[WorkerMessage] = TypeAdapter(WorkerMessage)


# ---- server → worker ---------------------------------------------------------------------------


class Welcome(_Message):
    type: Literal["welcome"] = "welcome"
    worker_id: str


class StreamStart(_Message):
    type: Literal["stream.start"] = "stream.start"
    stream_id: str
    language: Literal["fr", "en", "auto"]
    model: str | None = None
    payload_type: int = 111
    sample_rate: int = 48000


class StreamStop(_Message):
    type: Literal["stream.stop"] = "stream.stop"
    stream_id: str


class Ping(_Message):
    type: Literal["ping"] = "ping"


ServerMessage = Welcome | StreamStart | StreamStop | Ping

"""A local server speaking the protocol of Kyutai's moshi-server ``/api/asr-streaming``.

The real server needs a GPU and the Kyutai weights, neither of which exists here. This one checks
the API key, checks every frame is MessagePack ``Audio`` of 80 ms at 24 kHz (or a ``Marker``),
and answers like moshi-server does: a ``Step`` per frame, and ``Word``/``EndWord`` for a scripted
transcript, each once the audio up to that word (plus the model's delay) has arrived.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgpack
import numpy as np
from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

FRAME = 1920
RATE = 24000


@dataclass
class ScriptedKyutaiServer:
    words: list[tuple[str, float, float]]  # what "the model" hears: text, start, end (s)
    api_key: str = "open_token"
    delay: float = 0.5  # Kyutai STT 1B answers 0.5 s after the audio
    received: list[np.ndarray] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def check_auth(self, connection: ServerConnection, request: Request) -> Response | None:
        if request.path != "/api/asr-streaming":
            return connection.respond(404, "not found\n")
        if request.headers.get("kyutai-api-key") != self.api_key:
            return connection.respond(401, "bad api key\n")
        return None

    async def handler(self, connection: ServerConnection) -> None:
        steps = 0
        next_word = 0
        open_word = False
        marker: tuple[int, int] | None = None  # (id, step at which to return it)
        async for raw in connection:
            if not isinstance(raw, bytes):
                self.errors.append("text frame")
                continue
            message: dict[str, Any] = msgpack.unpackb(raw, raw=False)
            if message.get("type") == "Marker":
                marker = (int(message["id"]), steps + int(self.delay * RATE / FRAME) + 1)
                continue
            if message.get("type") != "Audio" or len(message.get("pcm", [])) != FRAME:
                self.errors.append(f"bad frame {message.get('type')}")
                continue
            self.received.append(np.asarray(message["pcm"], dtype=np.float32))
            steps += 1
            heard = steps * FRAME / RATE - self.delay  # audio time the model has decided on
            out: list[dict[str, Any]] = []
            if open_word and self.words[next_word - 1][2] <= heard:
                out.append({"type": "EndWord", "stop_time": self.words[next_word - 1][2]})
                open_word = False
            if not open_word and next_word < len(self.words) and self.words[next_word][1] <= heard:
                text, start, _ = self.words[next_word]
                out.append({"type": "Word", "text": text, "start_time": start})
                next_word += 1
                open_word = True
            out.append(
                {"type": "Step", "step_idx": steps - 1, "prs": [0.0, 0.0, 0.0], "buffered_pcm": 0}
            )
            for item in out:
                await connection.send(msgpack.packb(item, use_single_float=True))
            if marker is not None and steps >= marker[1]:
                await connection.send(msgpack.packb({"type": "Marker", "id": marker[0]}))
                marker = None

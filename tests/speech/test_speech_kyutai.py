"""The Kyutai STT client against a local server that speaks moshi-server's streaming protocol.

(The real moshi-server needs a GPU and multi-GB weights: it cannot run here.)
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from websockets.asyncio.server import serve

from tests.speech.kyutai_server import FRAME, RATE, ScriptedKyutaiServer
from visio.speech.kyutai import KyutaiRecogniser
from visio.speech.recogniser import Caption

WORDS = [("Hello", 0.5, 0.9), ("everyone", 1.0, 1.5), ("next", 3.5, 3.8), ("slide", 3.9, 4.3)]


async def test_kyutai_words_become_partials_then_a_final_per_pause() -> None:
    """Words stream in as partials; a pause closes the utterance into a final with word timings."""
    kyutai = ScriptedKyutaiServer(WORDS)
    async with serve(kyutai.handler, "127.0.0.1", 0, process_request=kyutai.check_auth) as server:
        port = server.sockets[0].getsockname()[1]
        recogniser = KyutaiRecogniser(f"ws://127.0.0.1:{port}/api/asr-streaming", "open_token")
        captions: list[Caption] = []
        stream = recogniser.open_stream("en", None, captions.append)
        audio = (np.sin(np.arange(int(5.0 * RATE)) * 0.05) * 0.1).astype(np.float32)
        for offset in range(0, audio.size, 480):  # 20 ms at 24 kHz, as the RTP path feeds it
            stream.feed(audio[offset : offset + 480])
        stream.close()
        await asyncio.wait_for(stream.wait_closed(), 20)

    assert kyutai.errors == [] and stream.error is None
    sent = np.concatenate(kyutai.received)
    assert np.allclose(sent[: audio.size], audio, atol=1e-6)  # every sample arrived, in order
    assert sent.size % FRAME == 0
    finals = [c for c in captions if c.kind == "final"]
    assert [c.text for c in finals] == ["Hello everyone", "next slide"]
    assert finals[0].segment_id != finals[1].segment_id
    assert [(w.text, w.start, w.end) for w in finals[1].words] == [
        ("next", pytest.approx(3.5), pytest.approx(3.8)),
        ("slide", pytest.approx(3.9), pytest.approx(4.3)),
    ]
    partials = [c.text for c in captions if c.kind == "partial"]
    assert "Hello" in partials and "next" in partials
    first_final = captions.index(finals[0])
    assert all(c.segment_id == finals[0].segment_id for c in captions[:first_final])


async def test_kyutai_wrong_api_key_is_reported() -> None:
    """A refused connection leaves an error on the stream, and no captions."""
    kyutai = ScriptedKyutaiServer(WORDS, api_key="right")
    async with serve(kyutai.handler, "127.0.0.1", 0, process_request=kyutai.check_auth) as server:
        port = server.sockets[0].getsockname()[1]
        captions: list[Caption] = []
        stream = KyutaiRecogniser(f"ws://127.0.0.1:{port}/api/asr-streaming", "wrong").open_stream(
            "fr", None, captions.append
        )
        stream.close()
        await asyncio.wait_for(stream.wait_closed(), 10)
    assert stream.error is not None and "401" in stream.error
    assert captions == []

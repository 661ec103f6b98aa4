"""The WebSocket speech workers connect to: authenticated, validated, then handed to the pool."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging

from fastapi import APIRouter
from pydantic import ValidationError
from starlette.websockets import WebSocket, WebSocketDisconnect

from visio.speech.pool import SpeechWorkerPool, WorkerConnection
from visio.speech.protocol import (
    PROTOCOL_VERSION,
    Hello,
    Ping,
    Pong,
    Welcome,
    worker_message,
)

logger = logging.getLogger(__name__)

CLOSE_UNAUTHORISED = 4401
CLOSE_PROTOCOL = 4400
PING_INTERVAL = 5.0
SILENCE_LIMIT = 15.0


def _authorised(websocket: WebSocket, secret: str | None) -> bool:
    header = websocket.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return (
        bool(secret)
        and scheme.lower() == "bearer"
        and hmac.compare_digest(token.encode(), (secret or "").encode())
    )


async def serve_worker(websocket: WebSocket, pool: SpeechWorkerPool, secret: str | None) -> None:
    """Run one worker's connection until it closes or goes silent."""
    if not _authorised(websocket, secret):
        logger.warning(
            "speech worker refused from %s: bad or missing secret",
            websocket.client.host if websocket.client else "?",
        )
        await websocket.close(CLOSE_UNAUTHORISED)
        return
    await websocket.accept()
    try:
        first = worker_message.validate_json(await asyncio.wait_for(websocket.receive_text(), 10))
    except (TimeoutError, ValidationError, WebSocketDisconnect, KeyError):
        await websocket.close(CLOSE_PROTOCOL)
        return
    if not isinstance(first, Hello) or first.version != PROTOCOL_VERSION:
        await websocket.close(CLOSE_PROTOCOL)
        return
    worker = WorkerConnection(first.worker_id, first.host, first.capacity, list(first.models))
    worker.send(Welcome(worker_id=worker.worker_id))
    pool.register(worker)
    writer = asyncio.create_task(_write(websocket, worker))
    pinger = asyncio.create_task(_ping(worker))
    try:
        while True:
            raw = await asyncio.wait_for(websocket.receive_text(), SILENCE_LIMIT)
            try:
                message = worker_message.validate_json(raw)
            except ValidationError as exc:
                logger.warning(
                    "speech worker %s sent an invalid message: %s",
                    worker.worker_id,
                    exc.errors(include_url=False)[:3],
                )
                continue
            if isinstance(message, Pong):
                worker.load = message.load or worker.load
                continue
            if isinstance(message, Hello):
                continue
            pool.on_message(worker, message)
    except (TimeoutError, WebSocketDisconnect, RuntimeError, json.JSONDecodeError):
        pass
    finally:
        pinger.cancel()
        pool.unregister(worker)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(writer, 2)
        writer.cancel()
        with contextlib.suppress(Exception):
            await websocket.close()


async def _write(websocket: WebSocket, worker: WorkerConnection) -> None:
    while True:
        message = await worker.outbox.get()
        if message is None:
            return
        await websocket.send_text(message.model_dump_json())


async def _ping(worker: WorkerConnection) -> None:
    while True:
        await asyncio.sleep(PING_INTERVAL)
        worker.send(Ping())


router = APIRouter(prefix="/api/v1/speech")


@router.websocket("/workers/ws")
async def worker_socket(websocket: WebSocket) -> None:
    """Speech workers connect here (docs/speech.md)."""
    container = websocket.app.state.container
    await serve_worker(websocket, container.speech_pool, container.speech_worker_secret)

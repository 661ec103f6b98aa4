"""Administrative requests to Janus's VideoRoom plugin: rooms and RTP forwarders.

They go through one "manager" handle per Janus session and carry the plugin's ``admin_key``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from visio.media.engine import MediaEngine
from visio.media.janus.client import JanusError, JanusHandle, JsonObject, PluginEvent
from visio.media.janus.replies import ForwardReply, read

VIDEOROOM = "janus.plugin.videoroom"


class VideoRoomHandle:
    """A participant's handle on the VideoRoom plugin (publisher or subscriber): what both do."""

    def __init__(self, handle: JanusHandle) -> None:
        self._handle = handle

    async def trickle(self, candidate: JsonObject | None) -> None:
        """A browser's ICE candidate for this handle's PeerConnection (None: no more)."""
        await self._handle.trickle(candidate)

    def forget(self) -> None:
        """Janus is gone with the handle: drop it without asking Janus anything."""
        self._handle.forget()

    async def detach(self) -> None:
        """Janus hangs up the PeerConnection."""
        await self._handle.detach()


@dataclass(frozen=True)
class TalkDetection:
    """The VideoRoom's talk detection: Janus averages the audio level (in -dBov, 0 loudest, 127
    silence) of each publisher over ``packets`` packets and says ``talking`` while the average is
    under ``level``."""

    packets: int
    level: int


async def _ignore_event(_: PluginEvent) -> None:
    return None


class VideoRoomAdmin:
    """Creates and destroys VideoRoom rooms and the RTP forwarders of their publishers."""

    def __init__(self, engine: MediaEngine) -> None:
        self._engine = engine
        self._handle: JanusHandle | None = None
        self._generation = 0
        self._lock = asyncio.Lock()

    async def _manager(self) -> JanusHandle:
        async with self._lock:
            if self._handle is None or self._generation != self._engine.generation:
                self._handle = await self._engine.session.attach(VIDEOROOM, _ignore_event)
                self._generation = self._engine.generation
            return self._handle

    async def _request(self, body: JsonObject) -> JsonObject:
        if self._engine.room_admin_key:
            body = {**body, "admin_key": self._engine.room_admin_key}
        data, _ = await (await self._manager()).message(body)
        return data

    async def create_room(
        self,
        room_id: int,
        description: str,
        max_publishers: int,
        talk_detection: TalkDetection | None = None,
    ) -> None:
        """Create a room; with ``talk_detection``, Janus tells every publisher handle when one
        of them starts or stops talking (see :mod:`visio.rooms.speakers`)."""
        request: JsonObject = {
            "request": "create",
            "room": room_id,
            "description": description,
            "publishers": max_publishers,
            "audiocodec": "opus",
            "videocodec": "vp8",
            "fir_freq": 10,
            "notify_joining": False,
            "is_private": True,
            "permanent": False,
        }
        if talk_detection is not None:
            request |= {
                "audiolevel_ext": True,
                "audiolevel_event": True,
                "audio_active_packets": talk_detection.packets,
                "audio_level_average": talk_detection.level,
            }
        await self._request(request)

    async def destroy_room(self, room_id: int) -> None:
        await self._request({"request": "destroy", "room": room_id})

    async def forward_rtp(
        self,
        room_id: int,
        feed_id: int,
        mid: str,
        host: str,
        port: int,
        payload_type: int,
        srtp_key: str | None = None,
    ) -> int:
        """Send one publisher stream to ``host:port``, as SRTP when given a key (base64 of the
        AES_CM_128_HMAC_SHA1_80 master key and salt) or else as plain RTP; return the forwarder id.
        """
        request: JsonObject = {
            "request": "rtp_forward",
            "room": room_id,
            "publisher_id": feed_id,
            "host": host,
            "host_family": "ipv6" if ":" in host else "ipv4",
            "streams": [{"mid": mid, "port": port, "pt": payload_type}],
        }
        if srtp_key is not None:
            request |= {"srtp_suite": 80, "srtp_crypto": srtp_key}
        reply = read(ForwardReply, await self._request(request), "rtp_forward reply")
        if not reply.forwarders:
            raise JanusError(0, "Janus created no forwarder")
        return reply.forwarders[0].stream_id

    async def stop_forwarding(self, room_id: int, feed_id: int, forwarder_id: int) -> None:
        await self._request(
            {
                "request": "stop_rtp_forward",
                "room": room_id,
                "publisher_id": feed_id,
                "stream_id": forwarder_id,
            }
        )

    async def list_forwarders(self, room_id: int) -> list[JsonObject]:
        """Every RTP forwarder of the room's publishers (what leaves Janus besides WebRTC)."""
        data = await self._request({"request": "listforwarders", "room": room_id})
        publishers = data.get("publishers") or []
        return [
            {"publisher_id": p.get("publisher_id"), **f}
            for p in publishers
            for f in (p.get("forwarders") or [])
        ]

    async def set_recording_folder(self, room_id: int, folder: str) -> None:
        """Where the room's next ``.mjr`` files go (the room's and its publishers' own)."""
        await self._request({"request": "edit", "room": room_id, "new_rec_dir": folder})

    async def record(self, room_id: int, folder: str | None) -> None:
        """Record every publisher of the room, those who publish later included, into
        ``folder`` (one ``.mjr`` file per track); None: stop recording (Janus closes the files).
        """
        if folder is not None:
            await self._request({"request": "edit", "room": room_id, "new_rec_dir": folder})
        await self._request(
            {"request": "enable_recording", "room": room_id, "record": folder is not None}
        )

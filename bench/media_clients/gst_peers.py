"""Synthetic WebRTC participants for bench/janus_forwarding.py, built on GStreamer's webrtcbin.

Run by Debian's Python (``/usr/bin/python3``), which has PyGObject and the GStreamer
introspection data (python3-gi, gir1.2-gst-plugins-bad-1.0); the project's virtual environment
has neither. One process hosts many peers on one GLib main loop; media flows in GStreamer's own
threads, so Python runs only for signaling, statistics and one push per frame, never per
packet.

- A publisher sends pre-encoded files (VP8 in WebM, Opus in WebM), read once into memory, in a
  loop: appsrc, paced to the clock, RTP-packetised. Nothing is encoded.
- A subscriber links every track webrtcbin receives (SRTP already removed) to a fakesink:
  packets are counted by webrtcbin's RTP session and dropped. Nothing is decoded.

The parent speaks JSON lines on stdin and gets JSON lines on stdout:

    {"cmd": "publish", "peer": "p0", "video": "/x/video.webm", "audio": "/x/audio.webm"}
        → {"peer": "p0", "event": "offer", "sdp": ...}     (candidates included)
        ("levels": true adds the ssrc-audio-level header extension to the audio: silence
        until the peer is told to talk)
    {"cmd": "talk", "peer": "p0", "talking": true}  → {"peer": "p0", "event": "talk"}
        (from the next audio packet on, the level says speech: -20 dBov, voice; else 127)
    {"cmd": "answer", "peer": "p0", "sdp": ...}
    {"cmd": "subscribe", "peer": "s0", "sdp": ...}  (Janus's offer)
        → {"peer": "s0", "event": "answer", "sdp": ...}
    {"cmd": "candidate", "peer": "p0", "mline": 0, "candidate": "candidate:..."}
    {"cmd": "stats"}  → {"event": "stats", "peers": {"s0": {"received_video":
        {"streams": 1, "packets": ..., "bytes": ..., "lost": ...}, "sent_audio": {...}}}}
    {"cmd": "close", "peer": "s0"}
    {"cmd": "quit"}

Errors come back as ``{"peer": ..., "event": "error", "message": ...}``.
"""

from __future__ import annotations

import ctypes
import faulthandler
import json
import os
import signal
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstAudio", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("GstWebRTC", "1.0")
from gi.repository import GLib, Gst, GstAudio, GstSdp, GstWebRTC  # noqa: E402

VIDEO_CAPS = "application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000"
AUDIO_CAPS = "application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000"
AUDIO_LEVEL_CAPS = (
    AUDIO_CAPS + ',extmap-1=(string)<"",urn:ietf:params:rtp-hdrext:ssrc-audio-level,"vad=on">'
)
"""The payloader writes each packet's level from the buffer's GstAudioLevelMeta (set per push)."""
SPEECH_DBOV, SILENCE_DBOV = 20, 127
WEBRTCBIN = "webrtcbin name=webrtc bundle-policy=max-bundle"


_gobject = ctypes.CDLL("libgobject-2.0.so.0")
_gobject.g_object_ref.argtypes = [ctypes.c_void_p]
_gobject.g_object_ref.restype = ctypes.c_void_p


def quiet_ice(webrtc: Gst.Element) -> None:
    """No UPnP and no TCP candidates: with UPnP on, libnice looks for a router on every agent
    (SSDP multicast, an HTTP server each) and now and then never finishes gathering."""
    ice = webrtc.get_property("ice-agent")
    # GStreamer 1.22's getter hands out webrtcbin's own reference (the agent would be freed
    # with this wrapper): take one back. hash() of a PyGObject wrapper is the object's address.
    _gobject.g_object_ref(hash(ice))
    ice.set_property("ice-tcp", False)
    ice.get_property("agent").set_property("upnp", False)


def emit(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def description(kind: GstWebRTC.WebRTCSDPType, sdp: str) -> GstWebRTC.WebRTCSessionDescription:
    result, message = GstSdp.SDPMessage.new_from_text(sdp)
    if result != GstSdp.SDPResult.OK:
        raise ValueError("unparsable SDP")
    return GstWebRTC.WebRTCSessionDescription.new(kind, message)


class Peer:
    """One PeerConnection (a webrtcbin) in a pipeline of its own."""

    def __init__(self, name: str, pipeline: Gst.Pipeline) -> None:
        self.name = name
        self.pipeline = pipeline
        self.webrtc = pipeline.get_by_name("webrtc")
        self._remote_set = False
        self._early_candidates: list[tuple[int, str]] = []
        self._on_gathered: Callable[[], None] | None = None
        self.rtpbin: Gst.Element | None = None
        self.webrtc.connect("notify::ice-gathering-state", self._gathering_changed)
        quiet_ice(self.webrtc)
        bus = pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self._bus_message)

    def start(self) -> None:
        if self.pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            raise RuntimeError("the pipeline did not start")

    def close(self) -> None:
        self.pipeline.get_bus().remove_signal_watch()
        self.pipeline.set_state(Gst.State.NULL)

    def add_candidate(self, mline: int, candidate: str) -> None:
        # Janus trickles its candidates, possibly before its answer: hold them until then.
        if self._remote_set:
            self.webrtc.emit("add-ice-candidate", mline, candidate)
        else:
            self._early_candidates.append((mline, candidate))

    def set_remote(
        self, kind: GstWebRTC.WebRTCSDPType, sdp: str, then: Callable[[], None] | None = None
    ) -> None:
        def done(_: Gst.Promise) -> None:
            GLib.idle_add(self._remote_applied, then)

        promise = Gst.Promise.new_with_change_func(done)
        self.webrtc.emit("set-remote-description", description(kind, sdp), promise)

    def _remote_applied(self, then: Callable[[], None] | None) -> bool:
        self._remote_set = True
        for mline, candidate in self._early_candidates:
            self.webrtc.emit("add-ice-candidate", mline, candidate)
        self._early_candidates.clear()
        if then is not None:
            then()
        return False

    def create(self, kind: str) -> None:
        """Create an offer or answer, set it locally and send it once every candidate is in it."""

        def created(promise: Gst.Promise) -> None:
            reply = promise.get_reply()
            local = reply.get_value(kind) if reply is not None else None
            if local is None:
                GLib.idle_add(self._fail, f"webrtcbin created no {kind}")
                return
            self._on_gathered = lambda: self._send_local(kind)
            self.webrtc.emit("set-local-description", local, Gst.Promise.new())
            GLib.idle_add(self._maybe_gathered)

        self.webrtc.emit(f"create-{kind}", None, Gst.Promise.new_with_change_func(created))

    def _gathering_changed(self, *_: object) -> None:
        GLib.idle_add(self._maybe_gathered)

    def _maybe_gathered(self) -> bool:
        state = self.webrtc.get_property("ice-gathering-state")
        if state == GstWebRTC.WebRTCICEGatheringState.COMPLETE and self._on_gathered:
            send, self._on_gathered = self._on_gathered, None
            send()
        return False

    def _send_local(self, kind: str) -> None:
        local = self.webrtc.get_property("local-description")
        emit({"peer": self.name, "event": kind, "sdp": local.sdp.as_text()})

    def _fail(self, message: str) -> bool:
        emit({"peer": self.name, "event": "error", "message": message})
        return False

    def _bus_message(self, _: Gst.Bus, message: Gst.Message) -> None:
        if message.type == Gst.MessageType.ERROR:
            error, debug = message.parse_error()
            self._fail(f"{error.message} ({debug})")

    def create_offer_when_flowing(self) -> None:
        """Offer once every track has caps, so that the offer names each track's SSRC."""

        def check() -> bool:
            pads = [p for p in self.webrtc.sinkpads]
            if all(p.get_current_caps() is not None for p in pads):
                self.create("offer")
                return False
            return True

        GLib.timeout_add(20, check)

    def stats(self) -> dict[str, dict[str, int]]:
        """Packets and bytes sent and received, and packets lost, per kind, from the RTP
        session's own counters (webrtcbin 1.22's get-stats mislabels kinds under BUNDLE)."""
        totals: dict[str, dict[str, int]] = {}
        if self.rtpbin is None:
            self.rtpbin = next(
                (e for e in iterate(self.webrtc.iterate_elements()) if is_rtpbin(e)), None
            )
            if self.rtpbin is None:
                return totals
        session = self.rtpbin.emit("get-internal-session", 0)
        if session is None:
            return totals
        for source in session.get_property("sources"):
            stats = source.get_property("stats")
            # Bundled streams share one session; the clock rate tells video from Opus audio.
            kind = {90000: "video", 48000: "audio"}.get(stats.get_value("clock-rate"))
            if kind is None:
                continue
            if stats.get_value("internal"):
                bucket = totals.setdefault(f"sent_{kind}", {"streams": 0})
                bucket["streams"] += 1
                add(bucket, "packets", stats.get_value("packets-sent"))
                add(bucket, "bytes", stats.get_value("octets-sent"))
            else:
                bucket = totals.setdefault(f"received_{kind}", {"streams": 0})
                bucket["streams"] += 1
                add(bucket, "packets", stats.get_value("packets-received"))
                add(bucket, "bytes", stats.get_value("octets-received"))
                add(bucket, "lost", max(0, stats.get_value("packets-lost")))
        return totals


def is_rtpbin(element: Gst.Element) -> bool:
    factory = element.get_factory()
    return factory is not None and factory.get_name() == "rtpbin"


def iterate(iterator: Gst.Iterator) -> Iterator[Any]:
    while True:
        result, item = iterator.next()
        if result != Gst.IteratorResult.OK:
            return
        yield item


def add(bucket: dict[str, int], key: str, value: object) -> None:
    if isinstance(value, int):
        bucket[key] = bucket.get(key, 0) + value


class Clip:
    """The encoded frames of one track of a WebM file, read once into memory."""

    def __init__(self, caps: Gst.Caps, frames: list[Frame], duration: int) -> None:
        self.caps = caps
        self.frames = frames
        self.duration = duration

    @classmethod
    def load(cls, path: str) -> Clip:
        pipeline = Gst.parse_launch(
            f"filesrc location={json.dumps(path)} ! matroskademux ! appsink name=out sync=false"
        )
        sink = pipeline.get_by_name("out")
        pipeline.set_state(Gst.State.PLAYING)
        frames: list[Frame] = []
        caps = None
        while (sample := sink.emit("pull-sample")) is not None:
            buffer = sample.get_buffer()
            frames.append(
                Frame(buffer.pts, buffer.extract_dup(0, buffer.get_size()), buffer.get_flags())
            )
            caps = sample.get_caps()
        pipeline.set_state(Gst.State.NULL)
        if len(frames) < 2 or caps is None:
            raise ValueError(f"no frames in {path}")
        start, step = frames[0].pts, frames[-1].pts - frames[-2].pts
        frames = [Frame(f.pts - start, f.data, f.flags) for f in frames]
        return cls(caps, frames, frames[-1].pts + step)


@dataclass(frozen=True)
class Frame:
    pts: int
    data: bytes
    flags: Gst.BufferFlags


class Loop:
    """Feeds a clip to an appsrc again and again, time stamps running on. Nothing is encoded:
    each push is a new buffer around the same encoded bytes; ``identity sync=true`` downstream
    paces them to the clock."""

    def __init__(self, clip: Clip, source: Gst.Element, levels: bool = False) -> None:
        self.clip = clip
        self.index = 0
        self.offset = 0
        self.levels = levels
        """Mark each buffer with an audio level (the ssrc-audio-level extension reads it)."""
        self.talking = False
        source.set_property("caps", clip.caps)
        source.connect("need-data", self.push)

    def push(self, source: Gst.Element, _: int) -> None:
        frame = self.clip.frames[self.index]
        buffer = Gst.Buffer.new_wrapped(frame.data)
        buffer.pts = frame.pts + self.offset
        buffer.set_flags(frame.flags)
        if self.levels:
            level = SPEECH_DBOV if self.talking else SILENCE_DBOV
            GstAudio.buffer_add_audio_level_meta(buffer, level, self.talking)
        source.emit("push-buffer", buffer)
        self.index += 1
        if self.index == len(self.clip.frames):
            self.index = 0
            self.offset += self.clip.duration


class Peers:
    """Every peer of this process, driven by commands from stdin."""

    def __init__(self) -> None:
        self.peers: dict[str, Peer] = {}
        self.clips: dict[str, Clip] = {}
        self.unborn: dict[str, list[tuple[int, str]]] = {}
        self.audio_loops: dict[str, Loop] = {}

    def publish(
        self, name: str, video: str | None, audio: str | None, levels: bool = False
    ) -> None:
        branches = []
        if video:
            branches.append(
                f"appsrc name=video format=time ! identity sync=true "
                f"! rtpvp8pay pt=96 mtu=1200 picture-id-mode=15-bit ! {VIDEO_CAPS} ! webrtc."
            )
        if audio:
            branches.append(
                f"appsrc name=audio format=time ! identity sync=true "
                f"! rtpopuspay pt=111 ! {AUDIO_LEVEL_CAPS if levels else AUDIO_CAPS} ! webrtc."
            )
        pipeline = Gst.parse_launch(f"{WEBRTCBIN} " + " ".join(branches))
        for kind, path in (("video", video), ("audio", audio)):
            if path:
                loop = Loop(self.clip(path), pipeline.get_by_name(kind), levels and kind == "audio")
                if kind == "audio":
                    self.audio_loops[name] = loop
        peer = Peer(name, pipeline)
        self.peers[name] = peer
        index = 0
        while (transceiver := peer.webrtc.emit("get-transceiver", index)) is not None:
            transceiver.set_property("direction", GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY)
            index += 1
        peer.start()
        peer.create_offer_when_flowing()

    def clip(self, path: str) -> Clip:
        if path not in self.clips:
            self.clips[path] = Clip.load(path)
        return self.clips[path]

    def subscribe(self, name: str, offer: str) -> None:
        pipeline = Gst.Pipeline.new(name)
        pipeline.add(Gst.parse_launch(WEBRTCBIN))
        peer = Peer(name, pipeline)
        self.peers[name] = peer
        for candidate in self.unborn.pop(name, []):
            peer.add_candidate(*candidate)

        def received(_: Gst.Element, pad: Gst.Pad) -> None:
            if pad.get_direction() != Gst.PadDirection.SRC:
                return
            sink = Gst.ElementFactory.make("fakesink")
            sink.set_property("sync", False)
            sink.set_property("async", False)
            pipeline.add(sink)
            sink.sync_state_with_parent()
            pad.link(sink.get_static_pad("sink"))

        peer.webrtc.connect("pad-added", received)
        peer.start()
        peer.set_remote(GstWebRTC.WebRTCSDPType.OFFER, offer, lambda: peer.create("answer"))

    def stats(self) -> None:
        emit({"event": "stats", "peers": {n: p.stats() for n, p in self.peers.items()}})

    def handle(self, command: dict[str, Any]) -> None:
        cmd, name = command.get("cmd"), command.get("peer", "")
        if cmd == "publish":
            self.publish(
                name, command.get("video"), command.get("audio"), bool(command.get("levels"))
            )
        elif cmd == "talk":
            self.audio_loops[name].talking = bool(command["talking"])
            emit({"peer": name, "event": "talk"})
        elif cmd == "subscribe":
            self.subscribe(name, command["sdp"])
        elif cmd == "answer":
            self.peers[name].set_remote(GstWebRTC.WebRTCSDPType.ANSWER, command["sdp"])
        elif cmd == "candidate":
            candidate = (int(command["mline"]), command["candidate"])
            if name in self.peers:
                self.peers[name].add_candidate(*candidate)
            else:  # Janus trickles to a subscriber as soon as it offers, before we subscribe
                self.unborn.setdefault(name, []).append(candidate)
        elif cmd == "stats":
            self.stats()
        elif cmd == "close":
            peer = self.peers.pop(name, None)
            if peer is not None:
                peer.close()
            emit({"peer": name, "event": "closed"})
        elif cmd == "quit":
            for peer in self.peers.values():
                peer.close()
            loop.quit()
        else:
            raise ValueError(f"unknown command {cmd!r}")


def main() -> None:
    global loop
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # stacks on demand, for a hang
    Gst.init(None)
    peers = Peers()
    loop = GLib.MainLoop()

    pending = b""

    def readable(_: GLib.IOChannel, condition: GLib.IOCondition) -> bool:
        nonlocal pending
        # Read what is there (the watch fires once per readable fd, not once per line).
        chunk = os.read(sys.stdin.fileno(), 1 << 20) if condition & GLib.IOCondition.IN else b""
        if not chunk:
            loop.quit()
            return False
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            command: dict[str, Any] = {}
            try:
                command = json.loads(line)
                peers.handle(command)
            except Exception as exc:
                emit({"peer": command.get("peer"), "event": "error", "message": repr(exc)})
        return True

    GLib.io_add_watch(
        GLib.IOChannel.unix_new(sys.stdin.fileno()),
        GLib.PRIORITY_DEFAULT,
        GLib.IOCondition.IN | GLib.IOCondition.HUP | GLib.IOCondition.ERR,
        readable,
    )
    emit({"event": "ready", "gstreamer": Gst.version_string()})
    loop.run()


loop: GLib.MainLoop

if __name__ == "__main__":
    main()

"""Prometheus metrics: what an operator watches (rooms, people, the media engine, workers)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector


@dataclass(frozen=True)
class SpeechWorkerFigures:
    """One connected speech worker's own account of how it keeps up (its last ``pong``)."""

    worker_id: str
    dropped_audio_seconds: float
    backlog_seconds: float
    decode_errors: int
    final_lag_seconds: float = 0.0
    rtp_packets: int = 0
    rtp_lost: int = 0
    rtp_rejected: int = 0
    silent_streams: int = 0


@dataclass(frozen=True)
class JanusFigures:
    """One Janus instance of the pool: up or not, its rooms and forwarded subscriber streams."""

    instance: str
    up: bool
    rooms: int
    forwarded_streams: int


@dataclass(frozen=True)
class Snapshot:
    """Point-in-time figures read from the running services at each scrape."""

    rooms: int
    participants: int
    media_engine_up: bool
    media_engine_connections: int
    janus_restarts: int
    speech_workers: int
    caption_streams: int
    captions_undelivered: int = 0
    caption_streams_unplaced: int = 0
    speech_worker_figures: tuple[SpeechWorkerFigures, ...] = ()
    janus_figures: tuple[JanusFigures, ...] = ()
    janus_room_moves: int = 0
    shared_device_failures: int = 0
    webhook_attempts: tuple[tuple[str, int], ...] = ()
    """(outcome, count) of the webhook attempts this server made."""
    webhook_claims_lost: int = 0


class _SnapshotCollector(Collector):
    def __init__(self, read: Callable[[], Snapshot]) -> None:
        self._read = read

    def collect(self) -> Iterator[Metric]:
        s = self._read()
        figures = [
            ("visio_rooms_live", "Rooms with at least one participant", s.rooms),
            ("visio_participants", "Participants connected", s.participants),
            (
                "visio_media_engine_up",
                "1 when the app server is connected to Janus",
                int(s.media_engine_up),
            ),
            (
                "visio_media_engine_connections",
                "Janus sessions opened since start (reconnects + 1)",
                s.media_engine_connections,
            ),
            ("visio_janus_restarts", "Times the embedded Janus was restarted", s.janus_restarts),
            ("visio_speech_workers", "Speech workers connected", s.speech_workers),
            ("visio_caption_streams", "Microphones being captioned", s.caption_streams),
        ]
        for name, documentation, value in figures:
            yield GaugeMetricFamily(name, documentation, value=value)
        yield CounterMetricFamily(
            "visio_captions_undelivered",
            "Captions from a speech worker that reached nobody (their stream had been replaced "
            "or stopped, or its speaker had left)",
            value=s.captions_undelivered,
        )
        yield CounterMetricFamily(
            "visio_shared_device_failures",
            "Shared room devices whose voices could not be told apart after the meeting (no "
            "audio kept, or none decoded), or that Janus would not record on their own",
            value=s.shared_device_failures,
        )
        attempts = CounterMetricFamily(
            "visio_webhook_attempts",
            "Webhook deliveries this server attempted, by outcome: delivered (2xx), retrying "
            "(failed, to be tried again), failed (the last attempt failed)",
            labels=["outcome"],
        )
        for outcome, count in s.webhook_attempts:
            attempts.add_metric([outcome], count)
        yield attempts
        yield CounterMetricFamily(
            "visio_webhook_claims_lost",
            "Webhook deliveries this server found due but another app server had claimed (or "
            "an earlier read had): each is sent by one server",
            value=s.webhook_claims_lost,
        )
        yield CounterMetricFamily(
            "visio_caption_streams_unplaced",
            "Microphones that should have been captioned but no speech worker took (or Janus "
            "would not forward them)",
            value=s.caption_streams_unplaced,
        )
        dropped = CounterMetricFamily(
            "visio_speech_worker_dropped_audio_seconds",
            "Audio a speech worker could not caption (it fell behind, or a decode failed)",
            labels=["worker"],
        )
        backlog = GaugeMetricFamily(
            "visio_speech_worker_backlog_seconds",
            "Age of the oldest audio waiting for a speech worker's recogniser",
            labels=["worker"],
        )
        errors = CounterMetricFamily(
            "visio_speech_worker_decode_errors",
            "Decodes that failed in a speech worker",
            labels=["worker"],
        )
        lag = GaugeMetricFamily(
            "visio_speech_worker_final_lag_seconds",
            "How long after the end of speech a speech worker's latest final came, on its most "
            "behind stream (above 2 s it cannot keep up)",
            labels=["worker"],
        )
        packets = CounterMetricFamily(
            "visio_speech_worker_rtp_packets",
            "RTP packets a speech worker received and accepted",
            labels=["worker"],
        )
        lost = CounterMetricFamily(
            "visio_speech_worker_rtp_lost_packets",
            "RTP packets missing from the streams a speech worker received (gaps in sequence)",
            labels=["worker"],
        )
        rejected = CounterMetricFamily(
            "visio_speech_worker_rtp_rejected_packets",
            "Datagrams a speech worker refused (SRTP authentication, not RTP, wrong payload type)",
            labels=["worker"],
        )
        silent = GaugeMetricFamily(
            "visio_speech_worker_silent_streams",
            "Streams of a speech worker that received no RTP packet in the last few seconds",
            labels=["worker"],
        )
        for worker in s.speech_worker_figures:
            dropped.add_metric([worker.worker_id], worker.dropped_audio_seconds)
            backlog.add_metric([worker.worker_id], worker.backlog_seconds)
            errors.add_metric([worker.worker_id], worker.decode_errors)
            lag.add_metric([worker.worker_id], worker.final_lag_seconds)
            packets.add_metric([worker.worker_id], worker.rtp_packets)
            lost.add_metric([worker.worker_id], worker.rtp_lost)
            rejected.add_metric([worker.worker_id], worker.rtp_rejected)
            silent.add_metric([worker.worker_id], worker.silent_streams)
        yield from (dropped, backlog, errors, lag, packets, lost, rejected, silent)
        yield from _janus_metrics(s)


def _janus_metrics(s: Snapshot) -> Iterator[Metric]:
    up = GaugeMetricFamily(
        "visio_janus_up", "1 when the app server is connected to this Janus", labels=["instance"]
    )
    rooms = GaugeMetricFamily(
        "visio_janus_rooms", "Live rooms placed on this Janus", labels=["instance"]
    )
    streams = GaugeMetricFamily(
        "visio_janus_forwarded_streams",
        "Subscriber streams this Janus forwards for this app server's rooms (what placement "
        "compares)",
        labels=["instance"],
    )
    for janus in s.janus_figures:
        up.add_metric([janus.instance], int(janus.up))
        rooms.add_metric([janus.instance], janus.rooms)
        streams.add_metric([janus.instance], janus.forwarded_streams)
    yield from (up, rooms, streams)
    yield CounterMetricFamily(
        "visio_janus_room_moves",
        "Rooms moved to another Janus because theirs was lost",
        value=s.janus_room_moves,
    )


class Metrics:
    """The server's metrics registry (one per server, no global state)."""

    def __init__(self, read: Callable[[], Snapshot]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.registry.register(_SnapshotCollector(read))
        self.joins = Counter(
            "visio_joins", "Participants who joined a room", registry=self.registry
        )
        self.protocol_errors = Counter(
            "visio_protocol_errors",
            "Room protocol errors sent to clients, by code",
            ["code"],
            registry=self.registry,
        )
        self.resumes = Counter(
            "visio_resumes",
            "Resume tokens presented with join, by outcome: resumed, or why not (invalid, "
            "expired, other_room, other_person, unknown, removed); all but resumed join anew",
            ["outcome"],
            registry=self.registry,
        )
        self.turn_credentials = Counter(
            "visio_turn_credentials_minted",
            "Short-lived TURN credentials minted for participants (visio.turn)",
            registry=self.registry,
        )
        self.media_paths = Counter(
            "visio_media_paths",
            "Paths ICE selected for participants' peer connections, as their browsers report "
            "them (each once per socket): the local candidate type, and how a relayed one "
            "reaches the TURN server",
            ["target", "candidate_type", "relay_protocol"],
            registry=self.registry,
        )
        self.rate_limit_rejections = Counter(
            "visio_rate_limit_rejections",
            "Requests refused by a per-client rate limit (visio.ratelimit), by limit",
            ["limit"],
            registry=self.registry,
        )
        self.rate_limit_storage_errors = Counter(
            "visio_rate_limit_storage_errors",
            "Rate-limit checks that Redis did not answer: counted in this server's memory",
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)

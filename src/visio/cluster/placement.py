"""Which app server owns which room: a Redis key per room, held with a lease its owner renews.

``visio:room:<slug>:owner`` holds the owner's node id for ``LEASE_MS``; the owner renews all its
rooms' leases every ``RENEW_INTERVAL_S`` in one script call, which also re-asserts a lease that
vanished (a Redis restart) and reports the rooms another node holds now. A room nobody owns is
claimed by the first app server a socket for it lands on; an owner whose pub/sub channel has no
subscriber any more (its process died: the kernel closed its Redis connections) is replaced at
once rather than after its lease runs out. ``visio:node:<id>`` is each node's heartbeat, with
its load.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from redis.asyncio import Redis

from visio.cluster.redis import key

logger = logging.getLogger(__name__)

LEASE_MS = 3000
"""How long a room's owner key lives without renewal; a dead owner's rooms wait at most this."""
RENEW_INTERVAL_S = 1.0
NODE_TTL_MS = 3000


def owner_key(slug: str) -> str:
    return key("room", slug, "owner")


NODES_KEY = key("nodes")
"""The set of node ids that have sent a heartbeat (each one's liveness is its heartbeat key)."""


def node_key(node_id: str) -> str:
    """The node's heartbeat key; also the name of its pub/sub channel (a separate namespace)."""
    return key("node", node_id)


# KEYS[1] the owner key; ARGV: this node, lease ms, the channel prefix. Ours if free, already
# ours, or held by a dead node: nobody listens on its channel although its last heartbeat said
# it did (a node whose pub/sub link is being renewed says so, and keeps its rooms). Returns the
# owner.
_CLAIM = """
local LISTENING = '"listening": true'
local owner = redis.call('GET', KEYS[1])
if owner == false or owner == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return ARGV[1]
end
local listeners = redis.call('PUBSUB', 'NUMSUB', ARGV[3] .. owner)
local beat = redis.call('GET', ARGV[3] .. owner)
if tonumber(listeners[2]) == 0 and (beat == false or string.find(beat, LISTENING, 1, true)) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return ARGV[1]
end
return owner
"""

# KEYS: owner keys of the rooms this node holds; ARGV: node, lease ms. Renews ours, re-asserts
# the vanished, and returns the 1-based positions of keys someone else holds now.
_RENEW = """
local lost = {}
for i, name in ipairs(KEYS) do
  local owner = redis.call('GET', name)
  if owner == ARGV[1] then
    redis.call('PEXPIRE', name, ARGV[2])
  elseif owner == false then
    redis.call('SET', name, ARGV[1], 'PX', ARGV[2])
  else
    table.insert(lost, i)
  end
end
return lost
"""

# Compare-and-delete: only the owner releases.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


@dataclass(frozen=True)
class NodeLoad:
    """What a node's heartbeat says about it."""

    rooms: int
    participants: int
    listening: bool = True
    """Whether the node's pub/sub link is up (a node renewing it is not taken for dead)."""
    janus_streams: Mapping[str, int] = field(default_factory=dict)
    """Streams each Janus instance (by URL) forwards for this node's rooms: every node places
    rooms by the sum over all nodes (``visio.cluster.load``)."""
    janus_rooms: Mapping[str, int] = field(default_factory=dict)
    incarnation: str = ""
    """This run of the node's process (random at each start): a node restarted with the same
    id is another incarnation, and the links the old one held are gone with it."""


@dataclass(frozen=True)
class Presence:
    """Whether a node's process is alive, and which run of it."""

    alive: bool
    incarnation: str | None
    """From its heartbeat (None: no heartbeat now, e.g. a process that has just started)."""

    def still(self, incarnation: str | None) -> bool:
        """Whether a link made with ``incarnation`` of this node still holds: the node is alive
        and has not restarted since (unknown on either side: alive is enough, for now)."""
        if not self.alive:
            return False
        return incarnation is None or self.incarnation is None or incarnation == self.incarnation


class Placement:
    """This node's view of room ownership: claims, renewals, releases, and its heartbeat.

    A room is *held* while this node serves at least one socket of it (its own or relayed);
    the lease is renewed for held rooms only, and released when the last socket goes.
    """

    def __init__(self, redis: Redis, node_id: str) -> None:
        self._redis = redis
        self.node_id = node_id
        self._held: Counter[str] = Counter()
        self._claim = redis.register_script(_CLAIM)
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    # ---- claims ------------------------------------------------------------------------------

    async def claim(self, slug: str) -> str:
        """The room's owner after trying to take it: this node's id when it is ours now.

        Raises one of ``visio.cluster.redis.UNAVAILABLE`` while Redis does not answer."""
        owner = await self._claim(
            keys=[owner_key(slug)], args=[self.node_id, LEASE_MS, node_key("")]
        )
        return _text(owner)

    async def owners(self, slugs: list[str]) -> list[str | None]:
        """The current owner of each room (None: nobody holds its lease)."""
        if not slugs:
            return []
        values = await self._redis.mget([owner_key(slug) for slug in slugs])
        return [_text(value) if value is not None else None for value in values]

    async def presence(self, nodes: list[str]) -> dict[str, Presence]:
        """Whether each node's process is alive (its channel has a subscriber, or its heartbeat
        says its pub/sub link is being renewed), and which run of it the heartbeat names."""
        if not nodes:
            return {}
        channels = [node_key(node) for node in nodes]
        counts = await self._redis.pubsub_numsub(*channels)
        beats = await self._redis.mget(channels)
        by_channel = {_text(channel): int(count) for channel, count in counts}
        found: dict[str, Presence] = {}
        for node, beat in zip(nodes, beats, strict=True):
            renewing = beat is not None and b'"listening": false' in beat
            found[node] = Presence(
                by_channel.get(node_key(node), 0) > 0 or renewing, _incarnation(beat)
            )
        return found

    # ---- holding -----------------------------------------------------------------------------

    def hold(self, slug: str) -> None:
        """One more socket of this room is served here (call right after a winning claim)."""
        self._held[slug] += 1

    def holds(self, slug: str) -> bool:
        return self._held[slug] > 0

    def held(self) -> list[str]:
        return [slug for slug, count in self._held.items() if count > 0]

    async def unhold(self, slug: str) -> None:
        """A socket of this room ended here; the last one releases the lease."""
        if slug not in self._held:
            return  # forgotten: another node owns it now
        self._held[slug] -= 1
        if self._held[slug] > 0:
            return
        del self._held[slug]
        await self.release(slug)

    def forget(self, slug: str) -> None:
        """Another node owns the room now: stop renewing it (its sockets are being closed)."""
        self._held.pop(slug, None)

    async def release(self, slug: str) -> None:
        """Give the room up if it is still ours; with Redis down the lease runs out by itself."""
        try:
            await self._release(keys=[owner_key(slug)], args=[self.node_id])
        except Exception:
            logger.warning("room %s: could not release its lease; it runs out by itself", slug)

    async def release_all(self) -> None:
        for slug in self.held():
            await self.release(slug)
        self._held.clear()

    # ---- renewal -----------------------------------------------------------------------------

    async def renew(self, load: NodeLoad) -> list[str]:
        """Renew every held lease and the heartbeat, in one round trip; return the held rooms
        another node owns now. Raises one of ``UNAVAILABLE`` while Redis does not answer."""
        slugs = self.held()
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.set(
                node_key(self.node_id),
                json.dumps(
                    {
                        "rooms": load.rooms,
                        "participants": load.participants,
                        "listening": load.listening,
                        "janus_streams": dict(load.janus_streams),
                        "janus_rooms": dict(load.janus_rooms),
                        "incarnation": load.incarnation,
                    }
                ),
                px=NODE_TTL_MS,
            )
            if slugs:
                await self._renew(
                    keys=[owner_key(slug) for slug in slugs],
                    args=[self.node_id, LEASE_MS],
                    client=pipe,
                )
            pipe.sadd(NODES_KEY, self.node_id)  # last: results[1] is the renewal's answer
            results = await pipe.execute()
        if not slugs:
            return []
        return [slugs[position - 1] for position in results[1]]

    async def leave(self) -> None:
        """A graceful stop: give every room up and drop the heartbeat."""
        await self.release_all()
        try:
            await self._redis.delete(node_key(self.node_id))
        except Exception:
            logger.warning("could not delete this node's heartbeat; it runs out by itself")

    async def nodes(self) -> dict[str, NodeLoad]:
        """Every live node and its load, from the heartbeats: the set ``visio:nodes`` names them
        (no scan of the keyspace), and a name whose heartbeat ran out is dropped from it."""
        names = sorted(_text(name) for name in await self._redis.smembers(NODES_KEY))
        if not names:
            return {}
        raws = await self._redis.mget([node_key(name) for name in names])
        loads: dict[str, NodeLoad] = {}
        gone = []
        for name, raw in zip(names, raws, strict=True):
            if raw is None:
                gone.append(name)
                continue
            try:
                figures = json.loads(raw)
                loads[name] = NodeLoad(
                    int(figures["rooms"]),
                    int(figures["participants"]),
                    janus_streams=_counts(figures.get("janus_streams")),
                    janus_rooms=_counts(figures.get("janus_rooms")),
                )
            except (ValueError, KeyError, TypeError):
                continue
        if gone:
            await self._redis.srem(NODES_KEY, *gone)
        return loads


def _counts(value: object) -> dict[str, int]:
    """A heartbeat's per-Janus counts; anything malformed counts as nothing."""
    if not isinstance(value, dict):
        return {}
    return {str(k): int(v) for k, v in value.items() if isinstance(v, int) and v >= 0}


def _incarnation(beat: bytes | str | None) -> str | None:
    if beat is None:
        return None
    try:
        value = json.loads(beat).get("incarnation")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) and value else None


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)

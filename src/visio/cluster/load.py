"""Janus placement across app servers: each room goes to the Janus that forwards the fewest
streams in the whole cluster, not only for this node's rooms.

Each node's heartbeat (``visio.cluster.placement``) carries, per Janus instance (named by its
URL, the same on every node), the streams it forwards for that node's rooms. Each second the
node reads the others' heartbeats (one SCAN and one GET a node) and keeps their sum; placement
adds this node's own figures, which are exact and current. The others' are at most a second or
two old: two nodes opening rooms in the same second may both pick the same instance, which the
next rooms even out. While Redis is away the last sum is kept.
"""

from __future__ import annotations

from collections.abc import Mapping

from visio.cluster.placement import NodeLoad
from visio.media.pool import PlacementLoad


class ClusterLoad:
    """This node's own load plus what the other nodes reported (a :class:`PlacementLoad`)."""

    def __init__(self, own: PlacementLoad, node_id: str) -> None:
        self._own = own
        self._node_id = node_id
        self._others_streams: dict[str, int] = {}
        self._others_rooms: dict[str, int] = {}

    def others_reported(self, nodes: Mapping[str, NodeLoad]) -> None:
        """The heartbeats just read (this node's own is left out: its figures are live)."""
        streams: dict[str, int] = {}
        rooms: dict[str, int] = {}
        for node_id, load in nodes.items():
            if node_id == self._node_id:
                continue
            for name, count in load.janus_streams.items():
                streams[name] = streams.get(name, 0) + count
            for name, count in load.janus_rooms.items():
                rooms[name] = rooms.get(name, 0) + count
        self._others_streams, self._others_rooms = streams, rooms

    def own(self) -> PlacementLoad:
        return self._own

    def forwarded_streams(self) -> dict[str, int]:
        return _add(self._own.forwarded_streams(), self._others_streams)

    def rooms(self) -> dict[str, int]:
        return _add(self._own.rooms(), self._others_rooms)


def _add(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
    total = dict(a)
    for name, count in b.items():
        total[name] = total.get(name, 0) + count
    return total

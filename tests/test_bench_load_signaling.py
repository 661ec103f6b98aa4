"""The control-plane load harness (bench/load_signaling.py) at a small scale, so that it cannot
rot: its synthetic participants join a real server within its default per-client limits, and
every figure it reports is measured."""

from __future__ import annotations

import math
from collections import Counter

from bench.load.participant import source_address
from bench.load_signaling import measure, parse_args, ramp_plans, report


def test_source_addresses_are_distinct_loopback_addresses() -> None:
    """Each index is its own 127.x.y.z address, never .0 (the network) nor over .250."""
    addresses = [source_address(i) for i in range(1000)]
    assert len(set(addresses)) == 1000
    assert addresses[0] == "127.1.0.1"
    assert addresses[250] == "127.1.1.1"
    assert all(0 < int(a.rsplit(".", 1)[1]) <= 250 for a in addresses)


def test_ramp_plans_fill_rooms_and_keep_each_address_under_its_limit() -> None:
    """Every room gets its seats, each room from one worker; no address opens more sockets than
    asked (the server allows 60 joins a minute and 200 sockets per address by default)."""
    slugs = [f"room-{n}" for n in range(25)]
    plans = ramp_plans(slugs, room_size=10, first_index=300, per_address=50, workers=4)
    seats = [seat for plan in plans for seat in plan]
    assert len(seats) == 250
    assert Counter(slug for slug, *_ in seats) == dict.fromkeys(slugs, 10)
    for plan in plans:
        for slug in {slug for slug, *_ in plan}:
            assert all(other == plan or slug not in {s for s, *_ in other} for other in plans)
    assert max(Counter(source for _, source, _, _ in seats).values()) <= 50


def test_harness_measures_joins_fan_out_and_memory_on_a_real_server() -> None:
    """50 sockets (a 20-person room and rooms of 10) join a real `visio serve` with its default
    limits; a chat message and a reaction reach each of the 19 others in the big room."""
    small = "--target 50 --big-room 20 --messages 4 --workers 2 --rate 50 --hold 1"
    # Generous timeouts: the suite runs on a busy 2-core machine; the figures are not judged.
    patient = "--spacing 0.3 --join-timeout 30 --max-join-p99 60"
    args = parse_args(f"{small} {patient}".split())
    figures = measure(args)

    ramp = figures["ramp"]
    assert figures["big_present"] == 20
    assert ramp.stopped == "plan done"
    assert len(ramp.joins.latencies) == 30 and not ramp.joins.failures
    assert figures["held_after"] == 50
    for phase in ("fan_out_alone", "fan_out_loaded"):
        for kind in ("chat", "reaction"):
            result = figures[phase][kind]
            assert result.recipients == 19
            assert result.missing == 0, (phase, kind)
            assert len(result.delays) == 4 * 19 and all(0 < d < 30 for d in result.delays)
            assert len(result.last) == 4
    assert figures["rss_ramp"] > figures["rss_start"] > 0
    table = report(figures, args)
    assert "| sockets joined and held (big room + ramp) | 50 of 50" in table
    assert "nan" not in table and not math.isnan(figures["ramp_cpu"])

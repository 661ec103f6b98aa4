"""Webhook delivery figures: how long from "send a test event" to the receiver, and how many
events one endpoint gets a second (one request at a time, in order) once a backlog is
queued.

    scripts/in-netns .venv/bin/python -m bench.webhooks [--events 200]

A real `visio serve` (SQLite, the default), a real receiver on loopback, a signed-in owner.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from tests.oidc.provider import visio_with_provider
from tests.rooms.people import Browser
from tests.support import wait_until
from tests.webhooks.receiver import Receiver


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--latency-samples", type=int, default=30)
    args = parser.parse_args()
    receiver = Receiver()
    with (
        tempfile.TemporaryDirectory() as folder,
        visio_with_provider(
            Path(folder), webhooks_allow_http="true", webhooks_allow_private="true"
        ) as (server, provider),
        Browser(server, provider, "pierre") as pierre,
    ):
        slug = pierre.create_room()
        endpoint = pierre.http.post(
            f"/api/v1/rooms/{slug}/webhooks",
            json={"url": receiver.url("/bench"), "event_types": ["meeting.started"]},
        ).json()
        test = f"/api/v1/rooms/{slug}/webhooks/{endpoint['id']}/test"

        latencies = []
        for index in range(args.latency_samples):
            sent = time.monotonic()
            pierre.http.post(test)
            got = wait_until(
                lambda n=index + 1: (
                    len(receiver.received("/bench")) >= n and receiver.received("/bench")
                ),
                30,
                "an event did not arrive",
            )
            latencies.append((got[-1].at - sent) * 1000)

        # Throughput: events queued while the endpoint is off, then delivered once it is on.
        one = f"/api/v1/rooms/{slug}/webhooks/{endpoint['id']}"
        pierre.http.patch(one, json={"enabled": False})
        for _ in range(args.events):
            pierre.http.post(test)
        before = len(receiver.received("/bench"))
        started = time.monotonic()
        pierre.http.patch(one, json={"enabled": True})
        wait_until(
            lambda: len(receiver.received("/bench")) >= before + args.events, 300, "not all arrived"
        )
        elapsed = time.monotonic() - started
    receiver.close()
    latencies.sort()
    print(f"test event -> receiver, {len(latencies)} one at a time:")
    print(
        f"  median {statistics.median(latencies):.1f} ms, p90 {latencies[int(0.9 * len(latencies)) - 1]:.1f} ms"
    )
    print(f"{args.events} queued events, endpoint turned on: all received after {elapsed:.2f} s:")
    print(
        f"  {args.events / elapsed:.0f} events/s to one endpoint (one request at a time, in order)"
    )


if __name__ == "__main__":
    main()

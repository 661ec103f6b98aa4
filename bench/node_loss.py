"""Time from losing a node to media restored, on the cluster bed (tests/cluster/lab).

    flock /work/browser.lock scripts/in-netns .venv/bin/python -m bench.node_loss [--rounds 5]

Builds the cluster once (HAProxy, 2 app servers, 2 Janus, Redis, PostgreSQL, each node in its
own network namespace), then for each round: three Chromium participants join a new room
through HAProxy (sockets spread over both app servers), the app server that owns the room is
killed (SIGKILL), then the Janus that carries it, exactly as the browser test
tests/cluster/test_cluster_browser.py does. For each loss it records, for each browser, the
seconds from the kill to the moment it receives every other participant's video and audio again
and steadily (inbound-rtp bytes growing on every remote track, session connected), nobody
clicking. The killed nodes are started again before the next round. Prints each round, then
the median and the maximum per kind of loss.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright
from tests.cluster.lab.bed import ClusterBed, bed_unavailable_reason, start_cluster
from tests.cluster.lab.scenario import Recovery, lose_owner_then_janus, write_tones
from tests.e2e.browser import Participants


def _restore(bed: ClusterBed) -> None:
    """Start again what the round killed, and wait until HAProxy routes to every app server."""
    for app in bed.apps:
        if not app.alive():
            app.restart()
    for janus in bed.janus:
        if janus.process is None or janus.process.poll() is not None:
            janus.start()
    bed.wait_balancer_sees(len(bed.apps), timeout=120)


def _summary(what: str, recoveries: list[Recovery]) -> str:
    every = sorted(seconds for recovery in recoveries for seconds in recovery.seconds.values())
    worst = [recovery.worst for recovery in recoveries]
    return (
        f"{what:<22} median {statistics.median(every):5.2f} s   max {max(every):5.2f} s   "
        f"(worst browser per round: median {statistics.median(worst):5.2f} s; "
        f"{len(recoveries)} rounds x {len(recoveries[0].seconds)} browsers)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    reason = bed_unavailable_reason()
    if reason:
        raise SystemExit(reason)
    app_losses: list[Recovery] = []
    janus_losses: list[Recovery] = []
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    with (
        tempfile.TemporaryDirectory(prefix="visio-node-loss-") as folder,
        start_cluster(Path(folder) / "bed", app_servers=2, janus=2) as bed,
        sync_playwright() as playwright,
    ):
        tones = write_tones(Path(folder) / "tones")
        for index in range(1, args.rounds + 1):
            crowd = Participants(playwright, tones)
            try:
                _, app_loss, janus_loss = lose_owner_then_janus(bed, crowd, bed.create_room())
            finally:
                crowd.close()
            app_losses.append(app_loss)
            janus_losses.append(janus_loss)
            print(
                f"round {index}: app server lost → "
                + ", ".join(f"{name} {s:.2f} s" for name, s in app_loss.seconds.items())
                + "; Janus lost → "
                + ", ".join(f"{name} {s:.2f} s" for name, s in janus_loss.seconds.items()),
                flush=True,
            )
            if index < args.rounds:
                _restore(bed)
    print(_summary("app server killed", app_losses))
    print(_summary("Janus killed", janus_losses))
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()

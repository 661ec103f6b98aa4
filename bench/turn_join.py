"""Join time through locked-down networks: page load → first remote video frame painted, for a
newcomer whose browser reaches Janus directly, only through TURN over UDP, only through TURN
over TLS on 443, or only through an HTTP proxy that tunnels to 443 (TURN over TLS inside its
CONNECT tunnel; tinyproxy, as in tests/e2e/test_turn_ui.py) (issue 11). Side by side, medians and p90s; joins alternate between the
profiles so that the machine's changing load weighs on each the same.

Run inside the media network namespace (as root), holding the browser lock:

    flock /work/browser.lock scripts/in-netns .venv/bin/python -m bench.turn_join [--joins 5]

It starts coturn (configured by visio.turn.coturn, as in tests/turn), a `visio serve` with TURN,
one participant already in the room (unrestricted) and the newcomer's Chromium in a cgroup whose
network nftables holds to each profile (tests/e2e/network_profile.py). Each join's selected
candidate pair is checked, so a figure is never labelled with the wrong path.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Browser, sync_playwright
from tests.e2e.browser import MEDIA_ARGS, Participants, write_tone
from tests.e2e.network_profile import NetworkProfile
from tests.support import in_media_namespace, start_server
from tests.turn.coturn import TURN_ADDRESS, TURN_PORT, TURNS_PORT, start_coturn
from tests.turn.proxy import start_proxy

from bench.meeting import AUTO_JOIN_JS, JOIN_MARKS_JS, quantiles

SUBSCRIBER_PATH_JS = """async () => {
  const pc = window.visio.session.subscriber;
  const stats = [...(await pc.getStats()).values()];
  const byId = new Map(stats.map((s) => [s.id, s]));
  const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
  const local = byId.get(byId.get(transport?.selectedCandidatePairId)?.localCandidateId) ?? {};
  return local.candidateType === 'relay' ? `relay/${local.relayProtocol}` : local.candidateType;
}"""


def bench(joins: int, folder: Path) -> dict[str, dict[str, Any]]:
    coturn = start_coturn(folder / "coturn")
    server = start_server(folder / "visio", **coturn.settings)
    proxy = start_proxy(folder / "proxy")
    app = urlsplit(server.url)
    assert app.hostname and app.port
    direct = f"{app.hostname}:{app.port}"
    tones = {"alice": write_tone(folder / "alice.wav", 440.0)}
    figures: dict[str, list[float]] = {}
    paths: dict[str, set[str]] = {}
    with sync_playwright() as playwright, NetworkProfile(folder) as profile:
        crowd = Participants(playwright, tones)
        # label -> (network profile, expected path, whether the browser uses the proxy)
        profiles: dict[str, tuple[Callable[[], None], str, bool]] = {
            "direct": (profile.clear, "host", False),
            "TURN UDP": (lambda: profile.udp_only_to(TURN_ADDRESS, TURN_PORT), "relay/udp", False),
            "TURN TLS 443": (
                lambda: profile.allow_only((TURN_ADDRESS, TURNS_PORT), (app.hostname, app.port)),
                "relay/tls",
                False,
            ),
            "proxy 443": (
                lambda: profile.allow_only((proxy.host, proxy.port), (app.hostname, app.port)),
                "relay/tls",
                True,
            ),
        }
        newcomers: dict[bool, Browser] = {}
        try:
            slug = server.create_room()
            crowd.join(server.url, slug, "Alice")
            args = [*MEDIA_ARGS, "--ignore-certificate-errors"]
            for proxied in (False, True):
                newcomers[proxied] = playwright.chromium.launch(
                    executable_path=str(profile.launcher),
                    args=[*args, *proxy.chromium_args(direct)] if proxied else args,
                )
            labels = list(profiles)
            for round_ in range(joins):
                for label in labels if round_ % 2 == 0 else reversed(labels):
                    profile.clear()
                    apply, expected, proxied = profiles[label]
                    apply()
                    context = newcomers[proxied].new_context()
                    context.add_init_script(AUTO_JOIN_JS)
                    page = context.new_page()
                    page.goto(f"{server.url}/{slug}")
                    page.wait_for_function(JOIN_MARKS_JS, timeout=60_000)
                    marks = page.evaluate(JOIN_MARKS_JS)
                    path = page.evaluate(SUBSCRIBER_PATH_JS)
                    if path != expected:
                        raise SystemExit(f"{label}: the media went {path}, not {expected}")
                    paths.setdefault(label, set()).add(path)
                    figures.setdefault(label, []).append(marks["frame"] / 1000)
                    context.close()
                    profile.clear()
                    time.sleep(0.5)  # the leaver's media torn down before the next join
        finally:
            for newcomer in newcomers.values():
                newcomer.close()
            crowd.close()
            server.stop()
            proxy.stop()
            coturn.stop()
    return {
        label: {**quantiles(values), "path": ",".join(sorted(paths[label]))}
        for label, values in figures.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--joins", type=int, default=5, help="joins per network profile")
    args = parser.parse_args()
    if not in_media_namespace():
        raise SystemExit(
            "run inside the media namespace: scripts/in-netns .venv/bin/python -m bench.turn_join"
        )
    results = bench(args.joins, Path(tempfile.mkdtemp(prefix="visio-bench-turn-")))
    print("page load -> first remote frame painted (s), newcomer joining one participant")
    print(f"{'network':<14} {'path':<10} {'median':>8} {'p90':>8} {'min':>8} {'max':>8} {'n':>4}")
    for label, value in results.items():
        print(
            f"{label:<14} {value['path']:<10} {value['median']:>8.3f} {value['p90']:>8.3f} "
            f"{value['min']:>8.3f} {value['max']:>8.3f} {value['n']:>4}"
        )


if __name__ == "__main__":
    main()

"""Meetings through locked-down networks (issue 11): three people whose browsers may not use UDP,
or may only open TCP to port 443 of the TURN server, or may only reach an HTTP proxy that tunnels
to port 443, see and hear each other through Visio's coturn, and the connection indicator says
the media goes through a relay.

Every browser runs in one cgroup held to the network profile by nftables (`network_profile`);
coturn (configured by `visio.turn.coturn`) and Janus are outside it. Each test prints the
selected candidate pairs from getStats.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Playwright, expect

from tests.e2e.browser import MEDIA_ARGS, Participant, Participants
from tests.e2e.network_profile import NetworkProfile
from tests.support import RunningServer, wait_until
from tests.turn.coturn import (
    TURN_ADDRESS,
    TURNS_PORT,
)
from tests.turn.proxy import RunningProxy, proxy_unavailable, start_proxy

TONES = {"Alice": 440.0, "Bob": 660.0, "Carol": 990.0}

# Chromium checks a turns: server's certificate; the test's comes from a throwaway CA that
# Chromium does not know, and --ignore-certificate-errors is what makes it accept it.
TURNS_ARGS = [*MEDIA_ARGS, "--ignore-certificate-errors"]

SELECTED_PATHS_JS = """async () => {
  const describe = async (pc) => {
    if (!pc) return null;
    const stats = [...(await pc.getStats()).values()];
    const byId = new Map(stats.map((s) => [s.id, s]));
    const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
    const pair = transport ? byId.get(transport.selectedCandidatePairId) : null;
    if (!pair) return null;
    const local = byId.get(pair.localCandidateId) ?? {};
    const remote = byId.get(pair.remoteCandidateId) ?? {};
    return {local: local.candidateType, relayProtocol: local.relayProtocol ?? null,
            protocol: local.protocol, remote: remote.candidateType,
            url: local.url ?? null, state: pair.state};
  };
  const session = window.visio.session;
  return {publisher: await describe(session.publisher), subscriber: await describe(session.subscriber)};
}"""


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[RunningProxy]:
    reason = proxy_unavailable()
    if reason:
        pytest.fail(reason)
    running = start_proxy(tmp_path / "proxy")
    yield running
    running.stop()


class LockedDownParticipants(Participants):
    """Participants whose Chromiums all run inside the network profile's cgroup."""

    def __init__(
        self, playwright: Playwright, tones: dict[str, Path], profile: NetworkProfile
    ) -> None:
        super().__init__(playwright, tones)
        self._profile = profile

    def launch(self, name: str, args: list[str] | None = None) -> Browser:
        tone = self._tones[name.lower()]
        return self._playwright.chromium.launch(
            executable_path=str(self._profile.launcher),
            args=[*(args or MEDIA_ARGS), f"--use-file-for-fake-audio-capture={tone}"],
        )


def _relayed_paths(person: Participant, protocol: str) -> dict[str, Any]:
    """Both peer connections of a person, once each has selected a pair through the relay."""

    def relayed() -> dict[str, Any] | None:
        paths: dict[str, Any] = person.page.evaluate(SELECTED_PATHS_JS)
        through_relay = all(
            path and path["local"] == "relay" and path["relayProtocol"] == protocol
            for path in paths.values()
        )
        return paths if through_relay else None

    return wait_until(
        relayed,
        timeout=30,
        message=lambda: f"{person.name}: {person.page.evaluate(SELECTED_PATHS_JS)}",
    )


RELAYED = 'visio_turn_relayed_bytes_total{direction="out",side="peers"}'
"""Bytes coturn's relays sent on to Janus, as /metrics reports them."""


def _turn_usage(server: RunningServer) -> dict[str, float]:
    """The server's visio_turn_* figures taken from coturn (not its own minted credentials)."""
    return {
        row.split()[0]: float(row.split()[-1])
        for row in server.metrics().splitlines()
        if row.startswith("visio_turn_") and not row.startswith("visio_turn_credentials")
    }


def _meeting_through_relay(
    crowd: LockedDownParticipants, server: RunningServer, protocol: str, args: list[str]
) -> None:
    slug = server.create_room()
    before = _turn_usage(server)
    people = [crowd.join(server.url, slug, name, args=args) for name in TONES]
    for person in people:
        for other in people:
            if other is not person:
                person.wait_video_flowing(other.participant_id, timeout=60)
                person.wait_audio_tone(other.participant_id, TONES[other.name], timeout=60)
    for person in people:
        paths = _relayed_paths(person, protocol)
        print(f"\n{person.name} selected candidate pairs: {json.dumps(paths)}")
    # The indicator says it, on what Alice receives and on what she sends.
    alice, bob = people[0], people[1]
    label = f"via relay ({protocol.upper()})"
    received = alice.page.locator(
        f'[data-testid="tile"][data-participant-id="{bob.participant_id}"] '
        '[data-testid="connection-quality"]'
    )
    expect(received).to_have_attribute("data-relay", protocol)
    expect(received).to_have_attribute("aria-label", re.compile(re.escape(label)))
    own = alice.page.locator(
        '[data-testid="tile"][data-local="true"] [data-testid="connection-quality"]'
    )
    expect(own).to_have_attribute("aria-label", re.compile(re.escape(label)))
    # coturn's own account (redis-statsdb): the relays of this meeting, and media through them.
    wait_until(
        lambda: (
            _turn_usage(server)["visio_turn_allocations"] >= 2 * len(people)
            and _turn_usage(server)[RELAYED] > before[RELAYED]
        ),
        timeout=30,
        message=lambda: f"coturn's usage in /metrics: {_turn_usage(server)}",
    )
    usage = _turn_usage(server)
    print(f"coturn's usage in /metrics: {usage}")
    assert usage["visio_turn_statistics_ignored_total"] == 0, "messages Visio could not read"
    # And the browsers told the server (media.path): /metrics counts the relayed paths.
    for target in ("publisher", "subscriber"):
        line = (
            f'visio_media_paths_total{{candidate_type="relay",relay_protocol="{protocol}",'
            f'target="{target}"}}'
        )
        wait_until(
            lambda line=line: any(
                row.startswith(line) and float(row.split()[-1]) >= len(people)
                for row in server.metrics().splitlines()
            ),
            timeout=30,
            message=lambda: "\n".join(
                r for r in server.metrics().splitlines() if r.startswith("visio_media_paths")
            ),
        )


def test_turn_udp_blocked_meeting_goes_through_turn_over_tcp(
    turn_server: RunningServer,
    playwright: Playwright,
    tones: dict[str, Path],
    profile: NetworkProfile,
) -> None:
    """No UDP for the browsers: three people see and hear each other, every peer connection
    through a relay reached over TCP."""
    profile.block_udp()
    crowd = LockedDownParticipants(playwright, tones, profile)
    try:
        _meeting_through_relay(crowd, turn_server, "tcp", MEDIA_ARGS)
        assert profile.processes(), "the browsers are not in the profile's cgroup"
    finally:
        crowd.close()


def test_turn_only_tcp_443_meeting_goes_through_turn_over_tls(
    turn_server: RunningServer,
    playwright: Playwright,
    tones: dict[str, Path],
    profile: NetworkProfile,
) -> None:
    """The browsers may only open TCP to port 443 of the TURN server (and reach Visio's web
    server): three people see and hear each other through TURN over TLS on 443."""
    app = urlsplit(turn_server.url)
    assert app.hostname and app.port
    profile.allow_only((TURN_ADDRESS, TURNS_PORT), (app.hostname, app.port))
    crowd = LockedDownParticipants(playwright, tones, profile)
    try:
        _meeting_through_relay(crowd, turn_server, "tls", TURNS_ARGS)
    finally:
        crowd.close()


def test_turn_only_proxy_meeting_goes_through_turn_over_tls_tunnel(
    turn_server: RunningServer,
    playwright: Playwright,
    tones: dict[str, Path],
    profile: NetworkProfile,
    proxy: RunningProxy,
) -> None:
    """The browsers' only way out is an HTTP proxy that opens CONNECT tunnels to port 443
    (tinyproxy, ``ConnectPort 443``): Chromium tunnels TURN over TLS through it, and three people
    see and hear each other. Visio's web server stays reachable directly (the test serves it on
    a plain port the proxy would refuse; in production it is on 443 like the TURN server)."""
    app = urlsplit(turn_server.url)
    assert app.hostname and app.port
    profile.allow_only((proxy.host, proxy.port), (app.hostname, app.port))
    args = [*TURNS_ARGS, *proxy.chromium_args(direct=f"{app.hostname}:{app.port}")]
    crowd = LockedDownParticipants(playwright, tones, profile)
    try:
        _meeting_through_relay(crowd, turn_server, "tls", args)
    finally:
        crowd.close()
    to_turn = [target for target in proxy.connects() if target.startswith(f"{TURN_ADDRESS}:")]
    print(
        f"\nCONNECT requests to the TURN server: {to_turn}; ports refused: {proxy.refused_ports()}"
    )
    assert f"{TURN_ADDRESS}:{TURNS_PORT}" in to_turn, proxy.log()[-3000:]
    assert TURNS_PORT not in proxy.refused_ports()

"""Browsers in the cluster bed: joining through HAProxy, watching media flow, losing a node.

Each page runs a small monitor (``FLOW_MONITOR_JS``) that samples its subscriber
PeerConnection every 200 ms and notes how many inbound video and audio streams received bytes
since the previous sample, and the session's status. "Media restored" after a node is killed is
the start of the last unbroken run in which every remote participant's video and audio grow
and the session says ``connected``: measured by the page's own clock, no click anywhere.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.cluster.lab.bed import PUBLIC_URL, ClusterBed
from tests.e2e.browser import MEDIA_ARGS, Participant, Participants, write_tone

BROWSER_ARGS = [*MEDIA_ARGS, f"--unsafely-treat-insecure-origin-as-secure={PUBLIC_URL}"]
"""The meeting is on HAProxy's plain-http address: Chromium gives the camera and microphone to
secure origins only, so this one is declared secure (as https would make it)."""

TONES = {"Alice": 440.0, "Bob": 660.0, "Carol": 990.0}
SAMPLE_MS = 200
STEADY_S = 3.0
"""Media counts as restored once it has flowed this long without a break."""

FLOW_MONITOR_JS = f"""() => {{
  if (window.__visioFlow) return;
  const log = [];
  window.__visioFlow = log;
  const serials = new WeakMap();
  let serial = 0;
  const before = new Map();
  const sample = async () => {{
    const session = window.visio?.session;
    const pc = session?.subscriber;
    let video = 0, audio = 0;
    if (pc && typeof pc.getStats === 'function' && pc.connectionState !== 'closed') {{
      if (!serials.has(pc)) serials.set(pc, ++serial);
      const tag = serials.get(pc);
      try {{
        (await pc.getStats()).forEach(s => {{
          if (s.type !== 'inbound-rtp') return;
          const key = tag + ':' + s.id, bytes = s.bytesReceived || 0;
          const was = before.get(key);
          before.set(key, bytes);
          if (was !== undefined && bytes > was) {{
            if (s.kind === 'video') video++;
            if (s.kind === 'audio') audio++;
          }}
        }});
      }} catch (error) {{}}
    }}
    log.push({{t: Date.now(), video, audio, status: session?.status ?? 'none'}});
    if (log.length > 6000) log.splice(0, 1000);
    setTimeout(sample, {SAMPLE_MS});
  }};
  sample();
}}"""

MEDIA_ADDRESS_JS = """async () => {
  const pc = window.visio?.session?.subscriber;
  if (!pc) return null;
  const stats = await pc.getStats();
  let pair = null;
  stats.forEach(s => { if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId); });
  if (!pair) return null;
  const remote = stats.get(pair.remoteCandidateId);
  return remote ? (remote.address ?? remote.ip ?? null) : null;
}"""


def join_through_balancer(crowd: Participants, slug: str, name: str) -> Participant:
    person = crowd.join(PUBLIC_URL, slug, name, args=BROWSER_ARGS)
    person.page.evaluate(FLOW_MONITOR_JS)
    return person


def media_address(person: Participant) -> str | None:
    """The address this browser receives media from (its subscriber's selected ICE pair)."""
    address = person.page.evaluate(MEDIA_ADDRESS_JS)
    return str(address) if address else None


def flow_log(person: Participant) -> list[dict[str, Any]]:
    return list(person.page.evaluate("() => window.__visioFlow ?? []"))


def _restored_at(log: list[dict[str, Any]], since_ms: float, remote: int) -> float | None:
    """The start (ms) of the unbroken run of full media that reaches the last sample, if it
    lasts STEADY_S; None while media is not all back."""
    samples = [entry for entry in log if entry["t"] >= since_ms]
    start = None
    for entry in samples:
        full = (
            entry["video"] >= remote and entry["audio"] >= remote and entry["status"] == "connected"
        )
        if not full:
            start = None
        elif start is None:
            start = entry["t"]
    if start is None or samples[-1]["t"] - start < STEADY_S * 1000:
        return None
    return float(start)


def wait_media_restored(
    person: Participant, killed_at_ms: float, remote: int, timeout: float = 60
) -> float:
    """Seconds from ``killed_at_ms`` (wall clock) until ``person`` receives every one of
    ``remote`` participants' video and audio again, steadily (no click: we only watch)."""
    deadline = time.monotonic() + timeout
    while True:
        log = flow_log(person)
        restored = _restored_at(log, killed_at_ms, remote)
        if restored is not None:
            return max(0.0, (restored - killed_at_ms) / 1000)
        if time.monotonic() > deadline:
            tail = [entry for entry in log if entry["t"] >= killed_at_ms][-15:]
            raise AssertionError(
                f"{person.name}: media from {remote} participants not back {timeout} s after "
                f"the kill; last samples {tail}"
            )
        time.sleep(0.2)


def restoration_seconds(person: Participant, killed_at_ms: float, remote: int) -> float:
    """The same figure over everything seen so far (a break that came late counts)."""
    restored = _restored_at(flow_log(person), killed_at_ms, remote)
    if restored is None:
        raise AssertionError(f"{person.name}: media broke again after it was back")
    return max(0.0, (restored - killed_at_ms) / 1000)


def now_ms() -> float:
    return time.time() * 1000


def assert_everyone_sees_everyone(people: list[Participant], timeout: float = 30) -> None:
    """Each sees exactly the others' camera tiles, by name (no ghost, nobody missing), with
    video frames advancing and each one's own tone heard."""
    for person in people:
        others = {other.name for other in people if other is not person}
        person.wait_for_remote_names(others, timeout)
        cameras = [tile for tile in person.remote_tiles() if tile["source"] == "camera"]
        assert sorted(tile["name"] for tile in cameras) == sorted(others), (
            f"{person.name} sees {cameras}, expected exactly {others}"
        )
        for other in people:
            if other is not person:
                person.wait_video_flowing(other.participant_id, timeout=timeout)
                person.wait_audio_tone(other.participant_id, TONES[other.name], timeout=timeout)


def assert_hand_up(people: list[Participant], raised: Participant) -> None:
    expect(raised.page.get_by_test_id("toggle-hand")).to_have_attribute("aria-pressed", "true")
    for person in people:
        if person is not raised:
            tile = person.page.locator(
                f'[data-testid="tile"][data-participant-id="{raised.participant_id}"]'
                '[data-source="camera"]'
            )
            expect(tile).to_have_attribute("data-hand", "up")


@dataclass
class Recovery:
    """Seconds from a kill to media back, per participant."""

    what: str
    seconds: dict[str, float]

    @property
    def worst(self) -> float:
        return max(self.seconds.values())


def measure_recovery(
    what: str, people: list[Participant], killed_at_ms: float, timeout: float = 60
) -> Recovery:
    remote = len(people) - 1
    return Recovery(
        what,
        {
            person.name: wait_media_restored(person, killed_at_ms, remote, timeout)
            for person in people
        },
    )


def recheck(recovery: Recovery, people: list[Participant], killed_at_ms: float) -> Recovery:
    """The figures again after further checks: a break that came after "restored" counts."""
    remote = len(people) - 1
    return Recovery(
        recovery.what,
        {person.name: restoration_seconds(person, killed_at_ms, remote) for person in people},
    )


def carrying_janus(bed: ClusterBed, people: list[Participant]) -> str:
    """The name of the Janus node every browser's media goes to (one room, one Janus)."""
    addresses = {media_address(person) for person in people}
    assert len(addresses) == 1 and None not in addresses, (
        f"the room's media should go through one Janus; browsers use {addresses}"
    )
    address = addresses.pop()
    assert address is not None
    return bed.janus_at(address).node.name


def write_tones(folder: Path) -> dict[str, Path]:
    """Each person's fake microphone plays their own tone, so we hear who is who."""
    folder.mkdir(parents=True, exist_ok=True)
    return {
        name.lower(): write_tone(folder / f"{name.lower()}.wav", frequency)
        for name, frequency in TONES.items()
    }

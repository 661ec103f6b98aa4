"""Browsers in the cluster bed: joining through HAProxy, watching media flow, losing a node.

Each page runs a small monitor (``FLOW_MONITOR_JS``) that samples its subscriber
PeerConnection every 200 ms and notes how many inbound video and audio streams received bytes
within the last 1.5 s, and the session's status. "Media restored" after a node is killed is
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
from tests.e2e.test_chat_ui import open_chat, send, texts

# As in tests/e2e: Playwright's 5 s default fails checks on a busy machine, not slow features
# (the recovery times are measured separately, from the page's own samples).
expect.set_options(timeout=30_000)

BROWSER_ARGS = [*MEDIA_ARGS, f"--unsafely-treat-insecure-origin-as-secure={PUBLIC_URL}"]
"""The meeting is on HAProxy's plain-http address: Chromium gives the camera and microphone to
secure origins only, so this one is declared secure (as https would make it)."""

TONES = {"Alice": 440.0, "Bob": 660.0, "Carol": 990.0}
CHAT_LINE = "Said before the loss"
SAMPLE_MS = 200
GROWTH_WINDOW_MS = 1500
"""A stream flows while its bytes grew within this long (a busy machine delays frames and
samples alike; a lost node stops them for good)."""
STEADY_S = 3.0
"""Media counts as restored once it has flowed this long without a break."""
AFTERMATH_S = 10.0
"""A break this soon after media came back belongs to the same loss."""

FLOW_MONITOR_JS = f"""() => {{
  if (window.__visioFlow) return;
  const log = [];
  window.__visioFlow = log;
  const serials = new WeakMap();
  let serial = 0;
  const seen = new Map();  // per stream of a PeerConnection: bytes, and when they last grew
  const sample = async () => {{
    const session = window.visio?.session;
    const pc = session?.subscriber;
    const now = Date.now();
    let video = 0, audio = 0;
    if (pc && typeof pc.getStats === 'function' && pc.connectionState !== 'closed') {{
      if (!serials.has(pc)) serials.set(pc, ++serial);
      const tag = serials.get(pc);
      try {{
        (await pc.getStats()).forEach(s => {{
          if (s.type !== 'inbound-rtp') return;
          const key = tag + ':' + s.id, bytes = s.bytesReceived || 0;
          const was = seen.get(key);
          const grew = was !== undefined && bytes > was.bytes ? now : (was ? was.grew : 0);
          seen.set(key, {{bytes, grew}});
          if (now - grew <= {GROWTH_WINDOW_MS}) {{
            if (s.kind === 'video') video++;
            if (s.kind === 'audio') audio++;
          }}
        }});
      }} catch (error) {{}}
    }}
    log.push({{t: now, video, audio, status: session?.status ?? 'none'}});
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


def _full(entry: dict[str, Any], remote: int) -> bool:
    return bool(
        entry["video"] >= remote and entry["audio"] >= remote and entry["status"] == "connected"
    )


def _restored_at(log: list[dict[str, Any]], since_ms: float, remote: int) -> float | None:
    """The start (ms) of the unbroken run of full media that reaches the last sample, if it
    lasts STEADY_S; None while media is not all back."""
    samples = [entry for entry in log if entry["t"] >= since_ms]
    start = None
    for entry in samples:
        if not _full(entry, remote):
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


def restoration_seconds(
    person: Participant, killed_at_ms: float, remote: int, first_seconds: float
) -> float:
    """The figure again, once later checks have run: a break within AFTERMATH_S of the first
    "restored" (the failover not quite done) moves it to the end of that break."""
    until = killed_at_ms + (first_seconds + AFTERMATH_S) * 1000
    window = [entry for entry in flow_log(person) if killed_at_ms <= entry["t"] <= until]
    broken = [index for index, entry in enumerate(window) if not _full(entry, remote)]
    if not broken:
        return first_seconds
    if broken[-1] == len(window) - 1:
        raise AssertionError(f"{person.name}: media broke again after it was back: {window[-10:]}")
    return max(first_seconds, (window[broken[-1] + 1]["t"] - killed_at_ms) / 1000)


def timeline(person: Participant, since_ms: float) -> str:
    """What the page saw after ``since_ms``, as changes: seconds, session status, how many
    remote video and audio streams flowed (to tell where a slow recovery spent its time)."""
    changes, last = [], None
    for entry in flow_log(person):
        if entry["t"] < since_ms:
            continue
        state = (entry["status"], entry["video"], entry["audio"])
        if state != last:
            seconds = (entry["t"] - since_ms) / 1000
            changes.append(f"+{seconds:.1f}s {state[0]} v{state[1]} a{state[2]}")
            last = state
    return f"{person.name}: " + ", ".join(changes)


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
    """The figures again after further checks (see ``restoration_seconds``)."""
    remote = len(people) - 1
    return Recovery(
        recovery.what,
        {
            person.name: restoration_seconds(
                person, killed_at_ms, remote, recovery.seconds[person.name]
            )
            for person in people
        },
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


def _chat_shows(person: Participant, text: str) -> None:
    open_chat(person)
    expect(texts(person).filter(has_text=text)).to_have_count(1)


def _step(what: str) -> None:
    """Where the scenario is (shown with ``pytest -s`` and by the bench)."""
    print(f"{time.strftime('%H:%M:%S')} {what}", flush=True)


def lose_owner_then_janus(
    bed: ClusterBed,
    crowd: Participants,
    slug: str,
    names: tuple[str, ...] = ("Alice", "Bob", "Carol"),
) -> tuple[list[Participant], Recovery, Recovery]:
    """Issue 12's node-loss scenario: ``names`` meet in ``slug``, their sockets spread over the
    app servers; the first raises a hand, the second writes in the chat. The app server that
    owns the room is killed, then the Janus that carries it. After each, the time until every
    browser receives everyone's media again is measured, and the room is checked: the same
    people by name (no ghost), the hand still up, the chat still there."""
    people = [join_through_balancer(crowd, slug, name) for name in names]
    _step(f"joined {slug}")
    raised, writer = people[0], people[1]
    landed = bed.socket_servers(slug)
    assert len(set(landed)) == len(bed.apps), f"the room's sockets went to {landed}"
    assert_everyone_sees_everyone(people)
    _step("everyone sees and hears everyone")
    raised.page.get_by_test_id("toggle-hand").click()
    assert_hand_up(people, raised)
    open_chat(writer)
    send(writer, CHAT_LINE)
    for person in people:
        _chat_shows(person, CHAT_LINE)

    owner = bed.room_owner(slug)
    assert owner in [app.node_id for app in bed.apps], f"nobody holds room {slug}: {owner!r}"
    _step(f"killing {owner}, the room's owner")
    killed = now_ms()
    bed.app(owner).kill()
    app_loss = measure_recovery("app server", people, killed)
    _step(f"media back: {app_loss.seconds}")
    for person in people:
        _step(timeline(person, killed))
    assert_everyone_sees_everyone(people)
    assert_hand_up(people, raised)
    for person in people:
        _chat_shows(person, CHAT_LINE)
    app_loss = recheck(app_loss, people, killed)
    taken_by = bed.room_owner(slug)
    assert taken_by not in (None, owner), f"room {slug} not taken over: owner {taken_by!r}"

    janus = carrying_janus(bed, people)
    _step(f"killing {janus}, which carries the room")
    killed = now_ms()
    bed.janus_named(janus).kill()
    janus_loss = measure_recovery("Janus", people, killed)
    _step(f"media back: {janus_loss.seconds}")
    for person in people:
        _step(timeline(person, killed))
    assert_everyone_sees_everyone(people)
    assert carrying_janus(bed, people) != janus
    assert_hand_up(people, raised)
    for person in people:
        _chat_shows(person, CHAT_LINE)
    janus_loss = recheck(janus_loss, people, killed)
    return people, app_loss, janus_loss

"""Meeting benchmarks: join speed, how fast people who leave disappear, recovery after a Janus
crash, Janus CPU in a three-person call.

Run inside the media network namespace (as root):

    scripts/in-netns .venv/bin/python -m bench.meeting [--joins 10] [--leaves 5] [--kills 5] [--cpu-seconds 20]
    scripts/in-netns .venv/bin/python -m bench.meeting --only join --compare /tmp/visio-before

``--compare`` measures another checkout's joins beside this one's, alternating, and prints the two
builds' join steps side by side (e.g. ``git worktree add /tmp/visio-before main`` and build its
web app there first). ``--link 10,40`` loads the page over an emulated link (Chromium's network
emulation: 10 Mbit/s down, 40 ms round trip) instead of loopback; media is not throttled.

It starts its own `visio serve` (embedded Janus) and headless Chromium participants, and prints
medians and p90s. Figures depend on the machine; compare runs made on the same one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Playwright, sync_playwright
from tests.e2e.browser import Participants, write_tone
from tests.support import RunningServer, in_media_namespace, start_server

# The steps of one join, as the page marks them (performance.mark), in milliseconds since navigation.
JOIN_MARKS_JS = """() => {
  const at = (name) => performance.getEntriesByName(name)[0]?.startTime ?? null;
  const frame = at('visio:first-remote-frame');
  if (frame === null) return null;
  const nav = performance.getEntriesByType('navigation')[0];
  return {frame, click: at('visio:join-clicked'), wsOpen: at('visio:ws-open'), joined: at('visio:joined'),
          offer: at('visio:subscriber-offer'), answer: at('visio:subscriber-answer'),
          connected: at('visio:subscriber-connected'),
          domContentLoaded: nav ? nav.domContentLoadedEventEnd : null};
}"""

# (figure, from mark, to mark): the whole join, then its steps in order.
JOIN_STEPS = [
    ("load_to_first_remote_frame_s", None, "frame"),
    ("load_to_join_click_s", None, "click"),
    ("join_click_to_first_remote_frame_s", "click", "frame"),
    ("  click_to_joined_s", "click", "joined"),
    ("  joined_to_subscriber_offer_s", "joined", "offer"),
    ("  offer_to_answer_sent_s", "offer", "answer"),
    ("  answer_to_ice_dtls_connected_s", "answer", "connected"),
    ("  connected_to_first_frame_painted_s", "connected", "frame"),
]


def quantiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return {
        "n": len(ordered),
        "median": statistics.median(ordered),
        "p90": p90,
        "min": ordered[0],
        "max": ordered[-1],
    }


# A returning user whose name the browser remembers clicks "Join" the moment it can be clicked.
# Clicking from inside the page keeps Playwright's own round trips (tens of ms each) out of the
# figure; "join click → first frame" is reported beside it.
AUTO_JOIN_JS = """
window.addEventListener('DOMContentLoaded', () => {
  const observer = new MutationObserver(() => {
    const input = document.querySelector('[data-testid="name-input"]');
    const button = document.querySelector('[data-testid="join"]');
    if (!input || !button || button.disabled || window.__visioBenchClicked) return;
    window.__visioBenchClicked = true;
    observer.disconnect();
    const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
    setValue.call(input, 'Bob');
    input.dispatchEvent(new Event('input', {bubbles: true}));
    setTimeout(() => button.click(), 0);
  });
  observer.observe(document.body, {subtree: true, childList: true, attributes: true});
});
"""


Link = tuple[float, float]
"""An emulated link for the page: (Mbit/s down, round trip in ms); upload a quarter of it."""


def bench_join(
    servers: dict[str, RunningServer], crowd: Participants, joins: int, link: Link | None = None
) -> dict[str, dict[str, Any]]:
    """Page load → first remote frame painted, for a newcomer joining someone already there, on
    each server (one per web app build); joins alternate between them (ABBA), so that the
    machine's changing load weighs on each the same."""
    rooms = {}
    for label, server in servers.items():
        rooms[label] = server.create_room()
        crowd.join(server.url, rooms[label], "Alice")
    browser = crowd.launch("Bob")
    steps: dict[str, dict[str, list[float]]] = {label: {} for label in servers}
    labels = list(servers)
    for round_ in range(joins):
        for label in labels if round_ % 2 == 0 else reversed(labels):
            context = browser.new_context()
            context.add_init_script(AUTO_JOIN_JS)
            page = context.new_page()
            if link is not None:
                mbps, rtt_ms = link
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                cdp.send(
                    "Network.emulateNetworkConditions",
                    {
                        "offline": False,
                        "latency": rtt_ms,
                        "downloadThroughput": mbps * 125_000,
                        "uploadThroughput": mbps * 125_000 / 4,
                    },
                )
            page.goto(f"{servers[label].url}/{rooms[label]}")
            page.wait_for_function(JOIN_MARKS_JS, timeout=20000)
            marks = page.evaluate(JOIN_MARKS_JS)
            for figure, begin, finish in JOIN_STEPS:
                first = 0.0 if begin is None else marks[begin]
                if first is not None and marks[finish] is not None:
                    steps[label].setdefault(figure, []).append((marks[finish] - first) / 1000)
            context.close()
            time.sleep(0.5)
    browser.close()
    return {
        label: {figure: quantiles(values) for figure, values in figures.items()}
        for label, figures in steps.items()
    }


def print_side_by_side(results: dict[str, dict[str, Any]]) -> None:
    """Medians (and p90s) of each build's join steps side by side, with the ratio after / before."""
    labels = list(results)
    header = f"{'join step':<40}" + "".join(
        f" {label + ' median':>16} {'p90':>7}" for label in labels
    )
    if len(labels) == 2:
        header += f" {'ratio':>7}"
    print(header)
    for figure, _, _ in JOIN_STEPS:
        row = f"{figure:<40}"
        medians = []
        for label in labels:
            value = results[label].get(figure)
            medians.append(value["median"] if value else None)
            row += (
                f" {value['median']:>16.3f} {value['p90']:>7.3f}"
                if value
                else f" {'-':>16} {'-':>7}"
            )
        if len(labels) == 2 and medians[0] and medians[1] is not None:
            row += f" {medians[1] / medians[0]:>7.2f}"
        print(row)
    print(f"n = {[results[label]['load_to_first_remote_frame_s']['n'] for label in labels]} joins")


@contextmanager
def python_path_first(folder: Path) -> Iterator[None]:
    """Servers started meanwhile import Visio (and serve its built web app) from ``folder``."""
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = f"{folder}{os.pathsep}{saved}" if saved else str(folder)
    try:
        yield
    finally:
        if saved is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = saved


def run_join(
    playwright: Playwright,
    tones: dict[str, Path],
    folder: Path,
    joins: int,
    compare: Path | None,
    link: Link | None = None,
) -> dict[str, Any]:
    """The join bench on this tree's server, and on ``compare``'s (as "before") when given."""
    servers: dict[str, RunningServer] = {}
    crowd = Participants(playwright, tones)
    try:
        if compare is not None:
            with python_path_first(compare / "src"):
                servers["before"] = start_server(folder / "join-before")
        servers["after" if compare is not None else "this"] = start_server(folder / "join")
        results = bench_join(servers, crowd, joins, link)
    finally:
        crowd.close()
        for server in servers.values():
            server.stop()
    print_side_by_side(results)
    if compare is None:
        return results["this"]
    return {
        f"{label}: {figure}": value for label in results for figure, value in results[label].items()
    }


def bench_leave(server: RunningServer, crowd: Participants, rounds: int) -> dict[str, Any]:
    """Seconds from Bob clicking "Leave" (or Carol closing her tab) to their tile leaving Alice's
    screen. Measured from the test process, so Playwright's round trips (tens of ms) are in."""
    button, tab = [], []
    for _ in range(rounds):
        slug = server.create_room()
        alice, bob, carol = (
            crowd.join(server.url, slug, name) for name in ("Alice", "Bob", "Carol")
        )
        alice.wait_for_remote_names({"Bob", "Carol"})
        for person, leave, figures in (
            (bob, bob.page.get_by_test_id("leave").click, button),
            (carol, carol.page.close, tab),
        ):
            tile = f'[data-testid="tile"][data-participant-id="{person.participant_id}"]'
            started = time.monotonic()
            leave()
            alice.page.wait_for_selector(tile, state="detached", timeout=30000)
            figures.append(time.monotonic() - started)
        crowd.close()
        crowd.people.clear()
    return {
        "leave_button_to_tile_gone_s": quantiles(button),
        "tab_closed_to_tile_gone_s": quantiles(tab),
    }


def bench_recovery(server: RunningServer, crowd: Participants, kills: int) -> dict[str, Any]:
    """Seconds from SIGKILL on Janus to video flowing again both ways, with no user action."""
    alice, bob = crowd.meeting(server.url, server.create_room(), "Alice", "Bob")
    a_id, b_id = alice.participant_id, bob.participant_id
    durations = []
    for _ in range(kills):
        bob.wait_video_flowing(a_id)
        alice.wait_video_flowing(b_id)
        before = {id(p): p.inbound_totals()["framesDecoded"] for p in (alice, bob)}
        server.kill_janus()
        started = time.monotonic()
        time.sleep(0.2)
        for person, other in ((bob, a_id), (alice, b_id)):
            person.wait_video_flowing(other, timeout=30)
        durations.append(time.monotonic() - started)
        assert all(p.inbound_totals()["framesDecoded"] != before[id(p)] for p in (alice, bob))
        time.sleep(1)
    return {"janus_kill_to_media_restored_s": quantiles(durations)}


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def bench_janus_cpu(server: RunningServer, crowd: Participants, seconds: float) -> dict[str, Any]:
    """Janus's CPU (percent of one core) while forwarding a three-person call."""
    crowd.meeting(server.url, server.create_room(), "Alice", "Bob", "Carol")
    time.sleep(3)
    pid = server.janus_pid()
    samples = []
    for _ in range(max(1, int(seconds // 5))):
        cpu0, t0 = _cpu_seconds(pid), time.monotonic()
        time.sleep(5)
        samples.append(100 * (_cpu_seconds(pid) - cpu0) / (time.monotonic() - t0))
    return {
        "janus_cpu_percent_of_one_core_3_person_call": quantiles(samples),
        "janus_rss_mb": round(_rss_mb(pid), 1),
    }


def _link(text: str) -> Link:
    try:
        mbps, rtt_ms = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError("expected MBPS,RTT_MS, e.g. 10,40") from None
    if not (0 < mbps <= 10_000 and 0 <= rtt_ms <= 5_000):
        raise argparse.ArgumentTypeError("MBPS in (0, 10000], RTT_MS in [0, 5000]")
    return mbps, rtt_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--joins", type=int, default=10)
    parser.add_argument("--leaves", type=int, default=5)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--cpu-seconds", type=float, default=20)
    parser.add_argument("--only", choices=["join", "leave", "recovery", "cpu"], action="append")
    parser.add_argument(
        "--compare",
        type=Path,
        help="another checkout (its web app built) whose joins to measure beside this one's, "
        "as 'before': e.g. a `git worktree` of main",
    )
    parser.add_argument(
        "--link",
        type=_link,
        help="load the page over an emulated link: 'MBPS,RTT_MS' (e.g. 10,40); media unthrottled",
    )
    args = parser.parse_args()
    if not in_media_namespace():
        raise SystemExit(
            "run inside the media namespace: scripts/in-netns .venv/bin/python -m bench.meeting"
        )
    chosen = set(args.only or ["join", "leave", "recovery", "cpu"])
    folder = Path(tempfile.mkdtemp(prefix="visio-bench-"))
    tones = {
        n: write_tone(folder / f"{n}.wav", f)
        for n, f in (("alice", 440.0), ("bob", 660.0), ("carol", 990.0))
    }
    results: dict[str, Any] = {}
    with sync_playwright() as playwright:
        if "join" in chosen:
            results.update(run_join(playwright, tones, folder, args.joins, args.compare, args.link))
        for name, run in (
            ("leave", lambda s, c: bench_leave(s, c, args.leaves)),
            ("recovery", lambda s, c: bench_recovery(s, c, args.kills)),
            ("cpu", lambda s, c: bench_janus_cpu(s, c, args.cpu_seconds)),
        ):
            if name not in chosen:
                continue
            server = start_server(folder / name)
            crowd = Participants(playwright, tones)
            try:
                results.update(run(server, crowd))
            finally:
                crowd.close()
                server.stop()
    print(f"{'figure':<56} {'median':>8} {'p90':>8} {'min':>8} {'max':>8} {'n':>4}")
    for key, value in results.items():
        if isinstance(value, dict):
            print(
                f"{key:<56} {value['median']:>8.3f} {value['p90']:>8.3f} {value['min']:>8.3f} {value['max']:>8.3f} {value['n']:>4}"
            )
        else:
            print(f"{key:<56} {value:>8}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()

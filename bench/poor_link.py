"""Video and sound on poor links (issue 11): what a participant receives when their own link is
clean, has 2 % loss and 100 ms more round trip, 5 % loss, 300 ms and a 500 kbit/s bottleneck, or
only 1 Mbit/s, side by side in one run. Alice's browser is on a clean link; Bob's goes through the
link emulator (tests/e2e/poor_link.py: netem's loss, delay and rate in user space, as this kernel
has no netem), both ways, on his UDP. The web app adapts as it does for everyone (link adaptation,
layer selection).

For each profile, after `--settle` seconds (the adaptation's time to step down or back up), over a
`--window` of seconds, on what Bob receives from Alice: video frozen (share of the window, from
`totalFreezesDuration`), frames decoded per second, the widest frame, audio concealed (share of
samples); and on what Alice receives from Bob the same. Profiles alternate order between rounds;
medians over rounds.

    flock /work/browser.lock scripts/in-netns .venv/bin/python -m bench.poor_link [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright
from tests.e2e.browser import Participant, Participants, write_tone
from tests.e2e.poor_link import (
    LINK_STATS_JS,
    PROFILES,
    PoorLink,
    PoorLinkParticipants,
    concealed_ratio,
)
from tests.support import in_media_namespace, start_server

FIGURES = ("frozen", "fps", "width", "concealed")


def _measure(person: Participant, window: float) -> dict[str, float]:
    before = person.page.evaluate(LINK_STATS_JS)
    time.sleep(window)
    after = person.page.evaluate(LINK_STATS_JS)
    seconds = (after["at"] - before["at"]) / 1000
    video_before, video_after = before["video"], after["video"]
    return {
        "frozen": (video_after["freezes"] - video_before["freezes"]) / seconds,
        "fps": (video_after["frames"] - video_before["frames"]) / seconds,
        "width": float(video_after["width"] if video_after["bytes"] > video_before["bytes"] else 0),
        "concealed": concealed_ratio(before, after),
        "modes": person.page.evaluate(
            "() => { const m = document.querySelector('.meeting');"
            " return `${m?.dataset.linkReceive}/${m?.dataset.linkSend}`; }"
        ),
    }


def bench(rounds: int, settle: float, window: float, folder: Path) -> dict[str, dict[str, Any]]:
    server = start_server(folder / "visio")
    tones = {
        "alice": write_tone(folder / "alice.wav", 440.0),
        "bob": write_tone(folder / "bob.wav", 660.0),
    }
    results: dict[str, dict[str, list[Any]]] = {}
    with sync_playwright() as playwright, PoorLink(folder) as link:
        crowd = PoorLinkParticipants(Participants(playwright, tones), link, {"Bob"})
        try:
            slug = server.create_room()
            alice, bob = crowd.meeting(server.url, slug, "Alice", "Bob")
            labels = list(PROFILES)
            for round_ in range(rounds):
                for label in labels if round_ % 2 == 0 else list(reversed(labels)):
                    profile = PROFILES[label]
                    if profile:
                        link.apply(profile)
                    else:
                        link.restore()
                    time.sleep(settle)
                    figures = results.setdefault(label, {})
                    for who, person in (("Bob receives", bob), ("Alice receives", alice)):
                        for key, value in _measure(person, window).items():
                            figures.setdefault(f"{who} {key}", []).append(value)
                    print(f"round {round_ + 1} {label}: done", flush=True)
            stats = link.stats()
            print(f"link emulator: {stats}")
        finally:
            crowd.close()
            server.stop()
    return {
        label: {
            key: (
                statistics.median(values)
                if key.split()[-1] in FIGURES
                else ",".join(sorted(set(values)))
            )
            for key, values in figures.items()
        }
        for label, figures in results.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="rounds over every profile")
    parser.add_argument("--settle", type=float, default=25.0, help="seconds before measuring")
    parser.add_argument("--window", type=float, default=15.0, help="seconds measured")
    args = parser.parse_args()
    if not in_media_namespace():
        raise SystemExit(
            "run inside the media namespace: scripts/in-netns .venv/bin/python -m bench.poor_link"
        )
    folder = Path(tempfile.mkdtemp(prefix="visio-bench-link-"))
    results = bench(args.rounds, args.settle, args.window, folder)
    print(
        f"\nmedians over {args.rounds} rounds ({args.window:.0f} s windows after {args.settle:.0f} s)"
    )
    print("Bob is on the profile's link; frozen and concealed are shares of the window")
    header = (
        f"{'profile':<30} {'who':<15} {'frozen':>7} {'fps':>6} {'width':>6} "
        f"{'concealed':>10}  {'modes (receive/send)'}"
    )
    print(header)
    for label, figures in results.items():
        for who in ("Bob receives", "Alice receives"):
            print(
                f"{label:<30} {who:<15} {figures[f'{who} frozen']:>7.3f} "
                f"{figures[f'{who} fps']:>6.1f} {figures[f'{who} width']:>6.0f} "
                f"{figures[f'{who} concealed']:>10.3f}  {figures[f'{who} modes']}"
            )


if __name__ == "__main__":
    main()

"""Cutting one browser off the network, and giving it back, inside the test network namespace.

The browser's processes live in a cgroup (v2) of their own: a launcher script moves itself there
and then runs Chromium, whose child processes (the network service among them) inherit it. While
cut, an nftables table in the test namespace drops every packet to or from a socket of that cgroup,
TCP (the room's WebSocket) and UDP (ICE, media) alike, without closing anything: to the browser and
to the server it looks like a network that went silent. The other browsers are untouched.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import time
from pathlib import Path
from types import TracebackType

from tests.e2e.browser import CHROMIUM

# nft names cgroups by their path under this folder, wherever cgroup2 is mounted below it.
NFT_CGROUP_ROOT = Path("/sys/fs/cgroup")
_serial = itertools.count(1)


def cgroup2_mount() -> Path | None:
    """Where the cgroup2 hierarchy is mounted (at NFT_CGROUP_ROOT or below it), if anywhere."""
    for line in Path("/proc/self/mounts").read_text().splitlines():
        fields = line.split()
        if len(fields) > 2 and fields[2] == "cgroup2":
            mount = Path(fields[1])
            if mount == NFT_CGROUP_ROOT or NFT_CGROUP_ROOT in mount.parents:
                return mount
    return None


def unavailable_reason() -> str | None:
    """Why a network cut cannot be made here (None when it can)."""
    if shutil.which("nft") is None:
        return "nftables (`nft`) is not installed: scripts/setup --test installs it"
    if cgroup2_mount() is None:
        return "no cgroup2 hierarchy under /sys/fs/cgroup"
    if os.environ.get("VISIO_IN_NETNS") != "1":
        return "a network cut must run inside scripts/in-netns (never on the machine's own network)"
    return None


class NetworkCut:
    """One cgroup whose sockets can be cut off the network; `launcher` runs Chromium inside it."""

    def __init__(self, folder: Path) -> None:
        reason = unavailable_reason()
        if reason:
            raise RuntimeError(reason)
        mount = cgroup2_mount()
        assert mount is not None
        name = f"visio-cut-{os.getpid()}-{next(_serial)}"
        self.cgroup = mount / name
        self.cgroup.mkdir()
        self._nft_path = str(self.cgroup.relative_to(NFT_CGROUP_ROOT))
        self._table = name.replace("-", "_")
        self.launcher = folder / f"{name}-chromium"
        self.launcher.write_text(
            f"#!/bin/sh\necho $$ > '{self.cgroup}/cgroup.procs'\nexec {CHROMIUM} \"$@\"\n"
        )
        self.launcher.chmod(0o755)
        self.active = False

    def cut(self) -> None:
        """Drop every packet the cgroup's sockets send or would receive, from now on."""
        # Level 1: the cgroup is a direct child of the hierarchy's root.
        match = f'socket cgroupv2 level 1 "{self._nft_path}"'
        ruleset = (
            f"table inet {self._table} {{\n"
            f"  chain out {{ type filter hook output priority 0; {match} drop; }}\n"
            f"  chain in {{ type filter hook input priority 0; {match} drop; }}\n"
            "}\n"
        )
        subprocess.run(["nft", "-f", "-"], input=ruleset, text=True, check=True)
        self.active = True

    def restore(self) -> None:
        """Let the traffic through again."""
        if self.active:
            subprocess.run(["nft", "delete", "table", "inet", self._table], check=True)
            self.active = False

    def processes(self) -> list[int]:
        return [int(pid) for pid in (self.cgroup / "cgroup.procs").read_text().split()]

    def close(self) -> None:
        """Restore the network and remove the cgroup (once the browser in it has exited)."""
        self.restore()
        deadline = time.monotonic() + 10
        while self.processes() and time.monotonic() < deadline:
            time.sleep(0.1)
        try:
            self.cgroup.rmdir()
        except OSError:
            pass  # A process lingers: the cgroup stays until it exits, which does no harm.

    def __enter__(self) -> NetworkCut:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

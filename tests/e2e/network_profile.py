"""Locked-down networks for browsers: the cgroup of `network_cut.NetworkCut` (every process of
the browsers launched through its launcher), with nftables rules that let through only what such
a network allows, inside the test namespace. Janus, coturn and the app server are outside the
cgroup: only the browsers are locked down, as on a ministry's network."""

from __future__ import annotations

import subprocess

from tests.e2e.network_cut import NetworkCut


class NetworkProfile(NetworkCut):
    """A cgroup whose sockets can be held to a network profile (see the methods)."""

    def _apply(self, out_rules: list[str], in_rules: list[str]) -> None:
        match = f'socket cgroupv2 level 1 "{self._nft_path}"'
        out = " ".join(f"{match} {rule};" for rule in out_rules)
        into = " ".join(f"{match} {rule};" for rule in in_rules)
        ruleset = (
            f"table inet {self._table} {{\n"
            f"  chain out {{ type filter hook output priority 0; {out} }}\n"
            f"  chain in {{ type filter hook input priority 0; {into} }}\n"
            "}\n"
        )
        subprocess.run(["nft", "-f", "-"], input=ruleset, text=True, check=True)
        self.active = True

    def block_udp(self) -> None:
        """No UDP at all, either way (TCP goes anywhere): a firewall that blocks UDP."""
        self._apply(["meta l4proto udp drop"], ["meta l4proto udp drop"])

    def allow_only(self, *tcp: tuple[str, int]) -> None:
        """Only TCP to these (address, port) pairs; nothing else leaves, no UDP arrives: a
        network that opens 443 to the outside and nothing more."""
        allowed = [f"ip daddr {address} tcp dport {port} accept" for address, port in tcp]
        self._apply([*allowed, "drop"], ["meta l4proto udp drop"])

    def udp_only_to(self, address: str, port: int) -> None:
        """UDP only to this address and port (a TURN server's), no TCP to that address, TCP
        elsewhere: media can only go through TURN over UDP."""
        udp = f"ip daddr {address} udp dport {port} accept"
        self._apply([udp, "meta l4proto udp drop", f"ip daddr {address} meta l4proto tcp drop"], [])

    def clear(self) -> None:
        """No rules: the network lets everything through again."""
        self.restore()

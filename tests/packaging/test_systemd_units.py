"""The systemd units in deploy/systemd: `systemd-analyze verify` finds nothing to say about
them, their sandbox rates "OK" with `systemd-analyze security`, and what they rely on from
Visio's command line and Janus's configuration is true.

A test machine has no /opt/visio: each unit is verified as shipped except that the path of the
`visio` command becomes the one this test runs with (verify checks that ExecStart= exists). It
has no `visio` user either, which verify does not look up.
"""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support import ROOT, VISIO

UNITS = ROOT / "deploy" / "systemd"
INSTALLED_VISIO = "/opt/visio/.venv/bin/visio"
NAMES = ("visio.service", "visio@.service", "visio-speech-worker.service", "visio-janus.service")
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
PLACEHOLDERS = (
    "CHANGE-ME-api-secret",
    "CHANGE-ME-private-address",
    "CHANGE-ME-videoroom-admin-key",
)

needs_systemd_analyze = pytest.mark.skipif(
    SYSTEMD_ANALYZE is None, reason="systemd-analyze is missing (Debian package systemd)"
)


def unit(name: str) -> dict[str, list[str]]:
    """A unit's [Service] settings, each key with every value it is given."""
    values: dict[str, list[str]] = {}
    section = ""
    for line in (UNITS / name).read_text().splitlines():
        if line.startswith("["):
            section = line.strip("[]")
        elif section == "Service" and "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values.setdefault(key, []).append(value)
    return values


def copy_for_this_machine(folder: Path, name: str) -> Path:
    """The unit as shipped, but for where the `visio` command lies on this machine."""
    text = (UNITS / name).read_text()
    path = folder / name
    path.write_text(text.replace(INSTALLED_VISIO, str(VISIO)))
    return path


def analyze(*arguments: str) -> subprocess.CompletedProcess[str]:
    assert SYSTEMD_ANALYZE is not None
    return subprocess.run(
        [SYSTEMD_ANALYZE, *arguments], capture_output=True, text=True, timeout=60, check=False
    )


def test_units_are_all_there() -> None:
    """Every unit this test knows is shipped, and every shipped unit is tested."""
    assert sorted(path.name for path in UNITS.glob("*.service")) == sorted(NAMES)


@needs_systemd_analyze
@pytest.mark.parametrize(
    "name",
    ["visio.service", "visio@8001.service", "visio-speech-worker.service", "visio-janus.service"],
)
def test_systemd_analyze_verify_finds_nothing(tmp_path: Path, name: str) -> None:
    """`systemd-analyze verify` exits 0 and prints nothing: no unknown setting, no bad value,
    no missing command."""
    for shipped in NAMES:
        copy_for_this_machine(tmp_path, shipped)
    result = analyze("verify", str(tmp_path / name))
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@needs_systemd_analyze
@pytest.mark.parametrize(
    "name",
    ["visio.service", "visio@8001.service", "visio-speech-worker.service", "visio-janus.service"],
)
def test_sandbox_is_rated_ok(tmp_path: Path, name: str) -> None:
    """`systemd-analyze security` rates each service's exposure 2.0 or less ("OK")."""
    for shipped in NAMES:
        copy_for_this_machine(tmp_path, shipped)
    result = analyze("security", "--offline=true", "--threshold=20", str(tmp_path / name))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    level = re.search(r"Overall exposure level for \S+: (\d+\.\d+) (\w+)", output)
    assert level is not None, output
    assert float(level.group(1)) <= 2.0 and level.group(2) == "OK", level.group(0)


@pytest.mark.parametrize("name", ["visio.service", "visio@.service"])
def test_app_server_unit_is_hardened_and_holds_10000_sockets(name: str) -> None:
    """The app server runs as its own user, sandboxed, restarted on failure, with room for
    10,000 WebSockets (one descriptor each) and its data folder the only one it writes."""
    service = unit(name)
    assert service["User"] == ["visio"]
    assert service["ProtectSystem"] == ["strict"]
    assert service["NoNewPrivileges"] == service["PrivateTmp"] == ["yes"]
    assert service["Restart"] == ["on-failure"]
    assert int(service["LimitNOFILE"][0]) >= 20_000
    assert service["ReadWritePaths"] == ["/var/lib/visio"]
    assert any(" serve" in command for command in service["ExecStart"])


def test_unit_names_do_not_clash_with_debian_packages() -> None:
    """Debian's janus package ships janus.service: ours is visio-janus.service and conflicts
    with it; no unit of ours has the name of one a package installed."""
    shipped_by_packages = {path.name for path in Path("/lib/systemd/system").glob("*.service")}
    assert not shipped_by_packages & set(NAMES)
    assert unit("visio-janus.service")["ExecStart"][0].startswith("/usr/bin/janus ")
    assert "Conflicts=janus.service" in (UNITS / "visio-janus.service").read_text()


def test_template_instance_gets_its_own_port_and_data_folder() -> None:
    """visio@PORT.service passes the port on the command line (an EnvironmentFile's VISIO_PORT
    would otherwise win) and a data folder of its own; the CLI takes --port."""
    command = unit("visio@.service")["ExecStart"][0]
    assert "VISIO_DATA_DIR=/var/lib/visio/%i" in command and command.endswith("serve --port %i")
    help_text = subprocess.run(
        [str(VISIO), "serve", "--help"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert "--port PORT" in help_text


def test_speech_worker_without_settings_exits_2_which_is_not_restarted(tmp_path: Path) -> None:
    """`visio speech-worker` without VISIO_SPEECH_SERVER_URL says what to set and exits 2: the
    unit's RestartPreventExitStatus, so bad settings do not loop."""
    assert unit("visio-speech-worker.service")["RestartPreventExitStatus"] == ["2"]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VISIO_")}
    result = subprocess.run(
        [str(VISIO), "speech-worker"],
        env=environment | {"VISIO_DATA_DIR": str(tmp_path)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "VISIO_SPEECH_SERVER_URL" in result.stderr


def test_janus_unit_refuses_to_start_with_example_secrets(tmp_path: Path) -> None:
    """visio-janus.service's ExecStartPre fails while a CHANGE-ME placeholder of
    deploy/janus/*.jcfg is left, and passes once they are replaced."""
    for example in (ROOT / "deploy" / "janus").glob("*.jcfg"):
        shutil.copy(example, tmp_path / example.name)
    guard = unit("visio-janus.service")["ExecStartPre"][0]
    assert guard.startswith("/bin/sh -c ")
    script = guard.removeprefix("/bin/sh -c ").strip("'").replace("/etc/visio/janus", str(tmp_path))

    def run_guard() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["/bin/sh", "-c", script], capture_output=True, text=True, timeout=10, check=False
        )

    refused = run_guard()
    assert refused.returncode != 0
    assert sorted(Path(line).name for line in refused.stdout.split()) == sorted(
        ["janus.jcfg", "janus.transport.websockets.jcfg", "janus.plugin.videoroom.jcfg"]
    )
    for config in tmp_path.glob("*.jcfg"):
        text = config.read_text()
        for placeholder in PLACEHOLDERS:
            text = text.replace(f'"{placeholder}"', '"chosen"')
        config.write_text(text)
    assert run_guard().returncode == 0


def test_environment_example_parses() -> None:
    """visio.env.example is KEY=value lines (what EnvironmentFile= reads), VISIO_* or uvicorn's
    FORWARDED_ALLOW_IPS."""
    parser = configparser.ConfigParser()
    lines = (UNITS / "visio.env.example").read_text().splitlines()
    settings = [line for line in lines if line and not line.startswith("#")]
    parser.read_string("[env]\n" + "\n".join(settings))
    assert settings and all(re.fullmatch(r"[A-Z_]+=\S+", line) for line in settings), settings
    assert set(parser["env"]) >= {"visio_public_url", "forwarded_allow_ips"}

"""`visio check` reports whether the deployment's calendar server answers and accepts Visio."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.calendars.radicale import USERS, RadicaleServer
from tests.support import VISIO


def _check(tmp_path: Path, **settings: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VISIO_")} | {
        "VISIO_DATA_DIR": str(tmp_path),
        "VISIO_SPEECH_EMBEDDED_WORKERS": "0",
        "VISIO_CALDAV_ALLOW_HTTP": "true",
        "VISIO_CALDAV_ALLOW_PRIVATE": "true",
    }
    env |= {f"VISIO_{k.upper()}": v for k, v in settings.items()}
    done = subprocess.run(
        [str(VISIO), "check"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    return done.stdout + done.stderr


def test_check_calendars_reports_the_deployment_server(
    tmp_path: Path, radicale: RadicaleServer
) -> None:
    """A working template and service account: ok; a wrong password: ERR with what to fix."""
    template = f"{radicale.url}/visio/{{user}}/"
    radicale.open_home("visio")
    good = _check(
        tmp_path, caldav_url=template, caldav_username="visio", caldav_password=USERS["visio"]
    )
    assert f"ok   calendar server at {radicale.url}/visio/ answers" in good
    bad = _check(tmp_path, caldav_url=template, caldav_username="visio", caldav_password="nope")
    assert f"ERR  calendar server {radicale.url}/visio/" in bad
    assert "check VISIO_CALDAV_USERNAME and VISIO_CALDAV_PASSWORD" in bad
    assert "nope" not in bad


def test_check_calendars_refuses_a_private_server_unless_allowed(
    tmp_path: Path, radicale: RadicaleServer
) -> None:
    """Without VISIO_CALDAV_ALLOW_PRIVATE a loopback server is reported, with the setting to use."""
    out = _check(
        tmp_path,
        caldav_url=f"{radicale.url}/visio/{{user}}/",
        caldav_username="visio",
        caldav_password=USERS["visio"],
        caldav_allow_private="false",
    )
    assert "ERR  calendar server" in out and "VISIO_CALDAV_ALLOW_PRIVATE=true" in out

"""VISIO_FRAME_ANCESTORS: origins only, written as browsers write them; the headers and the web
app's page that follow from it."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from visio.app import create_app, security_headers
from visio.embed.bootstrap import with_embed_origins
from visio.settings import SettingsError, load_settings


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://intranet.example.gouv.fr", ["https://intranet.example.gouv.fr"]),
        ("HTTPS://Intranet.Example.Gouv.FR", ["https://intranet.example.gouv.fr"]),
        ("https://intranet.example.gouv.fr:443", ["https://intranet.example.gouv.fr"]),
        ("https://portal.example.fr:8443", ["https://portal.example.fr:8443"]),
        (
            " https://a.example.fr , https://b.example.fr ",
            ["https://a.example.fr", "https://b.example.fr"],
        ),
        ("http://localhost:8080", ["http://localhost:8080"]),
        ("http://127.0.0.1:80", ["http://127.0.0.1"]),
        ("http://[::1]:3000", ["http://[::1]:3000"]),
        ("", []),
    ],
)
def test_frame_ancestors_are_normalised_like_browser_origins(
    value: str, expected: list[str]
) -> None:
    """Case and default ports are written the way `event.origin` and CSP compare them."""
    assert load_settings(_env_file=None, frame_ancestors=value).frame_ancestors == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("https://intranet.example.gouv.fr/", "no path"),
        ("https://intranet.example.gouv.fr/portal", "no path"),
        ("https://*.example.gouv.fr", "no wildcard"),
        ("*", "no wildcard"),
        ("'self'", "scheme://host"),
        ("http://intranet.example.gouv.fr", "must use https"),
        ("http://10.0.0.5", "must use https"),
        ("javascript://x", "scheme://host"),
        ("https://user@intranet.example.gouv.fr", "scheme://host"),
        ("https://intranet.example.gouv.fr:99999", "port outside"),
        ("https://intranet.example.gouv.fr https://other.fr", "scheme://host"),
        ("https://intranet.example.gouv.fr;script-src *", "scheme://host"),
        ('https://intranet.example.gouv.fr"><script>', "scheme://host"),
    ],
)
def test_frame_ancestors_refuse_what_is_not_an_origin(value: str, reason: str) -> None:
    """Paths, wildcards, keywords, credentials, CSP or HTML injection and plain http on a real
    host are refused at start-up, naming the variable."""
    with pytest.raises(SettingsError) as error:
        load_settings(_env_file=None, frame_ancestors=value)
    assert "VISIO_FRAME_ANCESTORS" in str(error.value)
    assert reason in str(error.value)


def test_embedding_origins_may_delegate_the_meeting_features() -> None:
    """Listed origins may frame Visio and hand it the camera, microphone, screen, autoplay and
    fullscreen; nothing sends X-Frame-Options, which would contradict the list."""
    portal = "https://intranet.example.gouv.fr"
    headers = dict(security_headers(load_settings(_env_file=None, frame_ancestors=portal)))
    assert headers[b"content-security-policy"].endswith(f"frame-ancestors {portal}".encode())
    policy = headers[b"permissions-policy"].decode()
    for feature in ("camera", "microphone", "display-capture", "autoplay", "fullscreen"):
        assert f'{feature}=(self "{portal}")' in policy
    assert b"x-frame-options" not in headers


def test_the_web_app_page_lists_the_embedding_origins(tmp_path: Path) -> None:
    """index.html, on every app path, carries the list the app checks messages against."""
    (tmp_path / "index.html").write_text(
        "<!doctype html><html><head><title>Visio</title></head><body></body></html>"
    )
    portals = "https://a.example.gouv.fr,https://b.example.gouv.fr"
    app = create_app(load_settings(_env_file=None, frame_ancestors=portals), web_dir=tmp_path)
    page = TestClient(app).get("/abc-defg-hij")  # no lifespan: the page needs no service
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-cache"
    assert (
        '<meta name="visio-embed-origins" content="https://a.example.gouv.fr '
        'https://b.example.gouv.fr" /></head>'
    ) in page.text


def test_the_origin_list_is_written_as_text() -> None:
    """Whatever reaches the page is escaped (the settings refuse such values anyway)."""
    page = with_embed_origins(b"<head></head>", ['x" onload="alert(1)'])
    assert (
        page
        == b'<head><meta name="visio-embed-origins" content="x&quot; onload=&quot;alert(1)" /></head>'
    )

"""The web app's page and files: a meeting link's page starts the room lookup before its script
runs; the built scripts are cached for good and sent compressed to browsers that accept it."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from visio.app import create_app
from visio.settings import load_settings
from visio.web.assets import CACHE_FOREVER, accepted_encodings
from visio.web.preload import with_room_preload

SCRIPT = b"export const greeting = 'bonjour';\n" * 200
PRELOAD = '<link rel="preload" href="/api/v1/rooms/{}" as="fetch" crossorigin="anonymous" />'


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    (tmp_path / "index.html").write_text(
        "<!doctype html><html><head><title>Visio</title></head><body></body></html>"
    )
    (tmp_path / "favicon.svg").write_text("<svg/>")
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "index-abc123.js").write_bytes(SCRIPT)
    (assets / "index-abc123.js.gz").write_bytes(gzip.compress(SCRIPT))
    (assets / "index-abc123.js.br").write_bytes(b"brotli bytes as the build wrote them")
    (assets / "model-def456.tflite").write_bytes(b"\x00" * 2048)  # no smaller copy
    return TestClient(create_app(load_settings(_env_file=None), web_dir=tmp_path))


def test_a_meeting_link_preloads_its_room_lookup(client: TestClient) -> None:
    """The preload comes first in the head, so the browser asks before it fetches the script."""
    page = client.get("/abc-defg-hij")
    assert page.status_code == 200
    assert page.text.startswith("<!doctype html><html><head>" + PRELOAD.format("abc-defg-hij"))
    assert page.text.count('rel="preload"') == 1


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/rooms",
        "/meetings",
        "/transcripts",
        "/rooms/abc-defg-hij/records",
        "/ABC-DEFG-HIJ",
        "/abc-defg-hijk",
        '/abc-defg-hij"><script>alert(1)</script>',
        "/%E2%80%AEabc-defg-hij",
    ],
)
def test_other_pages_preload_nothing(client: TestClient, path: str) -> None:
    """Only an exact room code is written into the page: nothing a visitor types reaches it."""
    page = client.get(path)
    assert page.status_code == 200
    assert 'rel="preload"' not in page.text
    assert "<script>alert" not in page.text


def test_the_web_app_files_are_served_as_they_are(client: TestClient) -> None:
    assert client.get("/favicon.svg").text == "<svg/>"


def test_a_room_code_with_anything_around_it_is_not_one() -> None:
    page = b"<html><head></head></html>"
    for path in ("abc-defg-hij\n", "abc-defg-hij/", " abc-defg-hij", "abc-defg-hij\u2028"):
        assert with_room_preload(page, path) == page


def test_a_page_without_a_head_is_left_alone() -> None:
    assert with_room_preload(b"<body></body>", "abc-defg-hij") == b"<body></body>"


def _raw(client: TestClient, path: str, accept: str | None) -> tuple[dict[str, str], bytes]:
    """The response's headers and its bytes as sent (not decoded)."""
    headers = {"accept-encoding": accept} if accept is not None else {"accept-encoding": ""}
    with client.stream("GET", path, headers=headers) as response:
        assert response.status_code == 200
        return dict(response.headers), b"".join(response.iter_raw())


@pytest.mark.parametrize(
    ("accept", "encoding"),
    [
        ("gzip, deflate, br, zstd", "br"),  # what Chromium sends
        ("gzip, deflate", "gzip"),
        ("br;q=0, gzip;q=0.5", "gzip"),
        ("BR", "br"),
        ("identity", None),
        ("", None),
        ("br;q=zero", None),
    ],
)
def test_scripts_are_sent_compressed_when_the_browser_accepts_it(
    client: TestClient, accept: str, encoding: str | None
) -> None:
    headers, body = _raw(client, "/assets/index-abc123.js", accept)
    assert headers["content-type"].startswith("text/javascript")
    assert headers["cache-control"] == CACHE_FOREVER
    assert headers["vary"].lower() == "accept-encoding"
    assert headers.get("content-encoding") == encoding
    if encoding == "br":
        assert body == b"brotli bytes as the build wrote them"
    elif encoding == "gzip":
        assert gzip.decompress(body) == SCRIPT
    else:
        assert body == SCRIPT


def test_a_file_without_a_compressed_copy_is_sent_as_it_is(client: TestClient) -> None:
    headers, body = _raw(client, "/assets/model-def456.tflite", "gzip, br")
    assert "content-encoding" not in headers
    assert body == b"\x00" * 2048
    assert headers["cache-control"] == CACHE_FOREVER


def test_a_cached_script_is_not_sent_again(client: TestClient) -> None:
    first = client.get("/assets/index-abc123.js", headers={"accept-encoding": "gzip"})
    again = client.get(
        "/assets/index-abc123.js",
        headers={"accept-encoding": "gzip", "if-none-match": first.headers["etag"]},
    )
    assert again.status_code == 304
    assert again.content == b""


def test_accept_encoding_is_read_as_http_says() -> None:
    assert accepted_encodings("gzip;q=1.0, br; q=0.8, *;q=0") == {"gzip", "br"}
    assert accepted_encodings(" , ;q=1, gzip;;q=0.1") == {"gzip"}
    assert accepted_encodings("x" * 10_000) == {"x" * 10_000}

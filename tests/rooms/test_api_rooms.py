"""REST: creating rooms and looking them up."""

from __future__ import annotations

import re

import httpx

from tests.support import RunningServer


def test_api_rooms_create_returns_readable_slug_and_link(shared_server: RunningServer) -> None:
    """POST /api/v1/rooms creates a room with a slug like abc-defg-hij and its full link."""
    response = httpx.post(f"{shared_server.url}/api/v1/rooms")
    assert response.status_code == 201
    body = response.json()
    assert re.fullmatch(r"[a-z]{3}-[a-z]{4}-[a-z]{3}", body["slug"])
    assert body["url"] == f"{shared_server.url}/{body['slug']}"


def test_api_rooms_create_gives_distinct_slugs(shared_server: RunningServer) -> None:
    """Every new room gets its own slug."""
    slugs = {shared_server.create_room() for _ in range(20)}
    assert len(slugs) == 20


def test_api_rooms_get_existing_room(shared_server: RunningServer) -> None:
    """A room that exists answers with its slug and nobody in it yet."""
    slug = shared_server.create_room()
    body = httpx.get(f"{shared_server.url}/api/v1/rooms/{slug}").json()
    assert body["slug"] == slug
    assert body["participant_count"] == 0


def test_api_rooms_get_accepts_upper_case_and_spaces(shared_server: RunningServer) -> None:
    """A code typed in capitals still finds the room."""
    slug = shared_server.create_room()
    response = httpx.get(f"{shared_server.url}/api/v1/rooms/{slug.upper()}")
    assert response.status_code == 200
    assert response.json()["slug"] == slug


def test_api_rooms_get_unknown_room_is_a_clear_404(shared_server: RunningServer) -> None:
    """A well-formed code of no room gets 404 room_not_found."""
    response = httpx.get(f"{shared_server.url}/api/v1/rooms/zzz-zzzz-zzz")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "room_not_found"


def test_api_rooms_get_malformed_link_is_a_clear_404(shared_server: RunningServer) -> None:
    """A link with a typo in its shape gets 404 invalid_room_link with a hint."""
    response = httpx.get(f"{shared_server.url}/api/v1/rooms/abc-defg-hi")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "invalid_room_link"
    assert "abc-defg-hij" in error["message"]


def test_api_unknown_endpoint_is_json_404(shared_server: RunningServer) -> None:
    """An unknown API path answers JSON, not the web app."""
    response = httpx.get(f"{shared_server.url}/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_api_responses_carry_security_headers(shared_server: RunningServer) -> None:
    """Every response carries a content security policy and nosniff."""
    response = httpx.get(f"{shared_server.url}/api/v1/rooms/zzz-zzzz-zzz")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_api_openapi_description_lists_room_routes(shared_server: RunningServer) -> None:
    """The OpenAPI description documents the room endpoints."""
    paths = httpx.get(f"{shared_server.url}/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/rooms" in paths
    assert "/api/v1/rooms/{slug}" in paths


def test_health_and_readiness(shared_server: RunningServer) -> None:
    """/healthz answers, and /readyz says the media engine is connected."""
    assert httpx.get(f"{shared_server.url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{shared_server.url}/readyz")
    assert ready.status_code == 200
    assert ready.json()["media_engine"] is True


def test_embedding_origins_and_hsts_follow_the_settings() -> None:
    """Embedding is refused by default; listed origins may frame Visio; https adds HSTS."""
    from visio.app import security_headers
    from visio.settings import load_settings

    closed = dict(security_headers(load_settings(_env_file=None)))
    assert b"frame-ancestors 'none'" in closed[b"content-security-policy"]
    assert b"strict-transport-security" not in closed
    portal = "https://intranet.example.gouv.fr"
    open_to_portal = dict(
        security_headers(
            load_settings(
                _env_file=None, frame_ancestors=portal, public_url="https://visio.example.gouv.fr"
            )
        )
    )
    assert f"frame-ancestors {portal}".encode() in open_to_portal[b"content-security-policy"]
    assert f'camera=(self "{portal}")'.encode() in open_to_portal[b"permissions-policy"]
    assert open_to_portal[b"strict-transport-security"] == b"max-age=31536000"

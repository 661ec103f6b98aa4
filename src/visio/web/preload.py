"""index.html for a meeting link, told to start the room lookup at once.

The app looks the room up before it shows pre-join (``GET /api/v1/rooms/{slug}``); it could only
start once its script had loaded and run. A ``<link rel="preload">`` in the page lets the browser
send that request while it is still fetching the script, and ``fetch`` then takes the answer
from the preload cache. Only paths that are a room code get it: the code's alphabet (``a``-``z``
and ``-``) needs no escaping in HTML or in a URL.
"""

from __future__ import annotations

from visio.rooms.slugs import SLUG_PATTERN


def with_room_preload(index_html: bytes, path: str) -> bytes:
    """index.html with a preload of the room lookup when ``path`` is a room code; else as is."""
    if not SLUG_PATTERN.fullmatch(path):
        return index_html
    link = f'<link rel="preload" href="/api/v1/rooms/{path}" as="fetch" crossorigin="anonymous" />'
    head = index_html.find(b"<head>")
    if head < 0:
        return index_html
    at = head + len(b"<head>")
    return index_html[:at] + link.encode() + index_html[at:]

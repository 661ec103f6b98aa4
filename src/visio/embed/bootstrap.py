"""The web app's page, told which origins may embed it.

The app checks every ``postMessage`` against this list before it acts on it, and answers only
the embedding page's exact origin; the list travels in a ``<meta>`` element of index.html, so
that the check needs no request and holds from the first message on.
"""

from __future__ import annotations

from html import escape

EMBED_ORIGINS_META = "visio-embed-origins"


def with_embed_origins(index_html: bytes, origins: list[str]) -> bytes:
    """index.html with ``<meta name="visio-embed-origins" content="origin origin ...">`` in its
    head (an empty list says that no site may embed Visio)."""
    content = escape(" ".join(origins), quote=True)
    meta = f'<meta name="{EMBED_ORIGINS_META}" content="{content}" />'.encode()
    head_end = index_html.find(b"</head>")
    if head_end < 0:
        return meta + index_html
    return index_html[:head_end] + meta + index_html[head_end:]

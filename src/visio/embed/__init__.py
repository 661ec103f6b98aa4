"""Visio inside another site's page: which origins may frame a meeting and drive it over
``postMessage`` (``VISIO_FRAME_ANCESTORS``), and how the web app learns them.

The browser side lives in web/src/embed/ (the bridge in the app, and ``/embed/visio-embed.js``,
the library embedding sites load); docs/embedding.md describes both.
"""

"""Serving the built web app (``web/`` in the repository, built by Vite into ``dist/`` here)."""

from __future__ import annotations

from pathlib import Path

DIST_DIR = Path(__file__).parent / "dist"

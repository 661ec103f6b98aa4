"""Janus, the WebRTC media engine: its configuration, its process and its API."""

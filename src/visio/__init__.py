"""Visio: sovereign video conferencing on your own servers."""

__version__ = "0.1.0"

"""Synthetic participants for the control-plane load harness (bench/load_signaling.py)."""

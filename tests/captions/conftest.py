from tests.e2e.conftest import participants, playwright, tones

__all__ = ["participants", "playwright", "tones"]

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mail.smtp import SmtpServer


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[SmtpServer]:
    """A real SMTP server requiring STARTTLS and AUTH."""
    server = SmtpServer(tmp_path, "starttls")
    server.start()
    yield server
    server.stop()

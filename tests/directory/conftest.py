from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.directory.slapd import LdapServer, start_slapd


@pytest.fixture
def ldap_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LdapServer]:
    """A throwaway slapd of this test's own, loaded with the test directory."""
    server = start_slapd(tmp_path_factory.mktemp("slapd"))
    yield server
    server.stop()

from tests.auth.conftest import oidc_server, provider, server

__all__ = ["oidc_server", "provider", "server"]

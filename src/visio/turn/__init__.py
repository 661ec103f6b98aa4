"""Visio's own TURN server: coturn, configured from Visio's settings, and short-lived credentials.

- ``urls``: the ``turn:``/``turns:`` URLs browsers get (RFC 7065), parsed and checked.
- ``credentials``: each participant's credential by the TURN REST API scheme (coturn's
  ``use-auth-secret``): ``username = "<expiry unix time>:<participant id>"``, ``credential =
  base64(HMAC-SHA1(secret, username))``. The secret stays on the servers.
- ``coturn``: the ``turnserver.conf`` Visio writes (``visio turn-config``).
- ``probe``: a real TURN Allocate against each URL (``visio check``), with aioice's TURN client.
"""

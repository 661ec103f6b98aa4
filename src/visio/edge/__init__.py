"""The HTTP edge: what every connection, request and log line goes through before (or after) a
route sees it. ``body.py`` bounds request bodies, ``connections.py`` bounds how long a client may
take to send its headers and how many connections one address may hold, ``logs.py`` keeps log
lines one line each and free of secrets; ``urls.py`` says the address people reach Visio at.
``outbound.py`` is the other direction: the one SSRF guard for requests Visio makes to
addresses others chose (webhooks, calendar servers)."""

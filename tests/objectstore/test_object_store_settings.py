"""The object store's settings and `visio check`: a bad endpoint, a missing bucket or half the
credentials stop the server with a message naming the variable; a bucket that does not exist,
refused credentials or an unreachable store are reported by `visio check` with what to fix.
No message ever holds a secret."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.objectstore.seaweed import S3Server
from tests.support import VISIO, free_port
from visio.settings import Settings, SettingsError, load_settings
from visio.storage.objects import ObjectStore, ObjectStoreError

SECRET = "s3cr3t-never-shown-0123456789"


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (
            {"object_store_endpoint": f"https://AKIAVISIO:{SECRET}@s3.example.fr"},
            "VISIO_OBJECT_STORE_ENDPOINT: Value error, must not hold credentials",
        ),
        (
            {"object_store_endpoint": f"ftp://s3.example.fr/{SECRET}"},
            "VISIO_OBJECT_STORE_ENDPOINT: Value error, must be an http:// or https:// URL",
        ),
        (
            {"object_store_endpoint": f"https://s3.example.fr/visio?key={SECRET}"},
            "VISIO_OBJECT_STORE_ENDPOINT: Value error, must be only http(s)://host[:port]",
        ),
        (
            {"object_store_endpoint": "https://s3.example.fr"},
            "VISIO_OBJECT_STORE_BUCKET is required with VISIO_OBJECT_STORE_ENDPOINT",
        ),
        (
            {"object_store_bucket": "Not_A_Bucket"},
            "VISIO_OBJECT_STORE_BUCKET: Value error, must be an S3 bucket name",
        ),
        (
            {"object_store_bucket": "visio", "object_store_secret_key": SECRET},
            "VISIO_OBJECT_STORE_ACCESS_KEY and VISIO_OBJECT_STORE_SECRET_KEY go together",
        ),
        (
            {"object_store_bucket": "visio", "object_store_prefix": "../up/"},
            "VISIO_OBJECT_STORE_PREFIX: Value error, must be empty or folder names",
        ),
    ],
)
def test_bad_object_store_settings_are_refused_without_echoing_secrets(
    settings: dict[str, str], expected: str
) -> None:
    """Each mistake is named with its variable; the secret in it is never repeated."""
    with pytest.raises(SettingsError) as refused:
        load_settings(**settings)
    assert expected in str(refused.value)
    assert SECRET not in str(refused.value)


def test_good_object_store_settings_keep_the_secret_hidden() -> None:
    """A working configuration: the endpoint is normalised; secrets print as stars."""
    settings = load_settings(
        object_store_endpoint="https://S3.example.fr:9000/",
        object_store_bucket="visio-records",
        object_store_access_key="AKIAVISIO",
        object_store_secret_key=SECRET,
    )
    assert settings.object_store_endpoint == "https://S3.example.fr:9000"
    assert settings.object_store_configured
    assert SECRET not in repr(settings) and SECRET not in str(settings.model_dump())


async def _problem(**settings: str) -> str:
    with pytest.raises(ObjectStoreError) as failed:
        await ObjectStore(Settings(**settings)).check()  # type: ignore[arg-type]
    return str(failed.value)


async def test_check_says_what_is_wrong_with_the_store(s3: S3Server, bucket: str) -> None:
    """A writable bucket passes; a missing bucket, a wrong secret and a store nobody answers
    each fail with their own message, never holding the secret."""
    good = s3.settings(bucket)
    assert "is writable" in await ObjectStore(Settings(**good)).check()
    assert s3.keys(bucket) == []  # the probe is deleted
    missing = await _problem(**good | {"object_store_bucket": "no-such-bucket"})
    assert f"bucket 'no-such-bucket' does not exist at {s3.endpoint}" in missing
    refused = await _problem(**good | {"object_store_secret_key": SECRET})
    assert "refused these credentials" in refused
    nobody = await _problem(
        **good | {"object_store_endpoint": f"http://127.0.0.1:{free_port()}"},
        object_store_timeout_s="2",
    )
    assert "cannot reach http://127.0.0.1:" in nobody
    for message in (missing, refused, nobody):
        assert SECRET not in message and s3.secret_key not in message


def test_visio_check_reports_the_bucket(tmp_path: Path, s3: S3Server, bucket: str) -> None:
    """With a wrong secret, `visio check` prints an ERR line that says what to check, and the
    secret is not printed (the probe that passes is test_check_says_what_is_wrong_with_the_store)."""

    def check(**settings: str) -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VISIO_")} | {
            "VISIO_DATA_DIR": str(tmp_path),
            "VISIO_SPEECH_EMBEDDED_WORKERS": "0",
        }
        env |= {f"VISIO_{k.upper()}": v for k, v in settings.items()}
        done = subprocess.run(
            [str(VISIO), "check"], env=env, capture_output=True, text=True, timeout=120
        )
        return done.stdout + done.stderr

    bad = check(**s3.settings(bucket) | {"object_store_secret_key": SECRET})
    assert f"ERR  object storage: bucket '{bucket}' at {s3.endpoint} refused" in bad
    assert "check VISIO_OBJECT_STORE_ENDPOINT" in bad
    assert SECRET not in bad and s3.secret_key not in bad

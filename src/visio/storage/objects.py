"""S3-compatible object storage (``VISIO_OBJECT_STORE_*``): copies of finished recordings and
transcript exports, read back when the local file is not on this server, deleted with them.

boto3 is the client: it is what S3-compatible stores (MinIO, SeaweedFS, Garage, Ceph RGW,
Scaleway, OVH, AWS) document and test against, and its transfer manager (s3transfer) does
multipart uploads, retries and per-part checksums. Its calls block, so each runs in a thread;
none runs on the event loop.

Every upload sends a SHA-256 checksum with each part (the store refuses a part whose bytes
do not match) and is then checked against the file on disk: the store's own checksum of the
object (``ChecksumSHA256``, full or composite) must equal the one computed here from the
file, and its size must match. A copy that fails the check is deleted and the upload fails.

Error messages name the endpoint, the bucket and the key, never a credential.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from s3transfer.utils import ChunksizeAdjuster

from visio.settings import Settings

if TYPE_CHECKING:
    from types_boto3_s3.client import S3Client

READ_CHUNK: Final = 1024 * 1024
STREAM_CHUNK: Final = 64 * 1024
CHECKSUM_METADATA: Final = "sha256"
"""User metadata on each object: the whole file's SHA-256 in hex, for operators' own checks."""


class ObjectStoreError(Exception):
    """An object store operation failed; the message is safe to log and to show an operator
    (no credential in it)."""


def _describe(exc: BaseException) -> str:
    """What went wrong, from boto3's exceptions, without anything secret: ClientError names
    the operation and the store's error code; connection errors name the endpoint URL, which
    holds no credential (the settings refuse one there)."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code", "?")
        message = error.get("Message", "")
        return f"{exc.operation_name}: {code}" + (f" ({message})" if message else "")
    return str(exc) or type(exc).__name__


@dataclass(frozen=True)
class StoredObject:
    """An object as uploaded and verified: its key, size and SHA-256 (hex, whole file)."""

    key: str
    size_bytes: int
    sha256: str


@dataclass(frozen=True)
class ObjectRead:
    """An object being read: its bytes (a blocking iterator: consume it in a thread), how
    many, and for a ranged read the ``Content-Range`` the store answered."""

    chunks: Iterator[bytes]
    content_length: int
    content_range: str | None
    media_type: str | None


class RangeNotSatisfiable(ObjectStoreError):
    """The asked byte range lies outside the object."""


def _file_checksums(path: Path, part_size: int | None) -> tuple[str, str]:
    """The file's SHA-256 in hex, and the ``ChecksumSHA256`` S3 will report for it: the
    base64 digest for a single upload, or for ``part_size`` parts the digest of the parts'
    digests followed by ``-<parts>``."""
    whole = hashlib.sha256()
    parts: list[bytes] = []
    with path.open("rb") as file:
        if part_size is None:
            while chunk := file.read(READ_CHUNK):
                whole.update(chunk)
        else:
            while True:
                part = hashlib.sha256()
                remaining = part_size
                while remaining and (chunk := file.read(min(READ_CHUNK, remaining))):
                    part.update(chunk)
                    whole.update(chunk)
                    remaining -= len(chunk)
                if remaining == part_size:
                    break
                parts.append(part.digest())
    if part_size is None or not parts:
        return whole.hexdigest(), base64.b64encode(whole.digest()).decode()
    composite = hashlib.sha256(b"".join(parts)).digest()
    return whole.hexdigest(), f"{base64.b64encode(composite).decode()}-{len(parts)}"


class ObjectStore:
    """One bucket of an S3-compatible store, under Visio's key prefix."""

    def __init__(self, settings: Settings) -> None:
        assert settings.object_store_bucket is not None
        self.bucket = settings.object_store_bucket
        self.prefix = settings.object_store_prefix
        self.endpoint = settings.object_store_endpoint or "AWS S3"
        self._part_size = settings.object_store_part_size_mb * 1024 * 1024
        access = settings.object_store_access_key
        secret = settings.object_store_secret_key
        verify: bool | str = settings.object_store_verify_tls
        if settings.object_store_ca_file is not None and verify:
            verify = str(settings.object_store_ca_file)
        self._client: S3Client = boto3.session.Session().client(
            "s3",
            endpoint_url=settings.object_store_endpoint,
            region_name=settings.object_store_region,
            aws_access_key_id=access.get_secret_value() if access else None,
            aws_secret_access_key=secret.get_secret_value() if secret else None,
            verify=verify,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path" if settings.object_store_path_style else "auto"},
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=settings.object_store_timeout_s,
                read_timeout=settings.object_store_timeout_s,
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )
        self._transfer = TransferConfig(
            multipart_threshold=self._part_size,
            multipart_chunksize=self._part_size,
            max_concurrency=2,
        )

    def key(self, *parts: str) -> str:
        return self.prefix + "/".join(parts)

    def where(self, key: str = "") -> str:
        """``bucket/key at endpoint``, for messages."""
        return f"{self.bucket}/{key} at {self.endpoint}"

    # ---- writing ---------------------------------------------------------------------------

    async def upload(self, path: Path, key: str, media_type: str) -> StoredObject:
        """Copy a file (in parts when it is larger than the part size), then check that the
        store holds exactly its bytes."""
        return await asyncio.to_thread(self._upload, path, key, media_type)

    def _upload(self, path: Path, key: str, media_type: str) -> StoredObject:
        size = path.stat().st_size
        in_parts = size >= self._part_size
        part_size = ChunksizeAdjuster().adjust_chunksize(self._part_size, size)
        sha256, expected = _file_checksums(path, part_size if in_parts else None)
        try:
            self._client.upload_file(
                str(path),
                self.bucket,
                key,
                ExtraArgs={
                    "ContentType": media_type,
                    "ChecksumAlgorithm": "SHA256",
                    "Metadata": {CHECKSUM_METADATA: sha256},
                },
                Config=self._transfer,
            )
        except (BotoCoreError, ClientError, OSError) as exc:
            raise ObjectStoreError(f"uploading to {self.where(key)}: {_describe(exc)}") from exc
        self._verify(key, size, sha256, expected)
        return StoredObject(key, size, sha256)

    async def put(self, data: bytes, key: str, media_type: str) -> StoredObject:
        """Store small bytes (a transcript export) in one request, checksummed."""
        return await asyncio.to_thread(self._put, data, key, media_type)

    def _put(self, data: bytes, key: str, media_type: str) -> StoredObject:
        digest = hashlib.sha256(data)
        expected = base64.b64encode(digest.digest()).decode()
        try:
            self._client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=data,
                ContentType=media_type,
                ChecksumSHA256=expected,
                Metadata={CHECKSUM_METADATA: digest.hexdigest()},
            )
        except (BotoCoreError, ClientError) as exc:
            raise ObjectStoreError(f"uploading to {self.where(key)}: {_describe(exc)}") from exc
        self._verify(key, len(data), digest.hexdigest(), expected)
        return StoredObject(key, len(data), digest.hexdigest())

    def _verify(self, key: str, size: int, sha256: str, expected: str) -> None:
        """The store holds ``size`` bytes whose checksum is ``expected``; otherwise the copy is
        deleted and the upload fails."""
        try:
            head = self._client.head_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
        except (BotoCoreError, ClientError) as exc:
            raise ObjectStoreError(f"checking {self.where(key)}: {_describe(exc)}") from exc
        stored = head.get("ChecksumSHA256")
        problem = None
        if head.get("ContentLength") != size:
            problem = f"holds {head.get('ContentLength')} bytes, not {size}"
        elif stored is not None and stored != expected:
            problem = f"its SHA-256 checksum is {stored}, not {expected}"
        elif stored is None and head.get("Metadata", {}).get(CHECKSUM_METADATA) != sha256:
            problem = "it kept neither a SHA-256 checksum nor the one sent in its metadata"
        if problem is not None:
            self._delete_keys([key])
            raise ObjectStoreError(f"the copy at {self.where(key)} is wrong: {problem}")

    # ---- reading -----------------------------------------------------------------------------

    async def read(self, key: str, byte_range: str | None = None) -> ObjectRead:
        """Start reading an object, or the ``bytes=first-last`` range of it."""
        return await asyncio.to_thread(self._read, key, byte_range)

    def _read(self, key: str, byte_range: str | None) -> ObjectRead:
        arguments: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if byte_range is not None:
            arguments["Range"] = byte_range
        try:
            answer = self._client.get_object(**arguments)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "InvalidRange":
                raise RangeNotSatisfiable(f"{byte_range} is outside {key}") from exc
            raise ObjectStoreError(f"reading {self.where(key)}: {_describe(exc)}") from exc
        except BotoCoreError as exc:
            raise ObjectStoreError(f"reading {self.where(key)}: {_describe(exc)}") from exc
        body = answer["Body"]

        def chunks() -> Iterator[bytes]:
            try:
                yield from body.iter_chunks(STREAM_CHUNK)
            finally:
                body.close()

        return ObjectRead(
            chunks(),
            int(answer.get("ContentLength", 0)),
            answer.get("ContentRange") if byte_range is not None else None,
            answer.get("ContentType"),
        )

    async def keys(self, prefix: str) -> list[str]:
        """Every key under ``prefix`` (relative to the bucket, Visio's prefix included)."""
        return await asyncio.to_thread(self._keys, prefix)

    def _keys(self, prefix: str) -> list[str]:
        found: list[str] = []
        try:
            for page in self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            ):
                found.extend(item["Key"] for item in page.get("Contents", []) if "Key" in item)
        except (BotoCoreError, ClientError) as exc:
            raise ObjectStoreError(f"listing {self.where(prefix)}: {_describe(exc)}") from exc
        return found

    # ---- deleting ----------------------------------------------------------------------------

    async def delete_under(self, prefix: str) -> list[str]:
        """Delete every object under ``prefix``; return their keys."""
        return await asyncio.to_thread(self._delete_under, prefix)

    def _delete_under(self, prefix: str) -> list[str]:
        keys = self._keys(prefix)
        self._delete_keys(keys)
        return keys

    async def delete_keys(self, keys: list[str]) -> None:
        await asyncio.to_thread(self._delete_keys, keys)

    def _delete_keys(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            batch = keys[start : start + 1000]
            try:
                answer = self._client.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True},
                )
            except (BotoCoreError, ClientError) as exc:
                raise ObjectStoreError(f"deleting from {self.where()}: {_describe(exc)}") from exc
            errors = answer.get("Errors", [])
            if errors:
                first = errors[0]
                raise ObjectStoreError(
                    f"deleting {self.where(first.get('Key', '?'))}: {first.get('Code', '?')}"
                )

    # ---- checking ------------------------------------------------------------------------------

    async def check(self) -> str:
        """Whether the bucket is reachable and writable: write, read back and delete a small
        object. Returns what was checked; raises :class:`ObjectStoreError` saying what failed."""
        return await asyncio.to_thread(self._check)

    def _check(self) -> str:
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 404:
                raise ObjectStoreError(
                    f"bucket {self.bucket!r} does not exist at {self.endpoint}"
                ) from exc
            if status == 403:
                raise ObjectStoreError(
                    f"bucket {self.bucket!r} at {self.endpoint} refused these credentials"
                ) from exc
            raise ObjectStoreError(f"bucket {self.where()}: {_describe(exc)}") from exc
        except BotoCoreError as exc:
            raise ObjectStoreError(f"cannot reach {self.endpoint}: {_describe(exc)}") from exc
        probe = self.key(".visio-check", secrets.token_hex(8))
        data = secrets.token_bytes(64)
        self._put(data, probe, "application/octet-stream")
        read = self._read(probe, None)
        back = b"".join(read.chunks)
        self._delete_keys([probe])
        if back != data:
            raise ObjectStoreError(f"{self.where(probe)} gave back other bytes than were written")
        return f"bucket {self.bucket!r} at {self.endpoint} is writable (written, read, deleted)"

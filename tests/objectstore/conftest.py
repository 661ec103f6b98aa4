"""One SeaweedFS for all the object storage tests; each test takes a bucket of its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.objectstore.seaweed import S3Server, seaweedfs


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server


@pytest.fixture
def bucket(s3: S3Server) -> str:
    return s3.new_bucket()

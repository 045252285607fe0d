"""Storage fixtures: a private signing key for every test, and a moto S3 server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.servers import S3Request, azurite_blob_server, moto_s3_server, reset_moto


@pytest.fixture(autouse=True)
def signing_key_file(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Each test signs pickles with its own key, never the user's."""
    path = tmp_path_factory.mktemp("key") / "signing-key"
    monkeypatch.setenv("GLACIER_SIGNING_KEY_FILE", str(path))
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[str]:
    """A dataset folder URI on the local file system."""
    yield (tmp_path / "data").as_uri() + "/"


@pytest.fixture(scope="session")
def s3_server() -> Iterator[tuple[str, list[S3Request]]]:
    """One moto S3 server for the session, with its request log."""
    log: list[S3Request] = []
    with moto_s3_server(log) as endpoint:
        yield endpoint, log


@pytest.fixture
def s3(s3_server: tuple[str, list[S3Request]], monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Env]:
    """A fresh moto S3 (no buckets) reached through ``AWS_ENDPOINT_URL`` and test credentials."""
    endpoint, log = s3_server
    reset_moto(endpoint)
    for name, value in {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    log.clear()
    yield S3Env(endpoint, log)


class S3Env:
    """The endpoint of a clean moto S3 and the requests it received."""

    def __init__(self, endpoint: str, log: list[S3Request]) -> None:
        self.endpoint = endpoint
        self.log = log

    def client(self) -> Any:
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1")

    def bucket(self, name: str) -> str:
        self.client().create_bucket(Bucket=name)
        self.log.clear()
        return name


@pytest.fixture(scope="session")
def azurite() -> Iterator[str]:
    """Azurite's Blob service for the session; yields its connection string."""
    with azurite_blob_server() as connection_string:
        yield connection_string


@pytest.fixture
def azure(azurite: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Azure Blob Storage reached through ``AZURE_STORAGE_CONNECTION_STRING``; yields a
    ``BlobServiceClient`` to create containers with."""
    from azure.storage.blob import BlobServiceClient

    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite)
    client = BlobServiceClient.from_connection_string(azurite)
    yield client
    for container in client.list_containers():
        client.delete_container(container.name)

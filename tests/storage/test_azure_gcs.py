"""Azure Blob through Azurite and adlfs; GCS through its URL and option mapping only
(no GCS emulator is available here)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from glacier import Dataset
from glacier.storage import (
    GCS,
    AzureBlob,
    StorageError,
    content_key,
    dataset_exists,
    read_dataset,
    read_manifest,
    write_dataset,
)
from glacier.storage.filesystems import gcs_options, open_store


def test_azure_roundtrip_versions_and_external_data(azure: Any) -> None:
    azure.create_container("lake")
    dataset = Dataset("orders", AzureBlob("lake", "orders/"))
    assert not dataset_exists(dataset)
    frame = pd.DataFrame({"id": [1, 2]})
    write_dataset(dataset, frame, run_id="r1")
    second = write_dataset(dataset, frame.tail(1), run_id="r2")
    assert read_manifest(dataset) == second
    assert list(read_dataset(dataset)["id"]) == [2]
    assert content_key(dataset) == second.content_hash

    container = azure.get_container_client("lake")
    container.upload_blob("events/day=1/a.jsonl", b'{"n": 1}\n{"n": 2}\n')
    container.upload_blob("events/day=2/b.jsonl", b'{"n": 3}\n')
    events = Dataset("events", AzureBlob("lake", "events"))
    table = read_dataset(events)
    assert sorted(table.column("n").to_pylist()) == [1, 2, 3]
    assert sorted(set(table.column("day").to_pylist())) == [1, 2]
    assert content_key(events) is not None and content_key(events).startswith("external:")


def test_azure_missing_container_names_dataset_and_uri(azure: Any) -> None:
    dataset = Dataset("raw", AzureBlob("nothing-here", "raw/"))
    with pytest.raises(StorageError, match=r"dataset `raw` at az://nothing-here/raw/"):
        read_dataset(dataset)


def test_gcs_url_and_option_mapping(monkeypatch: pytest.MonkeyPatch) -> None:
    assert GCS("bucket", "a/b").uri == "gs://bucket/a/b/"
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "acme")
    assert gcs_options() == {"token": None, "project": "acme"}  # application-default chain
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:4443")
    assert gcs_options()["endpoint_url"] == "http://127.0.0.1:4443"
    store, folder = open_store(GCS("bucket", "a/b").uri)
    assert folder == "bucket/a/b/" and store.scheme == "gs"
    assert type(store.fs).__module__.startswith("gcsfs")

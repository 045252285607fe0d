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
from glacier.storage.api import POINTER
from glacier.storage.filesystems import (
    AzureStore,
    ConflictError,
    GCSStore,
    azure_condition,
    gcs_conditional_upload,
    gcs_generation,
    gcs_options,
    open_store,
)


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


def test_azure_pointer_swap_is_conditional_on_the_etag(azure: Any) -> None:
    container = azure.create_container("lake")
    store, folder = open_store(AzureBlob("lake", "d/").uri)
    assert isinstance(store, AzureStore)
    path = folder + POINTER
    assert store.read_tagged(path) is None
    store.replace(path, b"one", None)  # If-None-Match: *
    with pytest.raises(ConflictError):
        store.replace(path, b"two", None)  # it exists now
    found = store.read_tagged(path)
    assert found is not None
    data, etag = found
    assert data == b"one"
    assert etag == container.get_blob_client("d/" + POINTER).get_blob_properties().etag
    # Another writer replaces the pointer: the ETag read above is stale.
    container.upload_blob("d/" + POINTER, b"other", overwrite=True)
    with pytest.raises(ConflictError):
        store.replace(path, b"three", etag)  # If-Match: <stale ETag>
    assert store.read(path) == b"other"
    now = store.read_tagged(path)
    assert now is not None
    store.replace(path, b"four", now[1])
    assert store.read(path) == b"four"


def test_azure_condition_mapping() -> None:
    from azure.core import MatchConditions

    assert azure_condition(None) == {"overwrite": False}
    assert azure_condition('"0x1"') == {
        "overwrite": True,
        "etag": '"0x1"',
        "match_condition": MatchConditions.IfNotModified,
    }


def test_gcs_pointer_swap_mapping(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a GCS server: the request the conditional swap sends, and how its answers
    are read (gcsfs's own response handling, which turns 412 into FileExistsError)."""
    from gcsfs.retry import validate_response

    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    store, folder = open_store(GCS("lake", "orders").uri)
    assert isinstance(store, GCSStore)
    path = folder + POINTER
    url, params = gcs_conditional_upload(store.fs, path, None)
    assert url == "https://storage.googleapis.com/upload/storage/v1/b/lake/o"
    # Generation 0 means "no live object": create only.
    assert params == {
        "uploadType": "media",
        "name": "orders/_current.json",
        "ifGenerationMatch": "0",
    }
    assert gcs_conditional_upload(store.fs, path, "1733")[1]["ifGenerationMatch"] == "1733"
    assert store.fs.url(path) == (
        "https://storage.googleapis.com/download/storage/v1/b/lake/o/orders%2F_current.json?alt=media"
    )
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:4443")
    emulated, _ = open_store(GCS("lake", "orders").uri)
    assert gcs_conditional_upload(emulated.fs, path, None)[0].startswith("http://127.0.0.1:4443/")
    # The tag of a download is its generation header.
    assert gcs_generation({"x-goog-generation": "1733"}, path) == "1733"
    with pytest.raises(StorageError, match="without its generation"):
        gcs_generation({}, path)
    # A failed precondition (412) reaches GCSStore.replace as FileExistsError, its conflict.
    with pytest.raises(FileExistsError):
        validate_response(412, b'{"error": {"message": "conditionNotMet"}}', url)
    with pytest.raises(FileNotFoundError):
        validate_response(404, b"", url)


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

"""The storage API on the local file system: formats, versions, pointer, faithful values."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from glacier import Dataset
from glacier.storage import (
    LocalPath,
    Manifest,
    StorageError,
    content_key,
    dataset_exists,
    read_dataset,
    read_manifest,
    write_dataset,
)
from glacier.storage.api import POINTER
from glacier.storage.filesystems import FSYNC_ENV, LocalStore, open_store


@dataclasses.dataclass(frozen=True)
class Item:
    sku: str
    count: int


@dataclasses.dataclass(frozen=True)
class Order:
    id: int
    items: list[Item]
    note: str | None = None


def _roundtrip(tmp_path: Path, value: Any, **options: Any) -> tuple[Any, Manifest]:
    dataset = Dataset("d", LocalPath(str(tmp_path / "d")), **options)
    manifest = write_dataset(dataset, value, run_id="r1", task_id="t")
    return read_dataset(dataset), manifest


@pytest.mark.parametrize(
    ("value", "format", "python_type"),
    [
        ({"a": [1, 2.5, None, True], "b": {"c": "é"}}, "json", "builtins.dict"),
        ([1, 2, 3], "json", "builtins.list"),
        ("héllo\n", "text", "builtins.str"),
        (b"\x00\x01", "bytes", "builtins.bytes"),
        (bytearray(b"ab"), "bytes", "builtins.bytearray"),
    ],
)
def test_plain_values_come_back_equal(
    tmp_path: Path, value: Any, format: str, python_type: str
) -> None:
    back, manifest = _roundtrip(tmp_path, value)
    assert back == value and type(back) is type(value)
    assert manifest.format == format and manifest.python_type == python_type


def test_tables_come_back_as_their_own_type(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    back, manifest = _roundtrip(tmp_path / "pandas", frame)
    assert manifest.format == "parquet" and isinstance(back, pd.DataFrame)
    pd.testing.assert_frame_equal(back, frame)

    polars_frame = pl.DataFrame({"a": [1, 2]})
    back, manifest = _roundtrip(tmp_path / "polars", polars_frame)
    assert isinstance(back, pl.DataFrame) and back.equals(polars_frame)

    table = pa.table({"a": [1, 2]})
    back, _ = _roundtrip(tmp_path / "arrow", table)
    assert isinstance(back, pa.Table) and back.equals(table)


def test_records_come_back_as_the_schema_type(tmp_path: Path) -> None:
    orders = [Order(1, [Item("x", 2)]), Order(2, [], "gift")]
    back, manifest = _roundtrip(tmp_path, orders, schema=Order)
    assert back == orders
    assert manifest.format == "json"
    assert manifest.python_type == f"list[{Order.__module__}.Order]"
    single, _ = _roundtrip(tmp_path / "one", Item("y", 1))
    assert single == Item("y", 1)


def test_pydantic_records(tmp_path: Path) -> None:
    import pydantic

    class User(pydantic.BaseModel):
        name: str
        tags: list[str]

    users = [User(name="a", tags=["x"]), User(name="b", tags=[])]
    dataset = Dataset("users", LocalPath(str(tmp_path)), schema=User)
    write_dataset(dataset, users, run_id="r")
    assert read_dataset(dataset) == users


def test_json_lines_on_request(tmp_path: Path) -> None:
    rows = [{"a": 1}, {"a": 2}]
    back, manifest = _roundtrip(tmp_path, rows, format="jsonl")
    assert back == rows and manifest.files == {"data.jsonl": len(b'{"a":1}\n{"a":2}\n')}


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ((1, 2), "tuple"),
        ({"a": [(1, 2)]}, "tuple"),
        ({1: "a"}, "dict keys of type `int`"),
        ([float("nan")], "not finite"),
        ({"s": {1, 2}}, "set"),
    ],
)
def test_unfaithful_values_are_refused_with_what_would_work(
    tmp_path: Path, value: Any, reason: str
) -> None:
    dataset = Dataset("scores", LocalPath(str(tmp_path)))
    with pytest.raises(StorageError) as caught:
        write_dataset(dataset, value, run_id="r")
    message = str(caught.value)
    assert "dataset `scores`" in message and reason in message
    assert type(value).__name__ in message and "format='pickle'" in message
    assert caught.value.dataset == "scores"
    assert not dataset_exists(dataset)


def test_requested_format_that_cannot_store_the_value(tmp_path: Path) -> None:
    dataset = Dataset("d", LocalPath(str(tmp_path)), format="parquet")
    with pytest.raises(
        StorageError, match=r"format 'parquet' cannot store .* `builtins.list`.*format='json'"
    ):
        write_dataset(dataset, [1], run_id="r")


def test_unknown_format_is_refused_when_declared() -> None:
    with pytest.raises(ValueError, match=r"unknown format 'parquett'.*known formats: parquet"):
        Dataset("d", format="parquett")


def test_pickle_only_on_request_and_signed(tmp_path: Path, signing_key_file: Path) -> None:
    value = {"tuple": (1, 2), 3: {4}}
    back, manifest = _roundtrip(tmp_path, value, format="pickle")
    assert back == value and manifest.format == "pickle"
    signing_key_file.write_bytes(os.urandom(32))  # another user's key
    with pytest.raises(StorageError, match="signature does not match"):
        read_dataset(Dataset("d", LocalPath(str(tmp_path / "d"))))


def test_unsigned_pickle_is_never_unpickled(tmp_path: Path) -> None:
    import pickle

    dataset = Dataset("d", LocalPath(str(tmp_path)), format="pickle")
    manifest = write_dataset(dataset, [1], run_id="r")
    payload = pickle.dumps([2])
    path = tmp_path / manifest.version / "data.pickle"
    path.write_bytes(payload)
    pointer = json.loads((tmp_path / POINTER).read_text())
    import hashlib

    from xxhash import xxh3_128_hexdigest

    pointer["manifest"]["files"] = {"data.pickle": len(payload)}
    pointer["manifest"]["content_hash"] = "sha256:" + hashlib.sha256(payload).hexdigest()
    pointer["manifest"]["checksums"] = {"data.pickle": "xxh3-128:" + xxh3_128_hexdigest(payload)}
    (tmp_path / POINTER).write_text(json.dumps(pointer))
    with pytest.raises(StorageError, match="not signed by Glacier"):
        read_dataset(dataset)


def test_versions_carry_a_blake3_hash_and_checksums_older_ones_still_verify(
    tmp_path: Path,
) -> None:
    import hashlib

    from blake3 import blake3
    from xxhash import xxh3_128_hexdigest

    dataset = Dataset("d", LocalPath(str(tmp_path)))
    manifest = write_dataset(dataset, {"a": 1}, run_id="r")
    data = (tmp_path / manifest.version / "data.json").read_bytes()
    assert manifest.content_hash == "blake3:" + blake3(data).hexdigest()
    assert manifest.checksums == {"data.json": "xxh3-128:" + xxh3_128_hexdigest(data)}

    def pointing(**changes: Any) -> None:
        pointer = json.loads((tmp_path / POINTER).read_text())
        pointer["manifest"].update(changes)
        (tmp_path / POINTER).write_text(json.dumps(pointer))

    pointing(checksums={"data.json": "crc32:0"})
    with pytest.raises(StorageError, match=r"no checksum Glacier knows for `data\.json`"):
        read_dataset(dataset)
    # A version from before checksums, whose manifest names SHA-256, verifies by its hash.
    pointing(checksums={}, content_hash="sha256:" + hashlib.sha256(data).hexdigest())
    assert read_dataset(dataset) == {"a": 1}
    pointing(content_hash="sha256:" + hashlib.sha256(b"other").hexdigest())
    with pytest.raises(StorageError, match="content hash differs"):
        read_dataset(dataset)
    pointing(content_hash="md5:0123")
    with pytest.raises(StorageError, match=r"unknown kind .*known: blake3, sha256"):
        read_dataset(dataset)


def test_versions_are_write_once_and_the_pointer_moves(tmp_path: Path) -> None:
    dataset = Dataset("d", LocalPath(str(tmp_path)))
    first = write_dataset(dataset, [1], run_id="r1", task_id="t", cache_key="k1")
    second = write_dataset(dataset, [2], run_id="r2", task_id="t", cache_key="k2")
    assert read_dataset(dataset) == [2]
    assert read_manifest(dataset) == second
    assert first.version != second.version and first.version.startswith("_v-")
    for manifest in (first, second):
        stored = json.loads((tmp_path / manifest.version / "_manifest.json").read_text())
        assert Manifest.from_dict(stored) == manifest
    assert content_key(dataset) == second.content_hash
    assert second.cache_key == "k2" and second.run_id == "r2" and second.glacier_version


@pytest.mark.parametrize("setting", ["", "0", "1"])
def test_durable_commits_on_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str
) -> None:
    monkeypatch.setenv(FSYNC_ENV, setting)
    store, _ = open_store(tmp_path.as_uri() + "/")
    assert isinstance(store, LocalStore) and store.durable is (setting == "1")
    folder = tmp_path / "new" / "lake" / "d"  # folders that do not exist yet
    dataset = Dataset("d", LocalPath(str(folder)))
    write_dataset(dataset, [1], run_id="r1")
    second = write_dataset(dataset, [2], run_id="r2")
    assert read_dataset(dataset) == [2] and read_manifest(dataset) == second
    # The pointer's temporary file is renamed away, durable or not.
    assert sorted(p.name for p in folder.iterdir() if not p.is_dir()) == [POINTER]


def test_location_overrides_storage_for_datasets_without_one(tmp_path: Path) -> None:
    dataset = Dataset("cached")
    location = tmp_path.as_uri() + "/cache/cached/"
    write_dataset(dataset, "x", location=location, run_id="r")
    assert read_dataset(dataset, location=location) == "x"
    with pytest.raises(StorageError, match="dataset `cached`: it declares no storage"):
        read_dataset(dataset)


def test_missing_dataset_names_dataset_and_uri(tmp_path: Path) -> None:
    dataset = Dataset("raw", LocalPath(str(tmp_path / "nothing")))
    assert not dataset_exists(dataset)
    assert content_key(dataset) is None and read_manifest(dataset) is None
    with pytest.raises(StorageError) as caught:
        read_dataset(dataset)
    assert "dataset `raw`" in str(caught.value)
    assert caught.value.uri == (tmp_path / "nothing").as_uri() + "/"


def test_manifest_not_matching_data_is_an_error_and_keeps_the_data(tmp_path: Path) -> None:
    dataset = Dataset("d", LocalPath(str(tmp_path)))
    manifest = write_dataset(dataset, {"a": 1}, run_id="r")
    data = tmp_path / manifest.version / "data.json"
    data.write_bytes(b'{"a":2}')
    with pytest.raises(StorageError, match="does not match its manifest"):
        read_dataset(dataset)
    data.write_bytes(b'{"a":1')
    with pytest.raises(StorageError, match="does not match its manifest"):
        read_dataset(dataset)
    assert data.exists()


def test_relative_local_path_resolves_against_the_project_root(tmp_path: Path) -> None:
    here = LocalPath("data/raw")
    root = Path(__file__).resolve().parents[2]
    assert (root / "pyproject.toml").is_file()
    assert here.uri == (root / "data" / "raw").as_uri() + "/"
    assert LocalPath("x", root="/srv/project").uri == "file:///srv/project/x/"
    assert LocalPath("data/raw").to_dict() == {"kind": "local", "path": "data/raw", "uri": here.uri}


def test_a_missing_extra_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from glacier.storage import S3, AzureBlob

    monkeypatch.setitem(sys.modules, "s3fs", None)
    monkeypatch.setitem(sys.modules, "adlfs", None)
    with pytest.raises(StorageError, match=r"pip install 'glacier-pipelines\[s3\]'") as caught:
        read_dataset(Dataset("raw", S3("lake", "raw/")))
    assert "dataset `raw` at s3://lake/raw/" in str(caught.value)
    with pytest.raises(StorageError, match=r"pip install 'glacier-pipelines\[azure\]'"):
        write_dataset(Dataset("raw", AzureBlob("c")), [1], run_id="r")


def test_the_documented_recipe_for_outside_engines_reads_the_current_version(
    tmp_path: Path,
) -> None:
    import fsspec
    import pyarrow.parquet as pq

    dataset = Dataset("orders", LocalPath(str(tmp_path / "orders")))
    write_dataset(dataset, pa.table({"id": [1]}), run_id="r1")
    write_dataset(dataset, pa.table({"id": [2, 3]}), run_id="r2")
    fs, folder = fsspec.core.url_to_fs(dataset.storage.uri)  # type: ignore[union-attr]
    pointer = json.loads(fs.cat_file(f"{folder.rstrip('/')}/_current.json"))
    files = [
        f"{folder.rstrip('/')}/{pointer['version']}/{name}" for name in pointer["manifest"]["files"]
    ]
    assert pq.read_table(files, filesystem=fs).column("id").to_pylist() == [2, 3]
    # A Parquet reader given the folder itself skips the `_`-prefixed versions.
    assert pq.read_table(str(tmp_path / "orders")).num_rows == 0


def test_parquet_larger_than_its_table_in_memory_is_written_whole() -> None:
    from glacier.storage.codecs import encode_parquet

    table = pa.table({"a": list(range(1_000))})
    expected = pa.BufferOutputStream()
    pq.write_table(table, expected)
    # The first buffer is too small: the file is written again into a growing one.
    assert encode_parquet(table, capacity=100).equals(expected.getvalue())
    assert encode_parquet(table).equals(expected.getvalue())


def test_a_table_streams_to_local_disk_and_a_failed_encoding_leaves_no_file(
    tmp_path: Path,
) -> None:
    from blake3 import blake3
    from xxhash import xxh3_128_hexdigest

    dataset = Dataset("table", LocalPath(str(tmp_path)))
    frame = pd.DataFrame({"a": [1, 2, 3]})
    first = write_dataset(dataset, frame, run_id="r1")
    data = (tmp_path / first.version / "part-0.parquet").read_bytes()
    assert first.files == {"part-0.parquet": len(data)}
    assert first.content_hash == "blake3:" + blake3(data).hexdigest()
    assert first.checksums == {"part-0.parquet": "xxh3-128:" + xxh3_128_hexdigest(data)}
    pd.testing.assert_frame_equal(read_dataset(dataset), frame)

    # Arrow refuses a column of ints and strings only while writing the file.
    with pytest.raises(StorageError, match=r"could not store this `pandas\.DataFrame` value"):
        write_dataset(dataset, pd.DataFrame({"a": [1, "x"]}), run_id="r2")
    assert [p.name for p in tmp_path.rglob("*.parquet")] == ["part-0.parquet"]
    assert read_manifest(dataset) == first
    pd.testing.assert_frame_equal(read_dataset(dataset), frame)


def test_a_streamed_table_is_durable_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(FSYNC_ENV, "1")
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync_and_note(descriptor: int) -> None:  # the real fsync, and which file it was
        synced.append(os.readlink(f"/proc/self/fd/{descriptor}"))
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", fsync_and_note)
    dataset = Dataset("table", LocalPath(str(tmp_path)))
    table = pa.table({"a": [1, 2, 3]})
    manifest = write_dataset(dataset, table, run_id="r")
    version = tmp_path / manifest.version
    # The streamed data file, its folder, the manifest and the pointer are all on disk.
    assert {str(version / "part-0.parquet"), str(version), str(tmp_path)} <= set(synced)
    assert str(version / "_manifest.json") in synced
    assert read_dataset(dataset).equals(table)

"""External data that Glacier did not write, read by extension."""

from __future__ import annotations

import dataclasses
import gzip
import json
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from glacier import Dataset
from glacier.storage import LocalPath, StorageError, content_key, dataset_exists, read_dataset


@dataclasses.dataclass(frozen=True)
class User:
    id: int
    name: str


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _parquet(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return bytes(sink.getvalue().to_pybytes())


def test_folder_of_parquet_with_hive_partitions_skips_underscore_files(tmp_path: Path) -> None:
    _write(tmp_path / "year=2024" / "a.parquet", _parquet(pa.table({"id": [1, 2]})))
    _write(tmp_path / "year=2025" / "b.parquet", _parquet(pa.table({"id": [3]})))
    _write(tmp_path / "_SUCCESS", b"")
    _write(tmp_path / ".hidden" / "x.csv", b"a\n1\n")
    table = read_dataset(Dataset("events", LocalPath(str(tmp_path))))
    assert isinstance(table, pa.Table)
    rows = sorted(
        zip(table.column("id").to_pylist(), table.column("year").to_pylist(), strict=True)
    )
    assert rows == [(1, 2024), (2, 2024), (3, 2025)]


def test_compressed_csv_as_the_schema_type(tmp_path: Path) -> None:
    _write(tmp_path / "users.csv.gz", gzip.compress(b"id,name\n1,ada\n2,bob\n"))
    assert read_dataset(Dataset("users", LocalPath(str(tmp_path)), schema=User)) == [
        User(1, "ada"),
        User(2, "bob"),
    ]
    frame = read_dataset(Dataset("users", LocalPath(str(tmp_path)), schema=pd.DataFrame))
    assert isinstance(frame, pd.DataFrame) and list(frame["name"]) == ["ada", "bob"]
    polars_frame = read_dataset(Dataset("users", LocalPath(str(tmp_path)), schema=pl.DataFrame))
    assert isinstance(polars_frame, pl.DataFrame) and polars_frame.height == 2


def test_json_lines_and_one_json_object(tmp_path: Path) -> None:
    _write(tmp_path / "lines" / "part.ndjson", b'{"a": 1}\n{"a": 2}\n')
    table = read_dataset(Dataset("lines", LocalPath(str(tmp_path / "lines"))))
    assert table.column("a").to_pylist() == [1, 2]
    _write(tmp_path / "config.json", json.dumps({"threshold": 0.5}).encode())
    single = Dataset("config", LocalPath(str(tmp_path / "config.json")))
    assert read_dataset(single) == {"threshold": 0.5}
    assert dataset_exists(single)


def test_content_key_follows_size_and_modification(tmp_path: Path) -> None:
    dataset = Dataset("raw", LocalPath(str(tmp_path)))
    _write(tmp_path / "a.csv", b"a\n1\n")
    first = content_key(dataset)
    _write(tmp_path / "a.csv", b"a\n1\n2\n")
    assert first is not None and content_key(dataset) not in (None, first)


def test_mixed_formats_are_refused(tmp_path: Path) -> None:
    _write(tmp_path / "a.csv", b"a\n1\n")
    _write(tmp_path / "b.parquet", _parquet(pa.table({"a": [1]})))
    with pytest.raises(StorageError, match=r"dataset `mixed` at file://.*mixed formats: csv"):
        read_dataset(Dataset("mixed", LocalPath(str(tmp_path))))


def test_truncated_parquet_is_one_clear_error(tmp_path: Path) -> None:
    data = _parquet(pa.table({"a": list(range(1000))}))
    _write(tmp_path / "a.parquet", data[: len(data) // 2])
    with pytest.raises(StorageError, match=r"dataset `t` at .*cannot read `a.parquet` as parquet"):
        read_dataset(Dataset("t", LocalPath(str(tmp_path))))


def test_unknown_extension_is_named(tmp_path: Path) -> None:
    _write(tmp_path / "notes.docx", b"...")
    with pytest.raises(StorageError, match=r"cannot tell the format of `notes\.docx`"):
        read_dataset(Dataset("n", LocalPath(str(tmp_path))))


def test_missing_external_data_names_dataset_and_uri(tmp_path: Path) -> None:
    with pytest.raises(StorageError) as caught:
        read_dataset(Dataset("raw", LocalPath(str(tmp_path / "absent"))))
    assert str(caught.value).startswith(f"dataset `raw` at {(tmp_path / 'absent').as_uri()}/:")

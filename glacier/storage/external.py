"""Data Glacier did not write: a folder of files, hive partitions or one object.

The format comes from each file's extension (``.parquet``, ``.csv``, ``.json``,
``.jsonl``/``.ndjson``, optionally compressed: ``.gz``, ``.bz2``, ``.xz``, ``.zst``).
Names starting with ``_`` or ``.`` are skipped, as Parquet readers do. Tables come back
as the dataset's schema type (pandas, polars, records), else as a ``pyarrow.Table``.
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import typing
from typing import Any

from glacier.storage.codecs import from_json_data, is_record_class
from glacier.storage.errors import StorageError
from glacier.storage.filesystems import ObjectInfo, Store

_FORMATS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
_COMPRESSIONS = (".gz", ".bz2", ".xz", ".zst")


def classify(path: str) -> tuple[str | None, str | None]:
    """``(format, compression)`` of a file name; ``format`` is ``None`` when unknown."""
    name = path.rsplit("/", 1)[-1].lower()
    compression = next((suffix for suffix in _COMPRESSIONS if name.endswith(suffix)), None)
    if compression:
        name = name[: -len(compression)]
    dot = name.rfind(".")
    return (_FORMATS.get(name[dot:]) if dot >= 0 else None), compression


def data_files(store: Store, folder: str) -> list[ObjectInfo]:
    """The data files of an external dataset: the folder's files, or the one object.

    An empty list means nothing is there.
    """
    if store.is_folder(folder):
        kept = []
        for item in store.files(folder):
            relative = (
                item.path[len(folder.rstrip("/")) + 1 :]
                if item.path.startswith(folder.rstrip("/"))
                else item.path
            )
            if any(part.startswith(("_", ".")) for part in relative.split("/")):
                continue
            kept.append(item)
        return kept
    single = store.info(folder.rstrip("/"))
    return [single] if single is not None else []


def _decompress(data: bytes, compression: str | None) -> bytes:
    if compression == ".gz":
        return gzip.decompress(data)
    if compression == ".bz2":
        return bz2.decompress(data)
    if compression == ".xz":
        return lzma.decompress(data)
    if compression == ".zst":
        import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]

        return bytes(pa.CompressedInputStream(pa.BufferReader(data), "zstd").read())
    return data


def _partitions(relative: str) -> dict[str, str]:
    """Hive-style ``key=value`` folders on the way to a file."""
    found = {}
    for part in relative.split("/")[:-1]:
        key, equals, value = part.partition("=")
        if equals and key:
            found[key] = value
    return found


def _partition_value(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        return text


def read_external(store: Store, folder: str, *, dataset: str, uri: str, schema: Any) -> Any:
    """The external data at ``folder``.

    Raises:
        StorageError: if nothing is there, formats are mixed, or a file cannot be parsed.
    """
    files = data_files(store, folder)
    if not files:
        raise StorageError(
            "no data found there (no dataset Glacier committed, and no data files)",
            dataset=dataset,
            uri=uri,
        )
    formats: dict[str, str] = {}
    for item in files:
        kind, _ = classify(item.path)
        if kind is None:
            raise StorageError(
                f"cannot tell the format of `{item.path.rsplit('/', 1)[-1]}` from its extension "
                "(expected .parquet, .csv, .json, .jsonl or .ndjson, optionally compressed)",
                dataset=dataset,
                uri=uri,
            )
        formats[item.path] = kind
    if len(set(formats.values())) > 1:
        listed = ", ".join(
            sorted({f"{k} (e.g. {p.rsplit('/', 1)[-1]})" for p, k in formats.items()})
        )
        raise StorageError(
            f"the folder holds files of mixed formats: {listed}; keep one format per folder",
            dataset=dataset,
            uri=uri,
        )
    kind = next(iter(formats.values()))
    base = folder.rstrip("/")
    tables = []
    for item in files:
        raw = store.read(item.path)
        if raw is None:
            raise StorageError(f"`{item.path}` disappeared while reading", dataset=dataset, uri=uri)
        try:
            data = _decompress(raw, classify(item.path)[1])
            if kind == "json" and len(files) == 1:
                value = json.loads(data)
                if not (isinstance(value, list) and all(isinstance(row, dict) for row in value)):
                    return value
                return _records_as_schema(value, schema)
            table = _parse(kind, data)
        except StorageError:
            raise
        except Exception as error:
            name = item.path.rsplit("/", 1)[-1]
            raise StorageError(
                f"cannot read `{name}` as {kind} ({type(error).__name__}: {error})",
                dataset=dataset,
                uri=uri,
            ) from error
        relative = item.path[len(base) + 1 :] if item.path.startswith(base + "/") else item.path
        for key, text in _partitions(relative).items():
            if key not in table.column_names:
                import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]

                table = table.append_column(
                    key, pa.array([_partition_value(text)] * table.num_rows)
                )
        tables.append(table)
    import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]

    try:
        table = (
            tables[0] if len(tables) == 1 else pa.concat_tables(tables, promote_options="default")
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise StorageError(
            f"its files do not share one schema ({error})", dataset=dataset, uri=uri
        ) from error
    return table_as_schema(table, schema)


def _parse(kind: str, data: bytes) -> Any:
    import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]

    if kind == "parquet":
        import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]

        return pq.read_table(pa.BufferReader(data))
    if kind == "csv":
        import pyarrow.csv as pacsv  # type: ignore[import-untyped, unused-ignore]

        return pacsv.read_csv(pa.BufferReader(data))
    if kind == "jsonl":
        import pyarrow.json as pajson  # type: ignore[import-untyped, unused-ignore]

        return pajson.read_json(pa.BufferReader(data))
    rows = json.loads(data)
    if isinstance(rows, dict):
        rows = [rows]
    return pa.Table.from_pylist(rows)


def _row_type(schema: Any) -> Any:
    """``list[User]`` (a dataset of rows) reads its files as ``User`` records."""
    if typing.get_origin(schema) is list and len(typing.get_args(schema)) == 1:
        return typing.get_args(schema)[0]
    return schema


def _records_as_schema(rows: list[dict[str, Any]], schema: Any) -> Any:
    schema = _row_type(schema)
    if is_record_class(schema):
        return [from_json_data(schema, row) for row in rows]
    import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]

    if isinstance(schema, type) and schema.__module__.partition(".")[0] in ("pandas", "polars"):
        return table_as_schema(pa.Table.from_pylist(rows), schema)
    if schema is not None and typing.is_typeddict(schema):
        return rows
    return pa.Table.from_pylist(rows)


def table_as_schema(table: Any, schema: Any) -> Any:
    """An Arrow table as the schema's type: pandas, polars, records; else unchanged."""
    schema = _row_type(schema)
    if isinstance(schema, type):
        roots = {cls.__module__.partition(".")[0] for cls in schema.__mro__}
        root = "pandas" if roots & {"pandas", "pandera"} else "polars" if "polars" in roots else ""
        if root == "pandas":
            return table.to_pandas()
        if root == "polars":
            import polars as pl

            return pl.from_arrow(table)
        if is_record_class(schema):
            return [from_json_data(schema, row) for row in table.to_pylist()]
    if schema is not None and typing.is_typeddict(schema):
        return table.to_pylist()
    return table

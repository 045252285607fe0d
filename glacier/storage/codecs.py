"""Codecs: how a value becomes files and comes back equal.

Without ``format=``, the first automatic codec that can store a value faithfully is
chosen: Parquet for pandas, polars and Arrow tables, text for ``str``, bytes for
``bytes``, JSON for JSON-compatible values and dataclass or pydantic records. Pickle is
used only when asked for, and its payload is signed. A codec refuses a value it would
not give back equal (a tuple through JSON, integer dict keys) instead of changing it.
"""

from __future__ import annotations

import dataclasses
import importlib
import io
import json
import pickle
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import chain
from typing import Any, BinaryIO, Protocol, runtime_checkable

from glacier.storage import signing

#: File contents a codec hands over: bytes, or a zero-copy view of a library's buffer.
Blob = bytes | bytearray | memoryview


@dataclass(frozen=True)
class Encoded:
    """A value as files (name relative to the version folder -> contents) and its type."""

    files: Mapping[str, Blob]
    python_type: str


@runtime_checkable
class Codec(Protocol):
    """Turns values into files and back. Register one with `register_codec`.

    ``automatic`` codecs are tried, in registration order before the built-in ones, for
    datasets without ``format=``; the others only when a dataset asks for them by name.
    """

    name: str
    automatic: bool

    def refusal(self, value: Any) -> str | None:
        """Why this codec cannot store ``value`` faithfully; ``None`` if it can."""

    def encode(self, value: Any) -> Encoded:
        """``value`` as files; only called when `refusal` returned ``None``."""

    def decode(self, files: Mapping[str, bytes], python_type: str, schema: Any) -> Any:
        """The value back from its files; ``python_type`` is what `encode` recorded."""


@runtime_checkable
class StreamingCodec(Codec, Protocol):
    """A codec whose value is one file that it can write into an open file, so a local
    folder receives it as it is encoded (no buffer the size of the data filled first)."""

    #: The name of that file in the version folder.
    file_name: str

    def encode_to(self, value: Any, handle: BinaryIO) -> str:
        """Write ``value`` as `file_name` into ``handle``; returns the Python type to
        record (as `Encoded.python_type`). Only called when `refusal` returned ``None``."""


_BUILTIN_ORDER = ("parquet", "text", "bytes", "json")
_codecs: dict[str, Codec] = {}
_third_party: list[str] = []


def register_codec(codec: Codec, *, replace: bool = False) -> None:
    """Make ``codec`` available as ``Dataset(..., format=codec.name)``.

    Raises:
        TypeError: if ``codec`` does not implement `Codec`.
        ValueError: if a codec of that name exists and ``replace`` is false.
    """
    if not isinstance(codec, Codec) or not isinstance(getattr(codec, "name", None), str):
        raise TypeError(f"{codec!r} is not a glacier.storage.Codec")
    if codec.name in _codecs and not replace:
        raise ValueError(f"a codec named {codec.name!r} is already registered")
    _codecs[codec.name] = codec
    if codec.name not in _BUILTIN_ORDER and codec.name not in _third_party:
        _third_party.append(codec.name)


def codec_names() -> tuple[str, ...]:
    """Every registered format name, built-in ones first."""
    return tuple(_codecs)


def get_codec(name: str) -> Codec | None:
    """The codec registered as ``name``."""
    return _codecs.get(name)


def automatic_codecs() -> list[Codec]:
    """Codecs tried for a dataset without ``format=``, in order."""
    ordered = [*_third_party, *_BUILTIN_ORDER]
    return [_codecs[name] for name in ordered if name in _codecs and _codecs[name].automatic]


def type_name(cls: type) -> str:
    """``module.Qualname`` of a class (``builtins.list``)."""
    return f"{cls.__module__}.{cls.__qualname__}"


def resolve_type(name: str, schema: Any = None) -> type:
    """The class called ``name`` (`type_name`), preferring the dataset's schema.

    Raises:
        ValueError: if it cannot be imported.
    """
    if typing.get_origin(schema) is list and typing.get_args(schema):
        schema = typing.get_args(schema)[0]  # a dataset of rows: schema=list[Row]
    if isinstance(schema, type) and type_name(schema) == name:
        return schema
    parts = name.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        try:
            for attribute in parts[split:]:
                found = getattr(found, attribute)
        except AttributeError:
            break
        if isinstance(found, type):
            return found
    raise ValueError(f"the stored type `{name}` cannot be imported here")


# -- tables ----------------------------------------------------------------------------


def table_kind(value: Any) -> str | None:
    """``"pandas"``, ``"polars"`` or ``"arrow"`` for a table, else ``None`` (no imports)."""
    cls = type(value)
    root = cls.__module__.partition(".")[0]
    if root == "pandas" and cls.__name__ == "DataFrame":
        return "pandas"
    if root == "polars" and cls.__name__ == "DataFrame":
        return "polars"
    if root == "pyarrow" and cls.__name__ == "Table":
        return "arrow"
    return None


def to_arrow(value: Any) -> Any:
    """A pandas, polars or Arrow table as a ``pyarrow.Table``."""
    import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]

    kind = table_kind(value)
    if kind == "pandas":
        return pa.Table.from_pandas(value)
    if kind == "polars":
        return value.to_arrow()
    return value


def from_arrow(table: Any, python_type: str, schema: Any = None) -> Any:
    """An Arrow table as the recorded type (pandas, polars, records) or as is."""
    root = python_type.partition(".")[0]
    if root == "pandas":
        return table.to_pandas()
    if root == "polars":
        import polars as pl

        return pl.from_arrow(table)
    return table


class ParquetCodec:
    """pandas, polars and Arrow tables as Parquet (pyarrow, Snappy-compressed)."""

    name = "parquet"
    automatic = True

    def refusal(self, value: Any) -> str | None:
        kind = table_kind(value)
        if kind is None:
            return "Parquet stores pandas, polars and Arrow tables only"
        if kind == "pandas":
            odd = [c for c in value.columns if not isinstance(c, str)]
            if odd:
                return f"column names must be strings (Parquet would turn {odd[0]!r} into a string)"
        return None

    file_name = "part-0.parquet"

    def encode(self, value: Any) -> Encoded:
        # A view of Arrow's buffer, not a copy of it (the buffer lives as long as the view).
        data = memoryview(encode_parquet(to_arrow(value)))
        return Encoded({self.file_name: data}, type_name(type(value)))

    def encode_to(self, value: Any, handle: BinaryIO) -> str:
        import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]

        pq.write_table(to_arrow(value), handle)
        return type_name(type(value))

    def decode(self, files: Mapping[str, bytes], python_type: str, schema: Any) -> Any:
        import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
        import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]

        tables = [pq.read_table(pa.BufferReader(data)) for data in files.values()]
        table = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
        return from_arrow(table, python_type, schema)


def encode_parquet(table: Any, capacity: int | None = None) -> Any:
    """The Parquet file of an Arrow table, as an Arrow buffer.

    Written into one buffer of the table's in-memory size (plus room for metadata), which
    Snappy-compressed Parquet rarely exceeds: a growing buffer copies itself as it doubles.
    When it does not fit, the file is written again into a growing buffer.
    """
    import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
    import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]

    target = pa.allocate_buffer(table.nbytes + (1 << 20) if capacity is None else capacity)
    writer = pa.FixedSizeBufferWriter(target)
    try:
        pq.write_table(table, writer)
    except OSError:  # "Write out of bounds": larger than the table in memory
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink)
        return sink.getvalue()
    return target.slice(0, writer.tell())


# -- JSON ------------------------------------------------------------------------------

_SCALARS = frozenset({str, int, float, bool, type(None)})
_CONTAINERS = frozenset({list, dict})
_NOT_BACK: dict[type, str] = {
    tuple: "a tuple (JSON gives it back as a list)",
    set: "a set (JSON has no sets)",
    frozenset: "a frozenset (JSON has no sets)",
    bytes: "bytes (JSON has no bytes)",
}


def json_refusal(value: Any) -> str | None:
    """Why ``json.loads(json.dumps(value))`` would not equal ``value``, or ``None``.

    Walks level by level with C-level ``map``/``filter``/``chain`` so that large record
    lists cost a fraction of encoding them.
    """
    level = [value]
    while level:
        kinds = set(map(type, level))
        strange = kinds - _SCALARS - _CONTAINERS
        if strange:
            first = min(strange, key=lambda cls: cls.__name__)
            return f"it holds {_NOT_BACK.get(first, f'a `{type_name(first)}`')}"
        # NaN and infinity are refused by the encoder (allow_nan=False): see `Refused`.
        if not kinds & _CONTAINERS:
            return None
        # Exact types are known now, so isinstance() filters (in C) select exactly them.
        dicts = level if kinds == {dict} else list(filter(_is_dict, level)) if dict in kinds else []
        lists = level if kinds == {list} else list(filter(_is_list, level)) if list in kinds else []
        if dicts:
            key_kinds = set(map(type, chain.from_iterable(dicts)))
            if key_kinds - {str}:
                odd = min(key_kinds - {str}, key=lambda cls: cls.__name__).__name__
                return f"it has dict keys of type `{odd}` (JSON turns keys into strings)"
        level = [
            *chain.from_iterable(map(dict.values, dicts)),
            *chain.from_iterable(lists),
        ]
    return None


_is_dict = dict.__instancecheck__
_is_list = list.__instancecheck__


def is_record_class(cls: Any) -> bool:
    """A dataclass or pydantic model class (TypedDicts are plain dicts already)."""
    return isinstance(cls, type) and (
        dataclasses.is_dataclass(cls)
        or (hasattr(cls, "model_validate") and hasattr(cls, "model_dump"))
    )


def _record_class(value: Any) -> tuple[type | None, bool]:
    """The record class of a record or a non-empty list of one class, and whether a list."""
    if is_record_class(type(value)):
        return type(value), False
    if type(value) is list and value:
        kinds = set(map(type, value))
        if len(kinds) == 1:
            (cls,) = kinds
            if is_record_class(cls):
                return cls, True
    return None, False


def to_json_data(value: Any) -> Any:
    """Records (dataclass, pydantic) as plain JSON data, recursively."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: to_json_data(getattr(value, field.name))
            for field in dataclasses.fields(value)
        }
    if hasattr(value, "model_dump") and not isinstance(value, type):
        return value.model_dump(mode="json")
    if type(value) is list:
        return [to_json_data(item) for item in value]
    if type(value) is dict:
        return {key: to_json_data(item) for key, item in value.items()}
    return value


def from_json_data(annotation: Any, data: Any) -> Any:
    """JSON data rebuilt as ``annotation`` (dataclasses, pydantic, lists and dicts of them)."""
    if isinstance(annotation, type) and is_record_class(annotation):
        if hasattr(annotation, "model_validate"):
            return annotation.model_validate(data)
        if not isinstance(data, dict):
            return data
        hints = typing.get_type_hints(annotation)
        arguments = {
            field.name: from_json_data(hints.get(field.name, Any), data[field.name])
            for field in dataclasses.fields(annotation)
            if field.init and field.name in data
        }
        return annotation(**arguments)
    origin = typing.get_origin(annotation)
    arguments_of = typing.get_args(annotation)
    if origin is list and arguments_of and isinstance(data, list):
        return [from_json_data(arguments_of[0], item) for item in data]
    if origin is dict and len(arguments_of) == 2 and isinstance(data, dict):
        return {key: from_json_data(arguments_of[1], item) for key, item in data.items()}
    if origin in (typing.Union, types.UnionType) and data is not None:
        for option in arguments_of:
            if option is not type(None):
                return from_json_data(option, data)
    return data


class Refused(ValueError):
    """A codec found, while encoding, that it cannot store the value faithfully."""


_NOT_FINITE = "it holds a float that is not finite (JSON has no NaN or infinity)"


def _json_bytes(data: Any) -> bytes:
    try:
        text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except ValueError as error:
        if "Out of range float" in str(error):
            raise Refused(_NOT_FINITE) from None
        raise
    return text.encode()


class JsonCodec:
    """JSON-compatible values, and dataclass or pydantic records (read back as such)."""

    name = "json"
    automatic = True
    file = "data.json"

    def refusal(self, value: Any) -> str | None:
        record, many = _record_class(value)
        if record is None:
            return json_refusal(value)
        data = to_json_data(value)
        reason = json_refusal(data)
        if reason is not None:
            return reason
        annotation: Any = list[record] if many else record  # type: ignore[valid-type]
        try:
            equal = bool(from_json_data(annotation, json.loads(_json_bytes(data))) == value)
        except Exception as error:  # noqa: BLE001 (any failure to rebuild means: refuse)
            return f"a `{type_name(record)}` cannot be rebuilt from JSON ({error})"
        if not equal:
            return f"a `{type_name(record)}` would not come back equal through JSON"
        return None

    def _python_type(self, value: Any) -> str:
        record, many = _record_class(value)
        if record is None:
            return type_name(type(value))
        return f"list[{type_name(record)}]" if many else type_name(record)

    def encode(self, value: Any) -> Encoded:
        record, _ = _record_class(value)
        data = to_json_data(value) if record is not None else value
        return Encoded({self.file: self.dump(data)}, self._python_type(value))

    def dump(self, data: Any) -> bytes:
        return _json_bytes(data)

    def load(self, raw: bytes) -> Any:
        return json.loads(raw)

    def decode(self, files: Mapping[str, bytes], python_type: str, schema: Any) -> Any:
        data = self.load(next(iter(files.values())))
        if python_type.startswith("list[") and python_type.endswith("]"):
            record = resolve_type(python_type[5:-1], schema)
            return [from_json_data(record, item) for item in data]
        if python_type.startswith("builtins."):
            return data
        return from_json_data(resolve_type(python_type, schema), data)


class JsonLinesCodec(JsonCodec):
    """A list as JSON Lines: one JSON value per line (on request)."""

    name = "jsonl"
    automatic = False
    file = "data.jsonl"

    def refusal(self, value: Any) -> str | None:
        if type(value) is not list:
            return "JSON Lines stores lists only"
        return super().refusal(value)

    def dump(self, data: Any) -> bytes:
        return b"".join(_json_bytes(item) + b"\n" for item in data)

    def load(self, raw: bytes) -> Any:
        return [json.loads(line) for line in raw.splitlines() if line.strip()]


# -- text, bytes, pickle ---------------------------------------------------------------


class TextCodec:
    """A ``str`` as UTF-8 text."""

    name = "text"
    automatic = True

    def refusal(self, value: Any) -> str | None:
        return None if type(value) is str else "text stores `str` values only"

    def encode(self, value: Any) -> Encoded:
        return Encoded({"data.txt": value.encode("utf-8", "surrogatepass")}, "builtins.str")

    def decode(self, files: Mapping[str, bytes], python_type: str, schema: Any) -> Any:
        return next(iter(files.values())).decode("utf-8", "surrogatepass")


class BytesCodec:
    """``bytes`` or ``bytearray`` as they are."""

    name = "bytes"
    automatic = True

    def refusal(self, value: Any) -> str | None:
        return None if type(value) in (bytes, bytearray) else "bytes stores `bytes` values only"

    def encode(self, value: Any) -> Encoded:
        return Encoded({"data.bin": bytes(value)}, type_name(type(value)))

    def decode(self, files: Mapping[str, bytes], python_type: str, schema: Any) -> Any:
        data = next(iter(files.values()))
        return bytearray(data) if python_type == "builtins.bytearray" else data


class PickleCodec:
    """Any picklable value, signed with the user's key; only when asked for."""

    name = "pickle"
    automatic = False

    def refusal(self, value: Any) -> str | None:
        return None

    def encode(self, value: Any) -> Encoded:
        buffer = io.BytesIO()
        pickle.dump(value, buffer, protocol=pickle.HIGHEST_PROTOCOL)
        return Encoded({"data.pickle": signing.sign(buffer.getvalue())}, type_name(type(value)))

    def decode(self, files: Mapping[str, bytes], python_type: str, schema: Any) -> Any:
        return pickle.loads(signing.verify(next(iter(files.values()))))


for _codec in (
    ParquetCodec(),
    JsonCodec(),
    JsonLinesCodec(),
    TextCodec(),
    BytesCodec(),
    PickleCodec(),
):
    register_codec(_codec)

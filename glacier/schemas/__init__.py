"""Checking a dataset's value against its ``schema=`` at run time.

One rule, shared with the mypy plugin: ``schema=`` is the type of the *whole* value a
task returns or receives. ``schema=User`` is one record, ``schema=list[User]`` a list of
rows. `check_value` knows four kinds of schema:

- **records**: a dataclass, ``TypedDict`` or pydantic model (the value is one record), or
  a type such as ``list[User]`` or ``dict[str, User]``; checked with pydantic's
  ``TypeAdapter`` (extra ``pydantic``), strictly for values code produced (as mypy types
  them: no ``"1"`` for an ``int``), leniently for data read from files;
- **pandera**: a ``DataFrameSchema`` or ``DataFrameModel`` for pandas or polars frames
  (extra ``pandera``);
- **arrow**: a ``pyarrow.Schema`` for Arrow tables and pandas/polars frames;
- **class**: any other class (``pandas.DataFrame``, ``dict``, ``float``): the value must
  be an instance of it (an ``int`` is a ``float``, as for mypy).

pydantic and pandera are imported only when a schema needs them.
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
import typing
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from glacier.distribution import install_hint
from glacier.runtime.errors import GlacierError

#: The values of ``[tool.glacier] validate`` and ``Dataset(validate=...)``.
VALIDATE_MODES = ("error", "warn", "off")


class SchemaMismatch(GlacierError):
    """A value that does not match its dataset's schema.

    Attributes name the dataset, the schema, the first offending field and row, and how
    many rows failed (``None`` when the value has no rows, e.g. a missing column).
    """

    def __init__(
        self,
        dataset: str,
        schema: str,
        problem: str,
        *,
        field: str | None = None,
        row: Any = None,
        failed_rows: int | None = None,
        total_rows: int | None = None,
    ) -> None:
        self.dataset = dataset
        self.schema = schema
        self.problem = problem
        self.field = field
        self.row = row
        self.failed_rows = failed_rows
        self.total_rows = total_rows
        where = []
        if row is not None:
            where.append(f"row {row}")
        if field is not None:
            where.append(f"field `{field}`")
        text = f"dataset `{dataset}` does not match its schema {schema}: "
        text += (", ".join(where) + ": " if where else "") + problem
        if failed_rows is not None:
            of = f" of {total_rows}" if total_rows is not None else ""
            plural = "s" if (total_rows or failed_rows) != 1 else ""
            text += f" ({failed_rows}{of} row{plural} failed)"
        super().__init__(text)


class SchemaWarning(UserWarning):
    """A mismatch reported, not raised, because validation is ``"warn"``."""


class SchemaExtraMissing(GlacierError):
    """A schema needs an optional extra that is not installed."""


class UncheckableSchema(GlacierError):
    """A ``schema=`` that is no kind Glacier can check (docs/schemas.md lists them)."""


def schema_label(schema: Any) -> str:
    """How messages name a schema: ``User``, ``list[User]``, ``pyarrow.Schema(a, b)``."""
    if _is_arrow_schema(schema):
        return "pyarrow.Schema(" + ", ".join(schema.names) + ")"
    if isinstance(schema, type):
        return schema.__name__
    name = getattr(schema, "name", None)
    if _is_pandera(schema):
        kind = type(schema).__name__
        return f"{kind} {name!r}" if isinstance(name, str) and name else kind
    origin = typing.get_origin(schema)
    arguments = typing.get_args(schema)
    if origin is not None and arguments:
        outer = getattr(origin, "__name__", None) or repr(origin).replace("typing.", "")
        return f"{outer}[{', '.join(schema_label(a) for a in arguments)}]"
    return repr(schema).replace("typing.", "")


def schema_kind(schema: Any) -> str | None:
    """``"records"``, ``"pandera"``, ``"arrow"``, ``"class"``, or ``None`` (not checkable)."""
    if schema is None:
        return None
    if _is_arrow_schema(schema):
        return "arrow"
    if _is_pandera(schema):
        return "pandera"
    if _is_record_type(schema) or typing.get_origin(schema) is not None:
        return "records"
    if isinstance(schema, type):
        return "class"
    return None


def check_value(value: Any, schema: Any, *, dataset: str, strict: bool = True) -> None:
    """Raise `SchemaMismatch` when ``value`` does not match ``schema``.

    ``strict`` (records only): types must match as mypy sees them (a task's output);
    ``False`` lets pydantic convert, as for data decoded from files (``"1"`` for ``1``,
    a dict for a dataclass).

    Raises:
        SchemaMismatch: naming the dataset, schema, first offending field and row.
        SchemaExtraMissing: when the schema needs pydantic or pandera and it is missing.
        UncheckableSchema: when ``schema`` is not a kind Glacier can check.
    """
    kind = schema_kind(schema)
    if kind == "records":
        _check_records(value, schema, dataset, strict)
    elif kind == "pandera":
        _check_pandera(value, schema, dataset)
    elif kind == "arrow":
        _check_arrow(value, schema, dataset)
    elif kind == "class":
        _check_class(value, schema, dataset)
    elif schema is not None:
        raise UncheckableSchema(
            f"dataset `{dataset}`: schema {schema!r} is not a type, pydantic/pandera model "
            "or pyarrow.Schema, so Glacier cannot check its values"
        )


def check_dataset(dataset: Any, value: Any, mode: str, *, strict: bool = True) -> str | None:
    """Check a dataset's value against its schema as ``mode`` says (``strict``: see
    `check_value`).

    Returns the warning's text in ``"warn"`` mode (also issued as a `SchemaWarning`),
    else ``None``.

    Raises:
        SchemaMismatch: in ``"error"`` mode, when the value does not match.
        SchemaExtraMissing: when the schema needs an extra that is not installed.
        UncheckableSchema: when the schema is no kind Glacier can check.
    """
    if mode == "off" or dataset is None or dataset.schema is None:
        return None
    try:
        check_value(value, dataset.schema, dataset=dataset.name, strict=strict)
    except SchemaMismatch as mismatch:
        if mode != "warn":
            raise
        text = f"glacier: warning: {mismatch}"
        warnings.warn(SchemaWarning(str(mismatch)), stacklevel=2)
        return text
    return None


def check_given(given: Sequence[tuple[Any, Any]], mode_of: Callable[[Any], str]) -> list[str]:
    """Check the values given with ``run(inputs=...)`` before the run starts.

    ``given`` pairs each dataset with its value; ``mode_of(dataset)`` is its ``validate``
    mode. They are Python values handed to tasks typed by the schema, so they are checked
    as strictly as a task's output. Returns one problem per value that fails in
    ``"error"`` mode (or whose schema cannot be checked); ``"warn"`` issues a
    `SchemaWarning` and lets the value through.
    """
    problems: list[str] = []
    for dataset, value in given:
        if dataset.schema is None:
            continue
        mode = mode_of(dataset)
        if mode == "off":
            continue
        try:
            check_dataset(dataset, value, mode)
        except GlacierError as error:
            problems.append(f"inputs=: {error}")
    return problems


# -- kinds --------------------------------------------------------------------------


def _is_arrow_schema(schema: Any) -> bool:
    cls = type(schema)
    return cls.__name__ == "Schema" and cls.__module__.partition(".")[0] == "pyarrow"


def _is_pandera(schema: Any) -> bool:
    classes = schema.__mro__ if isinstance(schema, type) else type(schema).__mro__
    return any(c.__module__.partition(".")[0] == "pandera" for c in classes)


def _is_record_type(schema: Any) -> bool:
    if not isinstance(schema, type):
        return False
    if dataclasses.is_dataclass(schema) or _is_typeddict(schema):
        return True
    return any(c.__module__.partition(".")[0] == "pydantic" for c in schema.__mro__[1:])


def _is_typeddict(schema: Any) -> bool:
    # typing.is_typeddict misses typing_extensions' TypedDicts before Python 3.12.
    return (
        isinstance(schema, type)
        and issubclass(schema, dict)
        and hasattr(schema, "__total__")
        and hasattr(schema, "__required_keys__")
    )


def _frame_library(value: Any) -> str | None:
    module = type(value).__module__.partition(".")[0]
    if module in ("pandas", "polars") and type(value).__name__ == "DataFrame":
        return module
    return None


def _require(module: str, extra: str, schema: Any, dataset: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise SchemaExtraMissing(
            f"dataset `{dataset}`: checking schema {schema_label(schema)} needs {extra}: "
            f"{install_hint(extra)}"
        ) from None


# -- records: pydantic's TypeAdapter ---------------------------------------------------

_adapters: dict[tuple[Any, bool], Any] = {}


def _adapter(target: Any, schema: Any, dataset: str, strict: bool) -> Any:
    found = _adapters.get((target, strict))
    if found is not None:
        return found
    pydantic = _require("pydantic", "pydantic", schema, dataset)
    config = None
    if not _has_own_config(target):
        # Dataclass instances are checked field by field too (pydantic trusts them
        # otherwise). Strict: what mypy accepts, no conversions and no unknown keys.
        options: dict[str, Any] = {"revalidate_instances": "always"}
        if strict:
            options.update(strict=True, extra="forbid")
        config = pydantic.ConfigDict(**options)
    adapter = pydantic.TypeAdapter(_pydantic_compatible(target), config=config)
    _adapters[(target, strict)] = adapter
    return adapter


def _has_own_config(target: Any) -> bool:
    # pydantic refuses a config= for its models and pydantic dataclasses (they carry their own).
    return isinstance(target, type) and (
        hasattr(target, "__pydantic_config__") or hasattr(target, "model_config")
    )


def _pydantic_compatible(target: Any, seen: dict[Any, Any] | None = None) -> Any:
    """``typing.TypedDict`` (refused by pydantic before Python 3.12) as its
    ``typing_extensions`` twin, also inside ``list[...]``/``dict[...]``."""
    if sys.version_info >= (3, 12):
        return target
    seen = {} if seen is None else seen
    if typing.is_typeddict(target) and type(target).__module__ == "typing":
        if target in seen:
            return seen[target]
        import typing_extensions

        hints = typing.get_type_hints(target)
        required = getattr(target, "__required_keys__", frozenset(hints))
        fields = {
            name: (
                _pydantic_compatible(hint, seen)
                if name in required
                else typing_extensions.NotRequired[_pydantic_compatible(hint, seen)]
            )
            for name, hint in hints.items()
        }
        make: Any = typing_extensions.TypedDict
        twin = make(target.__name__, fields)
        seen[target] = twin
        return twin
    origin = typing.get_origin(target)
    arguments = typing.get_args(target)
    if origin is None or not arguments:
        return target
    converted = tuple(_pydantic_compatible(a, seen) for a in arguments)
    if converted == arguments:
        return target
    try:
        return target.copy_with(converted)
    except AttributeError:
        return origin[converted]


def _check_records(value: Any, schema: Any, dataset: str, strict: bool) -> None:
    if typing.get_origin(schema) is not None:
        target, items, single = schema, value, False
    elif isinstance(value, (list, tuple)) or _frame_library(value) is not None:
        raise _whole_value_mismatch(value, schema, dataset)
    else:  # one record: checked as a list of one (a config= applies to lists only)
        target, items, single = list[schema], [value], True
    adapter = _adapter(target, schema, dataset, strict)
    pydantic = sys.modules["pydantic"]
    try:
        adapter.validate_python(items)
    except pydantic.ValidationError as error:
        if strict and _only_bools_as_numbers(error):
            return
        raise _records_mismatch(error, items, target, schema, dataset, single) from None


def _only_bools_as_numbers(error: Any) -> bool:
    """Strict pydantic refuses ``True`` for an ``int`` or ``float``; mypy (and Python)
    count a bool as an int, and the run follows mypy."""
    return all(
        e.get("type") in ("int_type", "float_type") and isinstance(e.get("input"), bool)
        for e in error.errors(include_url=False)
    )


def _whole_value_mismatch(value: Any, schema: type, dataset: str) -> SchemaMismatch:
    """A list or frame where the schema says one record (the mypy plugin says the same)."""
    name = schema.__name__
    if _frame_library(value) is not None:
        got = f"a {_frame_library(value)} DataFrame"
        instead = f"schema=list[{name}] for a list of rows, or a pandera or Arrow schema"
    else:
        got = f"a {type(value).__name__} of {len(value)}"
        instead = f"schema=list[{name}] for a list of rows"
    return SchemaMismatch(
        dataset,
        name,
        f"the schema is the type of the whole value, one {name}, got {got} (declare {instead})",
    )


def _records_mismatch(
    error: Any, items: Any, target: Any, schema: Any, dataset: str, single: bool
) -> SchemaMismatch:
    errors = error.errors(include_url=False)
    first = errors[0]
    location = tuple(first.get("loc", ()))
    many = isinstance(items, (list, tuple, Mapping)) and typing.get_origin(target) in (
        list,
        tuple,
        dict,
        Sequence,
        Mapping,
    )
    if single:
        location = location[1:]
        many = False
    row = location[0] if many and location else None
    path = location[1:] if many else location
    field = ".".join(str(part) for part in path) or None
    problem = str(first.get("msg", "invalid"))
    if "input" in first and first.get("type") != "missing":
        problem += f" (got {_short(first['input'])})"
    failed = total = None
    if many:
        failed = len({e["loc"][0] for e in errors if e.get("loc")})
        total = len(items)
    return SchemaMismatch(
        dataset,
        schema_label(schema),
        problem,
        field=field,
        row=row,
        failed_rows=failed,
        total_rows=total,
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# -- pandera ------------------------------------------------------------------------


def _check_pandera(value: Any, schema: Any, dataset: str) -> None:
    errors = _require("pandera.errors", "pandera", schema, dataset)
    library = _frame_library(value)
    if library is None:
        raise SchemaMismatch(
            dataset,
            schema_label(schema),
            f"a pandera schema checks pandas or polars DataFrames, got {type(value).__name__}",
        )
    try:
        schema.validate(value)  # the fast path: exactly the bare pandera call
        return
    except (errors.SchemaError, errors.SchemaErrors):
        pass
    try:
        schema.validate(value, lazy=True)
    except errors.SchemaErrors as error:
        raise _pandera_mismatch(error.failure_cases, library, len(value), schema, dataset) from None
    except errors.SchemaError as error:  # pragma: no cover - lazy mode collects them all
        raise SchemaMismatch(dataset, schema_label(schema), str(error)) from None


def _pandera_mismatch(
    cases: Any, library: str, total: int, schema: Any, dataset: str
) -> SchemaMismatch:
    records: list[dict[str, Any]] = (
        cases.to_dicts() if library == "polars" else cases.to_dict("records")
    )
    first = records[0] if records else {}
    rows = {
        r.get("index")
        for r in records
        if r.get("index") is not None and r.get("index") == r.get("index")  # not NaN
    }
    column = first.get("column")
    check = str(first.get("check", "check"))
    case = first.get("failure_case")
    row = first.get("index")
    row = None if row is None or row != row else _plain(row)
    if row is None:
        problem = f"{check} failed ({_short(_plain(case))})"
        return SchemaMismatch(
            dataset,
            schema_label(schema),
            problem,
            field=str(column) if column is not None and column == column else None,
        )
    return SchemaMismatch(
        dataset,
        schema_label(schema),
        f"{check} failed (got {_short(_plain(case))})",
        field=str(column) if column is not None else None,
        row=row,
        failed_rows=len(rows),
        total_rows=total,
    )


def _plain(value: Any) -> Any:
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return item()
        except (TypeError, ValueError):
            return value
    return value


# -- Arrow --------------------------------------------------------------------------


def _check_arrow(value: Any, schema: Any, dataset: str) -> None:
    import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
    import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]

    label = schema_label(schema)
    library = _frame_library(value)
    if isinstance(value, (pa.Table, pa.RecordBatch)):
        table = value
    elif library == "pandas":
        table = pa.Table.from_pandas(value, preserve_index=False)
    elif library == "polars":
        table = value.to_arrow()
    elif isinstance(value, list):
        try:
            table = pa.Table.from_pylist(value, schema=schema)
        except (pa.ArrowException, TypeError, ValueError) as error:
            raise SchemaMismatch(dataset, label, f"records do not convert: {error}") from None
    else:
        raise SchemaMismatch(
            dataset,
            label,
            "an Arrow schema checks tables, frames or lists of records, "
            f"got {type(value).__name__}",
        )
    total = table.num_rows
    for field in schema:
        if field.name not in table.column_names:
            raise SchemaMismatch(
                dataset,
                label,
                f"missing column (columns: {', '.join(table.column_names)})",
                field=field.name,
            )
        column = table.column(field.name)
        if column.type != field.type and _arrow_family(column.type) != _arrow_family(field.type):
            raise SchemaMismatch(
                dataset,
                label,
                f"has type {column.type}, the schema wants {field.type}",
                field=field.name,
            )
        if not field.nullable and column.null_count:
            first = pc.index(column.is_null(), True).as_py()
            raise SchemaMismatch(
                dataset,
                label,
                "is null, the schema says not nullable",
                field=field.name,
                row=first,
                failed_rows=column.null_count,
                total_rows=total,
            )


def _arrow_family(arrow_type: Any) -> str:
    """Offsets sizes apart (polars and pandas write large_string), the same type's name."""
    text = str(arrow_type)
    for large, plain in (
        ("large_string", "string"),
        ("string_view", "string"),
        ("large_binary", "binary"),
        ("binary_view", "binary"),
        ("large_list", "list"),
    ):
        text = text.replace(large, plain)
    return text


# -- a plain class --------------------------------------------------------------------


#: The numeric promotions mypy applies: an ``int`` is accepted where a ``float`` is.
_PROMOTIONS: dict[type, tuple[type, ...]] = {float: (float, int), complex: (complex, float, int)}


def _check_class(value: Any, schema: type, dataset: str) -> None:
    if isinstance(value, _PROMOTIONS.get(schema, schema)):
        return
    hint = ""
    if isinstance(value, (list, tuple)) and schema not in (list, tuple):
        hint = (
            " (the schema is the type of the whole value: "
            f"schema=list[{schema.__name__}] for a list)"
        )
    raise SchemaMismatch(
        dataset, schema.__name__, f"expected {schema.__name__}, got {type(value).__name__}{hint}"
    )


__all__ = [
    "VALIDATE_MODES",
    "SchemaExtraMissing",
    "SchemaMismatch",
    "SchemaWarning",
    "UncheckableSchema",
    "check_dataset",
    "check_given",
    "check_value",
    "schema_kind",
    "schema_label",
]

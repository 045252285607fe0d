"""`Dataset`: a named data artifact, optionally with storage and a schema."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable
from typing import Any, Generic, Literal, Protocol, TypeVar, overload

from glacier.runtime.identity import module_of
from glacier.storage.locations import Storage

T = TypeVar("T")


class FrameSchema(Protocol):
    """A schema object that checks frames at run time (a pandera ``DataFrameSchema``);
    the value it describes is typed ``Any`` (docs/schemas.md)."""

    @property
    def validate(self) -> Callable[..., Any]: ...


_declaration_counter = itertools.count()


class Dataset(Generic[T]):
    """A named data artifact. Two datasets with the same name are the same data.

    Args:
        name: the dataset's identity, e.g. ``"raw_data"``.
        storage: where it lives (``glacier.storage.S3(...)`` ...); a dataset with
            storage can be read by a pipeline that does not produce it.
        schema: the type of its whole value (`list[Row]` for rows), for mypy and the run.
        format: how its value is stored (``"parquet"``, ``"json"``, ``"jsonl"``, ``"text"``,
            ``"bytes"``, ``"pickle"`` or a registered codec's name); ``None`` chooses
            from the value.
        validate: ``"error"``, ``"warn"`` or ``"off"``: what a value that does not match
            the schema does (docs/schemas.md); ``None`` follows ``[tool.glacier] validate``.

    Raises:
        TypeError: if ``name`` is not a string or ``storage`` is not a storage location.
        ValueError: if ``name`` is empty or ``format`` names no registered codec.

    >>> raw = Dataset("raw_data")
    >>> raw.name
    'raw_data'
    """

    @overload
    def __init__(
        self: Dataset[Any],
        name: str,
        storage: Storage | None = None,
        *,
        format: str | None = None,
        validate: Literal["error", "warn", "off"] | None = None,
    ) -> None: ...
    @overload
    def __init__(
        self,
        name: str,
        storage: Storage | None = None,
        *,
        schema: type[T],
        format: str | None = None,
        validate: Literal["error", "warn", "off"] | None = None,
    ) -> None: ...
    @overload
    def __init__(
        self,
        name: str,
        storage: Storage | None,
        schema: type[T],
        *,
        format: str | None = None,
        validate: Literal["error", "warn", "off"] | None = None,
    ) -> None: ...
    @overload
    def __init__(
        self: Dataset[Any],
        name: str,
        storage: Storage | None = None,
        *,
        schema: FrameSchema,
        format: str | None = None,
        validate: Literal["error", "warn", "off"] | None = None,
    ) -> None: ...
    @overload
    def __init__(
        self: Dataset[Any],
        name: str,
        storage: Storage | None,
        schema: FrameSchema,
        *,
        format: str | None = None,
        validate: Literal["error", "warn", "off"] | None = None,
    ) -> None: ...

    def __init__(
        self,
        name: str,
        storage: Storage | None = None,
        schema: Any = None,
        *,
        format: str | None = None,
        validate: Literal["error", "warn", "off"] | None = None,
    ) -> None:
        if not isinstance(name, str):
            raise TypeError(f"Dataset name must be a str, got {type(name).__name__} {name!r}")
        if not name.strip():
            raise ValueError("Dataset name must not be empty")
        if storage is not None and not isinstance(storage, Storage):
            raise TypeError(
                f"storage of Dataset {name!r} must be a glacier.storage location "
                f"(S3, GCS, AzureBlob, LocalPath), got {type(storage).__name__}"
            )
        if format is not None:
            from glacier.storage.codecs import codec_names
            from glacier.storage.formats import suggest

            if not isinstance(format, str):
                raise TypeError(
                    f"format of Dataset {name!r} must be a str, got {type(format).__name__}"
                )
            if format not in codec_names():
                raise ValueError(
                    f"unknown format {format!r} for Dataset {name!r}"
                    f"{suggest(format, codec_names())}; "
                    f"known formats: {', '.join(codec_names())}"
                )
        if validate is not None and validate not in ("error", "warn", "off"):
            raise ValueError(
                f"validate of Dataset {name!r} must be 'error', 'warn' or 'off', got {validate!r}"
            )
        self.name = name
        self.storage = storage
        #: How a schema mismatch is handled; ``None``: ``[tool.glacier] validate`` (default error).
        self.validate = validate
        #: The codec's name, or ``None`` to choose from the value.
        self.format = format
        self.schema = schema
        #: Declaration order, so "the later declaration" of a duplicate name is known.
        self.sequence = next(_declaration_counter)
        caller = sys._getframe(1)
        #: Where it was declared, for pictures and messages.
        module = caller.f_globals.get("__name__")
        self.module: str | None = (
            module_of(module, caller.f_code.co_filename) if module is not None else None
        )
        self.filename: str = caller.f_code.co_filename
        self.line: int = caller.f_lineno

    @property
    def schema_name(self) -> str | None:
        """The schema's name, as shown in JSON and hovers."""
        if self.schema is None:
            return None
        return getattr(self.schema, "__name__", None) or repr(self.schema)

    def __repr__(self) -> str:
        return f"Dataset({self.name!r})"

"""Where a dataset lives: immutable storage locations with a folder ``uri``.

A dataset with storage can be an external input of a pipeline: it is read from there,
so no task needs to produce it. A ``uri`` is always a folder and ends with ``/``, so
``raw/`` never matches ``raw_archive/``.
"""

from __future__ import annotations

import os
import sys
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar


def _folder(prefix: str) -> str:
    """``prefix`` without leading slashes and with exactly one trailing slash (or empty)."""
    stripped = prefix.strip("/")
    return f"{stripped}/" if stripped else ""


@lru_cache(maxsize=256)
def project_root(start: str) -> str:
    """The nearest folder at or above ``start`` holding a ``pyproject.toml``, else ``start``."""
    here = Path(start).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file():
            return str(folder)
    return str(here)


@dataclass(frozen=True)
class Storage(ABC):
    """Base of every storage location."""

    kind: ClassVar[str] = "storage"

    @property
    @abstractmethod
    def uri(self) -> str:
        """The dataset's folder, e.g. ``s3://bucket/prefix/`` (always ends with ``/``)."""

    def _fields(self) -> dict[str, Any]:
        return {}

    def to_dict(self) -> dict[str, Any]:
        """The spec's JSON shape: ``{"kind", <fields>, "uri"}``."""
        return {"kind": self.kind, **self._fields(), "uri": self.uri}


def _require_text(owner: str, **values: str | None) -> None:
    for name, value in values.items():
        if value is not None and not isinstance(value, str):
            raise TypeError(f"`{name}` of `{owner}` must be str, got {type(value).__name__}")
    first = next(iter(values))
    if not (values[first] or "").strip():
        raise ValueError(f"`{first}` of `{owner}` must not be empty")


@dataclass(frozen=True)
class S3(Storage):
    """An Amazon S3 location: ``s3://bucket/prefix/``.

    ``endpoint_url`` points at an S3-compatible service (MinIO, a test server); without
    it the standard ``AWS_ENDPOINT_URL`` environment variable, then AWS itself, is used.
    """

    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None
    kind: ClassVar[str] = "s3"

    def __post_init__(self) -> None:
        _require_text("S3", bucket=self.bucket, prefix=self.prefix, endpoint_url=self.endpoint_url)

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket.strip('/')}/{_folder(self.prefix)}"

    def _fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {"bucket": self.bucket, "prefix": self.prefix}
        if self.endpoint_url is not None:
            fields["endpoint_url"] = self.endpoint_url
        return fields


@dataclass(frozen=True)
class GCS(Storage):
    """A Google Cloud Storage location: ``gs://bucket/prefix/``."""

    bucket: str
    prefix: str = ""
    kind: ClassVar[str] = "gcs"

    def __post_init__(self) -> None:
        _require_text("GCS", bucket=self.bucket, prefix=self.prefix)

    @property
    def uri(self) -> str:
        return f"gs://{self.bucket.strip('/')}/{_folder(self.prefix)}"

    def _fields(self) -> dict[str, Any]:
        return {"bucket": self.bucket, "prefix": self.prefix}


@dataclass(frozen=True)
class AzureBlob(Storage):
    """An Azure Blob Storage location: ``az://container/prefix/``.

    The account comes from the standard ``AZURE_STORAGE_*`` environment variables.
    """

    container: str
    prefix: str = ""
    kind: ClassVar[str] = "azure_blob"

    def __post_init__(self) -> None:
        _require_text("AzureBlob", container=self.container, prefix=self.prefix)

    @property
    def uri(self) -> str:
        return f"az://{self.container.strip('/')}/{_folder(self.prefix)}"

    def _fields(self) -> dict[str, Any]:
        return {"container": self.container, "prefix": self.prefix}


def _caller_root() -> str:
    """The project root of the file that declared a location (two frames up)."""
    frame = sys._getframe(3)
    filename = frame.f_code.co_filename
    if os.path.isfile(filename):
        return project_root(os.path.dirname(os.path.abspath(filename)))
    return project_root(os.getcwd())


@dataclass(frozen=True)
class LocalPath(Storage):
    """A folder on the local file system: ``file:///absolute/path/``.

    A relative ``path`` is resolved against the project root (the nearest folder with a
    ``pyproject.toml`` above the file that declares it), never the working directory.
    ``root`` overrides that folder (the static analyzer passes the analysed project's).
    """

    path: str
    root: str | None = field(default=None, repr=False)
    kind: ClassVar[str] = "local"

    def __post_init__(self) -> None:
        _require_text("LocalPath", path=self.path, root=self.root)
        if self.root is None and not os.path.isabs(os.path.expanduser(self.path)):
            object.__setattr__(self, "root", _caller_root())

    @property
    def folder(self) -> str:
        """The absolute folder, without a trailing separator."""
        path = os.path.expanduser(self.path)
        if not os.path.isabs(path):
            path = os.path.join(self.root or project_root(os.getcwd()), path)
        return os.path.normpath(path).replace(os.sep, "/")

    @property
    def uri(self) -> str:
        folder = self.folder.rstrip("/")
        if not folder.startswith("/"):  # Windows drive letters: file:///C:/...
            folder = "/" + folder
        return f"file://{folder}/"

    def _fields(self) -> dict[str, Any]:
        return {"path": self.path}


#: Storage classes by the name a user writes (``S3(...)``); the analyzer uses this table.
STORAGE_CLASSES: dict[str, type[Storage]] = {
    cls.__name__: cls for cls in (S3, GCS, AzureBlob, LocalPath)
}


def declared_location(
    class_name: str, args: Sequence[Any], kwargs: Mapping[str, Any], source: str
) -> Storage:
    """The location ``class_name(*args, **kwargs)`` written in the file ``source``.

    A relative `LocalPath` resolves against that file's project root, as at run time; the
    static analyzer and the mypy plugin both resolve locations through this function.

    Raises:
        TypeError, ValueError: as the storage class does for bad arguments.
    """
    cls = STORAGE_CLASSES[class_name]
    if cls is LocalPath and "root" not in kwargs and len(args) < 2:
        kwargs = {**kwargs, "root": project_root(os.path.dirname(os.path.abspath(source)))}
    return cls(*args, **kwargs)


def overlaps(first: str, second: str) -> bool:
    """Whether two folder URIs are the same or one lies inside the other."""
    return first.startswith(second) or second.startswith(first)

"""Where a dataset lives: immutable storage locations with a ``uri``.

A dataset with storage can be an external input of a pipeline: it is read from there,
so no task needs to produce it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from typing import Any


def _join(prefix: str) -> str:
    return prefix.lstrip("/")


@dataclass(frozen=True)
class Storage(ABC):
    """Base of every storage location."""

    kind = "storage"

    @property
    @abstractmethod
    def uri(self) -> str:
        """Where the data lives, e.g. ``s3://bucket/prefix``."""

    def to_dict(self) -> dict[str, Any]:
        """The spec's JSON shape: ``{"kind", <fields>, "uri"}``."""
        return {"kind": self.kind, **asdict(self), "uri": self.uri}


def _require_text(owner: str, **values: str) -> None:
    for name, value in values.items():
        if not isinstance(value, str):
            raise TypeError(f"`{name}` of `{owner}` must be str, got {type(value).__name__}")
    first = next(iter(values))
    if not values[first].strip():
        raise ValueError(f"`{first}` of `{owner}` must not be empty")


@dataclass(frozen=True)
class S3(Storage):
    """An Amazon S3 location: ``s3://bucket/prefix``."""

    bucket: str
    prefix: str = ""
    kind = "s3"

    def __post_init__(self) -> None:
        _require_text("S3", bucket=self.bucket, prefix=self.prefix)

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{_join(self.prefix)}"


@dataclass(frozen=True)
class GCS(Storage):
    """A Google Cloud Storage location: ``gs://bucket/prefix``."""

    bucket: str
    prefix: str = ""
    kind = "gcs"

    def __post_init__(self) -> None:
        _require_text("GCS", bucket=self.bucket, prefix=self.prefix)

    @property
    def uri(self) -> str:
        return f"gs://{self.bucket}/{_join(self.prefix)}"


@dataclass(frozen=True)
class AzureBlob(Storage):
    """An Azure Blob Storage location: ``az://container/prefix``."""

    container: str
    prefix: str = ""
    kind = "azure_blob"

    def __post_init__(self) -> None:
        _require_text("AzureBlob", container=self.container, prefix=self.prefix)

    @property
    def uri(self) -> str:
        return f"az://{self.container}/{_join(self.prefix)}"


@dataclass(frozen=True)
class LocalPath(Storage):
    """A path on the local file system: ``file://path``."""

    path: str
    kind = "local"

    def __post_init__(self) -> None:
        _require_text("LocalPath", path=self.path)

    @property
    def uri(self) -> str:
        return f"file://{self.path}"


#: Storage classes by the name a user writes (``S3(...)``); the analyzer uses this table.
STORAGE_CLASSES: dict[str, type[Storage]] = {
    cls.__name__: cls for cls in (S3, GCS, AzureBlob, LocalPath)
}

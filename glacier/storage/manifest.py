"""`Manifest`: what a committed dataset version holds, stored next to its files."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: The manifest's own format version, so readers can refuse what they do not know.
MANIFEST_VERSION = 1


@dataclass(frozen=True)
class Manifest:
    """One committed version of a dataset.

    ``files`` maps each data file (relative to the version folder) to its size in bytes;
    ``content_hash`` is ``blake3:<hex>`` over the files in order (``sha256:`` in versions
    written by earlier builds), the version's identity; ``size`` their total. ``checksums``
    maps each file to ``xxh3-128:<hex>``, which every read verifies (a fast checksum for
    damage, as object stores use CRCs; versions without it are verified by ``content_hash``).
    """

    version: str
    format: str
    python_type: str
    content_hash: str
    size: int
    files: Mapping[str, int] = field(default_factory=dict)
    cache_key: str | None = None
    run_id: str | None = None
    task_id: str | None = None
    glacier_version: str = ""
    created: str = ""
    checksums: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape written to ``manifest.json``."""
        return {
            "manifest_version": MANIFEST_VERSION,
            "version": self.version,
            "format": self.format,
            "python_type": self.python_type,
            "content_hash": self.content_hash,
            "size": self.size,
            "files": dict(self.files),
            "cache_key": self.cache_key,
            "run_id": self.run_id,
            "task_id": self.task_id,
            "glacier_version": self.glacier_version,
            "created": self.created,
            "checksums": dict(self.checksums),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Manifest:
        """The inverse of `to_dict`.

        Raises:
            ValueError: if a required field is missing or has the wrong type.
        """
        try:
            files = data["files"]
            if not isinstance(files, Mapping) or not all(
                isinstance(k, str) and isinstance(v, int) for k, v in files.items()
            ):
                raise ValueError("`files` must map file names to sizes")
            manifest = cls(
                version=str(data["version"]),
                format=str(data["format"]),
                python_type=str(data["python_type"]),
                content_hash=str(data["content_hash"]),
                size=int(data["size"]),
                files=dict(files),
                cache_key=_optional(data.get("cache_key")),
                run_id=_optional(data.get("run_id")),
                task_id=_optional(data.get("task_id")),
                glacier_version=str(data.get("glacier_version", "")),
                created=str(data.get("created", "")),
                checksums={str(k): str(v) for k, v in dict(data.get("checksums") or {}).items()},
            )
        except KeyError as missing:
            raise ValueError(f"the manifest has no {missing}") from None
        except (TypeError, AttributeError) as error:
            raise ValueError(f"the manifest is malformed ({error})") from None
        if int(data.get("manifest_version", 1)) > MANIFEST_VERSION:
            raise ValueError("the manifest was written by a newer Glacier; upgrade Glacier")
        return manifest


def _optional(value: Any) -> str | None:
    return None if value is None else str(value)

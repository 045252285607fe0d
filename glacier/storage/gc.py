"""Removing old dataset versions (``glacier gc``); a run never removes anything.

Retention: the current version (the one the pointer names) is never removed; of the
others, the ``keep`` newest are kept, and so is every version younger than
``min_age`` (a writer may still be filling it, or a reader still reading it). Version
folders without a manifest that are older than ``min_age`` are the leftovers of
crashed writers and are removed too.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from glacier.storage.api import MANIFEST, POINTER, VERSION_PREFIX, _guard, _read_pointer
from glacier.storage.filesystems import open_store
from glacier.storage.locations import Storage

#: Older versions kept besides the current one, by default.
DEFAULT_KEEP = 2
#: Versions younger than this are never removed, by default.
DEFAULT_MIN_AGE = datetime.timedelta(hours=24)


@dataclass
class Collection:
    """What `collect_garbage` found in one dataset folder."""

    dataset: str
    uri: str
    current: str | None
    kept: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "uri": self.uri,
            "current": self.current,
            "kept": self.kept,
            "removed": self.removed,
        }


def version_time(version: str) -> datetime.datetime | None:
    """When a version folder was created, from its name."""
    stamp = version[len(VERSION_PREFIX) :].partition("-")[0]
    try:
        parsed = datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%S%fZ")
    except ValueError:
        return None
    return parsed.replace(tzinfo=datetime.timezone.utc)


def collect_garbage(
    dataset: str,
    uri: str,
    *,
    storage: Storage | None = None,
    keep: int = DEFAULT_KEEP,
    min_age: datetime.timedelta = DEFAULT_MIN_AGE,
    dry_run: bool = False,
    now: datetime.datetime | None = None,
) -> Collection:
    """Remove the versions of the dataset at ``uri`` that the retention does not keep.

    Raises:
        StorageError: naming the dataset and URI when the store cannot be read.
    """
    moment = now or datetime.datetime.now(datetime.timezone.utc)
    with _guard(dataset, uri, "collecting old versions"):
        store, folder = open_store(uri, storage)
        manifest = _read_pointer(store, folder, dataset, uri)
        current = manifest.version if manifest else None
        found = Collection(dataset, uri, current)
        versions = sorted(
            (name for name in store.subfolders(folder) if name.startswith(VERSION_PREFIX)),
            reverse=True,
        )
        older_committed = 0
        for version in versions:
            created = version_time(version)
            young = created is None or moment - created < min_age
            if version == current or young:
                found.kept.append(version)
                continue
            committed = store.read(f"{folder}{version}/{MANIFEST}") is not None
            if committed and older_committed < keep:
                older_committed += 1
                found.kept.append(version)
                continue
            found.removed.append(version)
        if current is None and not versions:
            return found
        # Re-read the pointer: a commit that landed meanwhile makes its version current.
        latest = _read_pointer(store, folder, dataset, uri)
        if latest is not None and latest.version in found.removed:
            found.removed.remove(latest.version)
            found.kept.append(latest.version)
        if not dry_run:
            for version in found.removed:
                store.remove_folder(f"{folder}{version}")
    return found


__all__ = ["DEFAULT_KEEP", "DEFAULT_MIN_AGE", "POINTER", "Collection", "collect_garbage"]

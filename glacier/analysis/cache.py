"""The on-disk cache of per-file facts: ``.glacier_cache/`` at the project root.

Entries are keyed by a hash of the file's bytes, so they are valid wherever the file
lives; the directory name carries the analyzer version. Writes go to a temporary file
that is renamed into place, so overlapping runs never see half an entry.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path

from glacier import __version__
from glacier.analysis.facts import FileFacts

#: Bump when extraction changes what it records.
ANALYZER_VERSION = 4
CACHE_DIR = ".glacier_cache"


def content_key(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class FactsCache:
    """Per-file facts by content hash; a disabled cache stores nothing."""

    def __init__(self, root: Path, *, enabled: bool = True) -> None:
        tag = f"{__version__}-{ANALYZER_VERSION}-py{sys.version_info[0]}{sys.version_info[1]}"
        self.base = root / CACHE_DIR
        self.directory = self.base / tag
        self.enabled = enabled
        self.hits = 0
        self.misses = 0

    def _path(self, key: str, kind: str) -> Path:
        return self.directory / key[:2] / f"{key}.{kind}"

    def get(self, key: str, kind: str) -> FileFacts | None:
        if not self.enabled:
            return None
        try:
            with self._path(key, kind).open("rb") as handle:
                facts = pickle.load(handle)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError):
            self.misses += 1
            return None
        if not isinstance(facts, FileFacts):
            self.misses += 1
            return None
        self.hits += 1
        return facts

    def get_result(self, key: str) -> object | None:
        """The whole previous result, if it was computed from exactly the same inputs."""
        if not self.enabled:
            return None
        try:
            with (self.directory / "result").open("rb") as handle:
                stored_key, result = pickle.load(handle)
        except (
            OSError,
            EOFError,
            pickle.UnpicklingError,
            AttributeError,
            ImportError,
            TypeError,
            ValueError,
        ):
            return None
        return result if stored_key == key else None

    def put_result(self, key: str, result: object) -> None:
        if self.enabled:
            self._write(self.directory / "result", (key, result))

    def put(self, key: str, kind: str, facts: FileFacts) -> None:
        if self.enabled:
            self._write(self._path(key, kind), facts)

    def _write(self, target: Path, value: object) -> None:
        try:
            if not self.base.exists():
                self.base.mkdir(parents=True, exist_ok=True)
                (self.base / ".gitignore").write_text("# Created by glacier\n*\n")
                (self.base / "CACHEDIR.TAG").write_text(
                    "Signature: 8a477f597d28d172789f06886806bc55\n# glacier cache\n"
                )
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            try:
                with os.fdopen(handle, "wb") as stream:
                    pickle.dump(value, stream, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(temporary, target)
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError:
            pass  # a read-only or full disk only costs speed

"""`StorageError`: one clear message naming the dataset and its URI, never a secret."""

from __future__ import annotations

import re

from glacier.runtime.errors import GlacierError

# Query strings and user:password@ parts can carry SAS tokens or keys: never show them.
_SECRETS = re.compile(
    r"(?i)(\?[^\s'\"]*)|(//[^/\s'\"@]+@)|((?:sig|key|secret|token|password)=[^&\s'\"]+)"
)


def redact(text: str) -> str:
    """``text`` without URL query strings, credentials in URLs or ``key=value`` secrets."""
    return _SECRETS.sub(
        lambda m: "//***@" if m.group(2) else ("?***" if m.group(1) else "***"), text
    )


class StorageError(GlacierError):
    """Reading or writing a dataset failed; ``dataset`` and ``uri`` say which one."""

    def __init__(self, message: str, *, dataset: str | None = None, uri: str | None = None) -> None:
        #: The message without the dataset and URI.
        self.reason = redact(message)
        self.dataset = dataset
        self.uri = redact(uri) if uri is not None else None
        where = []
        if dataset is not None:
            where.append(f"dataset `{dataset}`")
        if self.uri is not None:
            where.append(f"at {self.uri}")
        prefix = " ".join(where)
        super().__init__(redact(f"{prefix}: {message}" if prefix else message))


class CommitConflict(StorageError):
    """Another writer committed the dataset between this commit's start and its pointer swap.

    Nothing committed is lost: the other writer's version stays current, and this
    commit's version folder is left uncommitted for ``glacier gc``.
    """

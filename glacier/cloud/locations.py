"""Where a dataset without storage lives in the cloud: one folder per dataset and execution.

The compile target (IAM prefixes) and the cloud entry point (reads and writes) both use
these functions, so a policy's prefix and the keys a task touches cannot drift apart.
"""

from __future__ import annotations

import hashlib
import re

#: The folder of the deployment bucket that holds datasets without storage (they expire).
INTERMEDIATE_PREFIX = "intermediate/"

_SAFE = re.compile(r"[A-Za-z0-9._-]+")


def short_hash(text: str, length: int = 8) -> str:
    """A stable hexadecimal digest of ``text``."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def dataset_folder(name: str) -> str:
    """The folder name of a dataset: its name when it is a safe key, else a slug and a hash.

    >>> dataset_folder("raw_users")
    'raw_users'
    >>> dataset_folder("raw users/2024")
    'raw-users-2024-cac78408'
    """
    if _SAFE.fullmatch(name) and name not in (".", ".."):
        return name
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "dataset"
    return f"{slug}-{short_hash(name)}"


def intermediate_prefix(name: str) -> str:
    """The key prefix (ending in ``/``) that holds every execution's copy of a dataset."""
    return f"{INTERMEDIATE_PREFIX}{dataset_folder(name)}/"


def intermediate_location(base_uri: str, name: str, run_id: str) -> str:
    """The folder URI of a dataset without storage in one execution.

    ``base_uri`` is the deployment bucket's URI, e.g. ``s3://glacier-analytics-x/``.
    """
    base = base_uri if base_uri.endswith("/") else base_uri + "/"
    return f"{base}{intermediate_prefix(name)}{dataset_folder(run_id)}/"

"""Names AWS accepts: slugs, Terraform labels, and lengths shortened with a hash."""

from __future__ import annotations

import re
from collections.abc import Iterable

from glacier.cloud.locations import short_hash

#: AWS name limits (characters).
STATE_NAME_LIMIT = 80
STATE_MACHINE_NAME_LIMIT = 80
LAMBDA_NAME_LIMIT = 64
IAM_ROLE_NAME_LIMIT = 64
BUCKET_PREFIX_LIMIT = 37
ECS_FAMILY_LIMIT = 255


def shorten(name: str, limit: int, separator: str = "-") -> str:
    """``name`` if it fits ``limit``, else its start, ``separator`` and a hash of all of it.

    >>> shorten("glacier-analytics-extract_users", 64)
    'glacier-analytics-extract_users'
    >>> len(shorten("x" * 100, 64))
    64
    """
    if len(name) <= limit:
        return name
    digest = short_hash(name)
    return f"{name[: limit - len(digest) - len(separator)]}{separator}{digest}"


def slug(text: str) -> str:
    """Lower-case letters, digits and single hyphens.

    >>> slug("Analytics Pipeline_2")
    'analytics-pipeline-2'
    """
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def label(text: str) -> str:
    """A Terraform block label: letters, digits and underscores, starting with a letter."""
    cleaned = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_") or "x"
    return cleaned if cleaned[0].isalpha() else f"x_{cleaned}"


def unique_labels(keys: Iterable[tuple[str, str]]) -> dict[str, str]:
    """``(identity, readable)`` pairs -> a label per identity, hashed where names repeat."""
    pairs = list(keys)
    counts: dict[str, int] = {}
    for _, readable in pairs:
        counts[label(readable)] = counts.get(label(readable), 0) + 1
    labels: dict[str, str] = {}
    for identity, readable in pairs:
        base = label(readable)
        labels[identity] = base if counts[base] == 1 else f"{base}_{short_hash(identity)}"
    return labels

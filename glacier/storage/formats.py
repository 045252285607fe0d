"""The storage formats Glacier provides (a leaf: the static checks import it cheaply)."""

from __future__ import annotations

import difflib

#: Formats of the built-in codecs, in the order they are documented.
BUILTIN_FORMATS: tuple[str, ...] = ("parquet", "json", "jsonl", "text", "bytes", "pickle")


def suggest(format: str, known: tuple[str, ...] = BUILTIN_FORMATS) -> str:
    """`` (did you mean 'json'?)`` for a near miss, else an empty string."""
    matches = difflib.get_close_matches(format.lower(), known, n=1, cutoff=0.6)
    return f" (did you mean {matches[0]!r}?)" if matches else ""

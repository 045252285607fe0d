"""A small deterministic YAML writer for Kubernetes manifests (no PyYAML at run time).

It writes block style in the key order it is given; a string is written plain only when
YAML cannot read it as anything but that string, else double-quoted (JSON escaping, which
YAML reads the same way). Equal input gives byte-identical text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

_PLAIN = re.compile(r"[A-Za-z_/][A-Za-z0-9_./-]*")
_NOT_PRINTABLE = re.compile("[\x7f-\x9f\ufeff\ufffe\uffff]")
# YAML 1.1 reads these words as booleans or null; Kubernetes' parser is YAML 1.1-ish.
_SPECIAL = frozenset(
    word
    for base in ("true", "false", "yes", "no", "on", "off", "null", "y", "n")
    for word in (base, base.capitalize(), base.upper())
)


def dump_documents(documents: Sequence[Mapping[str, Any]]) -> str:
    """Several documents, each starting with ``---``."""
    return "".join(f"---\n{dump(document)}" for document in documents)


def dump(value: Mapping[str, Any]) -> str:
    """One mapping as a YAML document (without the ``---`` line)."""
    lines: list[str] = []
    _mapping(value, 0, lines)
    return "\n".join(lines) + "\n"


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return json.dumps(value)
    if isinstance(value, str):
        if _PLAIN.fullmatch(value) and value not in _SPECIAL:
            return value
        # JSON escapes the C0 controls; YAML also refuses DEL, C1 controls and U+FFFE/F.
        return _NOT_PRINTABLE.sub(_escape, json.dumps(value, ensure_ascii=False))
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def _is_empty_collection(value: Any) -> bool:
    return isinstance(value, (Mapping, list, tuple)) and not value


def _inline_empty(value: Any) -> str:
    return "{}" if isinstance(value, Mapping) else "[]"


def _mapping(value: Mapping[str, Any], indent: int, lines: list[str]) -> None:
    pad = " " * indent
    for key, item in value.items():
        head = f"{pad}{_scalar(str(key))}:"
        if _is_empty_collection(item):
            lines.append(f"{head} {_inline_empty(item)}")
        elif isinstance(item, Mapping):
            lines.append(head)
            _mapping(item, indent + 2, lines)
        elif isinstance(item, (list, tuple)):
            lines.append(head)
            _sequence(item, indent, lines)
        else:
            lines.append(f"{head} {_scalar(item)}")


def _sequence(value: Sequence[Any], indent: int, lines: list[str]) -> None:
    pad = " " * indent
    for item in value:
        if _is_empty_collection(item):
            lines.append(f"{pad}- {_inline_empty(item)}")
        elif isinstance(item, Mapping):
            nested: list[str] = []
            _mapping(item, indent + 2, nested)
            nested[0] = f"{pad}- {nested[0][indent + 2 :]}"
            lines.extend(nested)
        elif isinstance(item, (list, tuple)):
            nested = []
            _sequence(item, indent + 2, nested)
            nested[0] = f"{pad}- {nested[0][indent + 2 :]}"
            lines.extend(nested)
        else:
            lines.append(f"{pad}- {_scalar(item)}")

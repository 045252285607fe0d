"""Task ids for code run as a script: the module name the static analyzer gives the file.

A task's id is its module-qualified name. A file run with ``python flow.py`` is the module
``__main__``; its tasks get the module name the analyzer derives from the file's path
(``src`` roots from ``[tool.glacier]``, else the ``__init__.py`` files above it, as mypy
does), so runtime ids and static ids agree.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

MAIN = "__main__"


def normalize(path: str) -> str:
    return os.path.normpath(os.path.abspath(path))


@lru_cache(maxsize=64)
def script_module_name(filename: str) -> str:
    """The analyzer's module name for ``filename`` (``tests.analysis.helpers`` style)."""
    from glacier.config import ConfigError, load_settings

    path = normalize(filename)
    try:
        src = load_settings(Path(path)).src
    except (ConfigError, OSError):
        src = ()
    directory, name = os.path.split(path)
    stem = name[:-3] if name.endswith(".py") else name
    is_package = stem == "__init__"
    for root in sorted((normalize(str(s)) for s in src), key=len, reverse=True):
        if path.startswith(root + os.sep):
            relative = Path(path[len(root) + 1 :]).with_suffix("").parts
            if is_package:
                relative = relative[:-1]
            if relative:
                return ".".join(relative)
    parts: list[str] = [] if is_package else [stem]
    while os.path.isfile(os.path.join(directory, "__init__.py")):
        directory, part = os.path.split(directory)
        parts.insert(0, part)
        if not part:
            break
    return ".".join(parts) or stem


def module_of(module: str, filename: str | None) -> str:
    """``module``, or for ``__main__`` the module name of its file."""
    if module != MAIN or not filename or not os.path.isfile(filename):
        return module
    return script_module_name(filename)

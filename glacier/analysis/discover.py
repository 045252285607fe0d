"""Which files to analyse and which module each one is, as mypy would name it."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

from glacier.analysis.result import normalize
from glacier.config import Settings

#: Directories never searched (virtual environments are also recognised by ``pyvenv.cfg``).
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".bzr",
        ".venv",
        "venv",
        ".env",
        "env",
        "node_modules",
        "build",
        "dist",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".glacier_cache",
        ".glacier",  # the run engine's records and cache: never read by the static tools
        ".eggs",
        "__pypackages__",
        "site-packages",
        ".direnv",
        ".ipynb_checkpoints",
        "_build",
        "buck-out",
    }
)


class PathError(ValueError):
    """A path given on the command line does not exist or cannot be searched."""


def _matches(relative: str, name: str, patterns: Sequence[str]) -> bool:
    return any(
        fnmatch(relative, p) or fnmatch(name, p) or fnmatch(relative, p.rstrip("/") + "/*")
        for p in patterns
    )


def _relative(path: str, root: Path) -> str:
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return Path(path).as_posix()


def discover(paths: Sequence[str | Path], settings: Settings) -> tuple[list[str], list[str]]:
    """The Python files under ``paths`` (absolute, sorted) and messages about bad paths."""
    found: dict[str, None] = {}
    problems: list[str] = []
    for given in paths:
        path = normalize(given)
        if os.path.isfile(path):
            found[path] = None  # named explicitly: always analysed
        elif os.path.isdir(path):
            for file in _walk(path, settings):
                found[file] = None
        elif os.path.islink(path):
            problems.append(f"{given}: broken symbolic link or symlink loop")
        else:
            problems.append(f"{given}: no such file or directory")
    return sorted(found), problems


def discoverable(path: str, settings: Settings) -> bool:
    """Whether searching the project root would find ``path`` (cheap: no directory walk)."""
    if not path.endswith(".py"):
        return False
    root = settings.root
    relative = _relative(path, root)
    parts = relative.split("/")
    if relative.startswith("../") or any(
        part in SKIP_DIRS or part.endswith(".egg-info") for part in parts[:-1]
    ):
        return False
    directory = os.path.dirname(path)
    while len(directory) > len(str(root)):
        if os.path.exists(os.path.join(directory, "pyvenv.cfg")):
            return False
        directory = os.path.dirname(directory)
    name = parts[-1]
    if settings.include and not _matches(relative, name, settings.include):
        return False
    folders = ["/".join(parts[:i]) for i in range(1, len(parts))]
    return not (
        settings.exclude
        and any(_matches(f, f.rpartition("/")[2], settings.exclude) for f in [*folders, relative])
    )


def _walk(top: str, settings: Settings) -> Iterator[str]:
    root = settings.root
    seen: set[tuple[int, int]] = set()
    for directory, dirnames, filenames in os.walk(top, followlinks=True):
        try:
            stat = os.stat(directory)
        except OSError:
            dirnames[:] = []
            continue
        identity = (stat.st_dev, stat.st_ino)
        if identity in seen:  # a symlink loop, or the same tree twice
            dirnames[:] = []
            continue
        seen.add(identity)
        kept = []
        for name in sorted(dirnames):
            full = os.path.join(directory, name)
            if name in SKIP_DIRS or name.endswith(".egg-info"):
                continue
            if os.path.exists(os.path.join(full, "pyvenv.cfg")):
                continue
            if settings.exclude and _matches(_relative(full, root), name, settings.exclude):
                continue
            kept.append(name)
        dirnames[:] = kept
        for name in filenames:
            if not name.endswith(".py"):
                continue
            full = os.path.join(directory, name)
            relative = _relative(full, root)
            if settings.include and not _matches(relative, name, settings.include):
                continue
            if settings.exclude and _matches(relative, name, settings.exclude):
                continue
            yield normalize(full)


@dataclass(frozen=True)
class ModuleName:
    name: str
    is_package: bool


class ModuleNamer:
    """Module names from ``src`` roots, else from ``__init__.py`` files (as mypy does)."""

    def __init__(self, src: Sequence[Path]) -> None:
        self.src = sorted((normalize(s) for s in src), key=len, reverse=True)
        self._init: dict[str, bool] = {}

    def _has_init(self, directory: str) -> bool:
        known = self._init.get(directory)
        if known is None:
            known = os.path.isfile(os.path.join(directory, "__init__.py"))
            self._init[directory] = known
        return known

    def __call__(self, path: str) -> ModuleName:
        directory, filename = os.path.split(path)
        stem = filename[:-3] if filename.endswith(".py") else filename
        is_package = stem == "__init__"
        for root in self.src:
            if path.startswith(root + os.sep):
                relative = Path(path[len(root) + 1 :]).with_suffix("").parts
                if is_package:
                    relative = relative[:-1]
                if relative:
                    return ModuleName(".".join(relative), is_package)
        parts: list[str] = [] if is_package else [stem]
        while self._has_init(directory):
            directory, name = os.path.split(directory)
            parts.insert(0, name)
            if not name:
                break
        return ModuleName(".".join(parts) or stem, is_package)


def package_top(path: str | Path) -> Path:
    """The directory above the outermost package holding ``path`` (``path``'s own folder if none).

    That directory is where Python would have to start for the file's module name to be
    the one derived from its ``__init__.py`` files.
    """
    directory = Path(normalize(path))
    if not directory.is_dir():
        directory = directory.parent
    while (directory / "__init__.py").is_file() and directory.parent != directory:
        directory = directory.parent
    return directory


def find_project_root(paths: Sequence[str | Path], settings: Settings) -> Path:
    """The root of the project that ``paths`` belong to.

    The folder of the ``pyproject.toml`` the settings came from (or of ``--config``); without
    one, the folder above the outermost package holding the first path, so that imports
    between its modules resolve as they would when run from there.
    """
    if settings.config_file is not None:
        return settings.root
    return package_top(paths[0]) if paths else settings.root

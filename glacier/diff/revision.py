"""One side of a diff: a git revision (read from git objects) or the working tree, analysed.

A revision is never checked out: its Python files and ``pyproject.toml`` files are read with
``git ls-tree`` and ``git cat-file --batch`` into a temporary folder, which the static
analyzer reads like any other folder. The repository's working tree and index are untouched.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from glacier.config import Settings, load_settings
from glacier.diagnostics import Diagnostic
from glacier.model import Project

#: The label of the working tree as the head of a diff.
WORKING_TREE = "working tree"
#: Files a revision needs for analysis: source and configuration.
_WANTED_SUFFIXES = (".py", ".pyi")
_WANTED_NAMES = ("pyproject.toml",)
#: git modes of regular files (symbolic links and submodules are not source).
_FILE_MODES = ("100644", "100755")


class RevisionError(ValueError):
    """A revision cannot be read; the message says which and what to do."""


@dataclass(frozen=True)
class Snapshot:
    """One analysed side of a diff."""

    #: As the user named it: ``main``, ``HEAD~1``, or ``working tree``.
    label: str
    #: The full commit id, or ``None`` for the working tree.
    commit: str | None
    #: The folder that stands for the repository's top level; paths are shown relative to it.
    root: Path
    project: Project
    diagnostics: tuple[Diagnostic, ...]
    #: Files the analyzer could not read at all, as messages.
    failures: tuple[str, ...] = ()


def git(repository: Path, *arguments: str, data: bytes | None = None) -> bytes:
    """Run git in ``repository`` and return its standard output.

    Raises:
        RevisionError: with git's own message when it fails or is not installed.
    """
    try:
        completed = subprocess.run(
            ["git", "-C", str(repository), *arguments],
            input=data,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise RevisionError("git is not installed or not on PATH") from None
    if completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RevisionError(message[-1] if message else f"git {arguments[0]} failed")
    return completed.stdout


def repository_top(directory: Path) -> Path:
    """The top-level folder of the git work tree containing ``directory``.

    Raises:
        RevisionError: if ``directory`` is not inside a git work tree.
    """
    try:
        out = git(directory, "rev-parse", "--show-toplevel")
    except RevisionError:
        raise RevisionError(
            f"{directory} is not inside a git repository; run `glacier diff` in a clone"
        ) from None
    return Path(out.decode("utf-8").strip()).resolve()


def resolve_commit(repository: Path, revision: str) -> str | None:
    """The commit id ``revision`` names, or ``None`` when it names no commit."""
    try:
        out = git(
            repository,
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            f"{revision}^{{commit}}",
        )
    except RevisionError:
        return None
    return out.decode("ascii").strip() or None


def _wanted(path: str) -> bool:
    name = PurePosixPath(path).name
    return name.endswith(_WANTED_SUFFIXES) or name in _WANTED_NAMES


def write_revision(repository: Path, commit: str, destination: Path) -> int:
    """Write the source and configuration files of ``commit`` below ``destination``.

    Returns:
        How many files were written.
    """
    listing = git(repository, "ls-tree", "-r", "-z", "--full-tree", commit)
    entries: list[tuple[str, str]] = []
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, _, raw_path = record.partition(b"\t")
        mode, kind, blob = meta.decode("ascii").split(" ")
        path = raw_path.decode("utf-8", "surrogateescape")
        if kind == "blob" and mode in _FILE_MODES and _wanted(path):
            entries.append((blob, path))
    if not entries:
        return 0
    request = b"".join(blob.encode("ascii") + b"\n" for blob, _ in entries)
    contents = git(repository, "cat-file", "--batch", data=request)
    position = 0
    for _blob, path in entries:
        header_end = contents.index(b"\n", position)
        size = int(contents[position:header_end].split(b" ")[2])
        start = header_end + 1
        target = destination.joinpath(*PurePosixPath(path).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(contents[start : start + size])
        position = start + size + 1  # the blob is followed by a newline
    return len(entries)


def project_settings(root: Path, paths: Sequence[Path]) -> Settings:
    """The settings for analysing ``paths`` of a snapshot whose top level is ``root``.

    The nearest ``pyproject.toml`` above the first path, as `glacier check` finds it, but
    never one outside the snapshot. Kept in one place so whole-project resolution can
    replace it.
    """
    start = paths[0] if paths else root
    settings = load_settings(start)
    try:
        settings.root.relative_to(root)
    except ValueError:
        return Settings(root=root)
    return settings


def analyze_snapshot(
    label: str,
    commit: str | None,
    root: Path,
    relative_paths: Sequence[PurePosixPath],
    *,
    cache: bool,
) -> Snapshot:
    """Analyse ``relative_paths`` (repository-relative; empty: everything) below ``root``."""
    from glacier.analysis import analyze_paths

    paths = [root.joinpath(*p.parts) for p in relative_paths] or [root]
    existing = [p for p in paths if p.exists()]
    if not existing:
        empty = Project((), (), ())
        return Snapshot(label, commit, root, empty, ())
    settings = project_settings(root, existing)
    # Messages show paths relative to the current directory; inside the snapshot they are
    # the repository-relative paths, whichever side is analysed.
    previous = os.getcwd()
    os.chdir(root)
    try:
        result = analyze_paths(existing, settings, cache=cache)
    finally:
        os.chdir(previous)
    return Snapshot(label, commit, root, result.project, result.diagnostics, result.failures)


@contextmanager
def revision_snapshot(
    repository: Path, revision: str, relative_paths: Sequence[PurePosixPath]
) -> Iterator[Snapshot]:
    """The analysed ``revision`` of ``repository``, or of its working tree for `WORKING_TREE`.

    Raises:
        RevisionError: if ``revision`` names no commit.
    """
    if revision == WORKING_TREE:
        yield analyze_snapshot(WORKING_TREE, None, repository, relative_paths, cache=True)
        return
    commit = resolve_commit(repository, revision)
    if commit is None:
        raise RevisionError(
            f"unknown revision `{revision}`: name a commit, branch or tag "
            "(`git log --oneline` lists commits)"
        )
    with tempfile.TemporaryDirectory(prefix="glacier-diff-") as directory:
        root = Path(directory).resolve()
        write_revision(repository, commit, root)
        yield analyze_snapshot(revision, commit, root, relative_paths, cache=False)

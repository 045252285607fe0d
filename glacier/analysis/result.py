"""The analyzer's public result types."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from glacier.diagnostics import Diagnostic
from glacier.model import Project, Span


@dataclass(frozen=True)
class Reference:
    """A place where source refers to a dataset or a task (navigation, rename).

    An annotation that names a task (the task stands for its output dataset) is a
    reference of kind ``"task"`` with the role ``"input"`` or ``"output"``.
    """

    span: Span
    kind: Literal["dataset", "task"]
    #: Dataset name, or task id.
    target: str
    role: Literal["declaration", "input", "output", "pipeline-element", "variable"]


@dataclass(frozen=True)
class AnalysisResult:
    """Everything one analysis found."""

    project: Project
    #: Sorted by `Diagnostic.sort_key`; settings and suppressions applied.
    diagnostics: tuple[Diagnostic, ...]
    references: tuple[Reference, ...]
    #: Every analysed file (absolute).
    files: tuple[Path, ...]
    #: Files that could not be analysed at all (unreadable, internal error), as messages.
    failures: tuple[str, ...] = ()
    #: File -> the project files it imports (directly), as resolved.
    imports: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: The failures that are Glacier's own errors (a bug): the result is incomplete.
    internal_errors: tuple[str, ...] = ()

    def importers_of(self, paths: Iterable[str | Path]) -> set[str]:
        """``paths`` and every file that imports one of them, directly or not."""
        affected = {normalize(p) for p in paths}
        reverse: dict[str, set[str]] = {}
        for importer, imported in self.imports.items():
            for target in imported:
                reverse.setdefault(target, set()).add(importer)
        todo = list(affected)
        while todo:
            for importer in reverse.get(todo.pop(), ()):
                if importer not in affected:
                    affected.add(importer)
                    todo.append(importer)
        return affected

    def imported_by(self, paths: Iterable[str | Path]) -> set[str]:
        """``paths`` and every file they import, directly or not."""
        reached = {normalize(p) for p in paths}
        todo = list(reached)
        while todo:
            for imported in self.imports.get(todo.pop(), ()):
                if imported not in reached:
                    reached.add(imported)
                    todo.append(imported)
        return reached

    def diagnostics_for(self, path: Path) -> tuple[Diagnostic, ...]:
        """The diagnostics located in ``path``."""
        wanted = normalize(path)
        return tuple(d for d in self.diagnostics if d.span.filename == wanted)


def normalize(path: str | Path) -> str:
    """The absolute, normalised spelling of a path used in spans."""
    return os.path.normpath(os.path.abspath(os.fspath(path)))

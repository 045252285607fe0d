"""Partial input, whole-project answers: the one place that turns command-line paths into a
project and the part of it to report.

Every static command that takes paths (``glacier check``, ``glacier-graph``; later compile,
lineage and diff from source) calls `analyze_scope`: it finds the project root, analyses the
whole project, so that imports into modules that were not named resolve, and keeps which
files were named. Findings and pictures are then reported for those files only, as mypy
does: checking one file gives exactly the findings that checking the project gives there.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from glacier.analysis.discover import discover, find_project_root
from glacier.analysis.engine import analyze_paths
from glacier.analysis.result import AnalysisResult, normalize
from glacier.config import Settings, load_settings
from glacier.diagnostics import Diagnostic
from glacier.model import Project
from glacier.rules import Severity


@dataclass(frozen=True)
class ScopedAnalysis:
    """The whole project's analysis and the files the user named."""

    #: The project root (see `glacier.analysis.discover.find_project_root`).
    root: Path
    #: The settings used, rooted at ``root``.
    settings: Settings
    #: The named files and the Python files under the named folders (absolute, sorted).
    named: tuple[str, ...]
    #: The analysis of every file of the project, plus the named ones.
    result: AnalysisResult

    def diagnostics(self, *, importers: bool = False) -> tuple[Diagnostic, ...]:
        """The diagnostics located in the named files.

        Args:
            importers: also the errors of files that import a named file, directly or
                not (what an edit to the named files can break; the pre-commit hook).
        """
        named = set(self.named)
        if not importers:
            return tuple(d for d in self.result.diagnostics if d.span.filename in named)
        affected = self.result.importers_of(named)
        return tuple(
            d
            for d in self.result.diagnostics
            if d.span.filename in named
            or (d.span.filename in affected and d.severity is Severity.ERROR)
        )

    def failures(self) -> tuple[str, ...]:
        """The analysis failures, except those of files that were not named; Glacier's own
        errors (`internal_errors`) are kept wherever they happened."""
        others = {os.fspath(f) for f in self.result.files} - set(self.named)
        internal = set(self.result.internal_errors)
        return tuple(
            f
            for f in self.result.failures
            if f in internal or f.partition(": ")[0] not in others
        )

    def internal_errors(self) -> tuple[str, ...]:
        """Glacier's own errors (a bug, never the user's code), in any file of the project:
        every named file was resolved against the whole project, so its report is incomplete."""
        return self.result.internal_errors

    def project(self) -> Project:
        """What the named files define, drawn whole.

        The pipelines defined in the named files, with every task they list wherever it is
        defined; the tasks defined in the named files; the datasets those tasks read or
        write and the datasets declared in the named files. Order is the project's.
        """
        named = set(self.named)
        whole = self.result.project

        def here(span: object) -> bool:
            return getattr(span, "filename", None) in named

        pipelines = tuple(p for p in whole.pipelines if here(p.span))
        members = {node.id for p in pipelines for node in p.graph.tasks}
        tasks = tuple(t for t in whole.tasks if t.id in members or here(t.span))
        used = {i.dataset for t in tasks for i in t.inputs} | {
            t.output for t in tasks if t.output is not None
        }
        # A name may be declared by several separate programs of one project: take the
        # declarations these files and the files of their tasks can see through imports.
        visible = self.result.imported_by(
            named | {t.span.filename for t in tasks if t.span is not None}
        )
        datasets = tuple(
            d
            for d in whole.datasets
            if here(d.span) or (d.name in used and getattr(d.span, "filename", None) in visible)
        )
        return Project(datasets, tasks, pipelines)


def analyze_scope(
    paths: Sequence[str | Path],
    settings: Settings | None = None,
    *,
    cache: bool = True,
) -> ScopedAnalysis:
    """Analyse the project that ``paths`` belong to; report for ``paths``.

    Args:
        paths: files and folders as given on the command line (default: the current
            directory). Folders stand for the Python files under them.
        settings: defaults to `load_settings` from the first path; without a
            ``pyproject.toml`` the root becomes the folder above the outermost package.
        cache: use the per-user cache (`glacier.analysis.cache`; never the project's files).

    Raises:
        InternalError: when Glacier itself fails on the project; never an empty result.
    """
    given = [Path(p) for p in paths] or [Path.cwd()]
    if settings is None:
        settings = load_settings(given[0])
    root = find_project_root(given, settings)
    if root != settings.root:
        settings = replace(settings, root=root)
    result = analyze_paths([root, *given], settings, cache=cache)
    analysed = {os.fspath(f) for f in result.files}
    files, _problems = discover(given, settings)
    named = tuple(f for f in files if normalize(f) in analysed)
    return ScopedAnalysis(root, settings, named, result)


__all__ = ["ScopedAnalysis", "analyze_scope"]

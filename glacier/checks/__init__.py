"""The checks: one module per rule, whose docstring is the rule's documentation.

Rules that need the whole project (graph problems, unused datasets, orphan tasks,
duplicate names) are implemented here, over the resolver's result; the others are
found while resolving (`glacier.analysis.resolve`) and documented here. Every finding
reaches users through `report`, the one place that applies suppression comments,
``select``/``ignore`` and severity overrides.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

from glacier.checks import (
    cycle,
    duplicate_dataset_name,
    duplicate_producer,
    missing_producer,
    orphan_task,
    unused_dataset,
)
from glacier.checks._context import PipelineContext
from glacier.checks._finding import Finding
from glacier.diagnostics import Diagnostic
from glacier.model import Span

if TYPE_CHECKING:
    from glacier.analysis.resolve import PipelineState, Resolution, TaskState
    from glacier.config import Settings

__all__ = ["Finding", "PipelineContext", "project_findings", "report"]

#: line -> suppressed codes (``None``: all), per file path.
Suppressions = Mapping[str, Mapping[int, "frozenset[str] | None"]]


def project_findings(resolution: Resolution) -> Iterator[Finding]:
    """Findings that need the whole resolved project."""
    tasks = resolution.tasks
    for pipeline in resolution.pipelines:
        context = PipelineContext(
            label=f"`{pipeline.name or pipeline.variable or 'pipeline'}`",
            span=pipeline.span,
            graph=pipeline.graph,
            names={task_id: tasks[task_id].name for task_id in pipeline.members},
            spans={task_id: tasks[task_id].span for task_id in pipeline.members},
            incomplete=pipeline.incomplete,
        )
        yield from cycle.check(context)
        yield from missing_producer.check(context)
        yield from duplicate_producer.check(context)
    # Modules that never import each other are separate programs: judge each group alone.
    groups = resolution.components
    datasets_of: dict[int, list[tuple[str, Span]]] = {}
    for dataset in resolution.datasets:
        datasets_of.setdefault(groups.get(dataset.module, -1), []).append(
            (dataset.name, dataset.span)
        )
    tasks_of: dict[int, list[TaskState]] = {}
    for task in tasks.values():
        tasks_of.setdefault(groups.get(task.module, -1), []).append(task)
    pipelines_of: dict[int, list[PipelineState]] = {}
    for pipeline in resolution.pipelines:
        pipelines_of.setdefault(groups.get(pipeline.module, -1), []).append(pipeline)
    listed = {task_id for pipeline in resolution.pipelines for task_id in pipeline.members}
    names = [d.name for d in resolution.datasets]
    for group in sorted(set(datasets_of) | set(tasks_of)):
        declarations = datasets_of.get(group, [])
        yield from duplicate_dataset_name.check(declarations)
        members = tasks_of.get(group, [])
        used: set[str] = set()
        for task in members:
            used.update(names[i] for i in task.inputs.values())
            if task.output is not None:
                used.add(names[task.output])
        yield from unused_dataset.check(declarations, used)
        pipelines = pipelines_of.get(group, [])
        complete = bool(pipelines) and not any(p.incomplete for p in pipelines)
        yield from orphan_task.check(
            [(t.id, t.name, t.span) for t in members], listed, has_pipeline=complete
        )


def report(
    findings: Iterable[Finding], settings: Settings, suppressions: Suppressions
) -> tuple[Diagnostic, ...]:
    """Findings -> diagnostics users see: suppressed, selected, re-severitied, sorted."""
    diagnostics: list[Diagnostic] = []
    seen: set[tuple[str, object, str]] = set()
    for finding in findings:
        code = finding.rule.code
        if not settings.enabled(code):
            continue
        by_line = suppressions.get(finding.span.filename, {})
        if finding.span.line in by_line:
            codes = by_line[finding.span.line]
            if codes is None or code in codes or finding.rule.name.upper() in codes:
                continue
        key = (code, finding.span, finding.message)
        if key in seen:
            continue
        seen.add(key)
        diagnostics.append(
            Diagnostic(
                finding.rule,
                finding.message,
                finding.span,
                settings.severity_of(code, finding.rule.severity),
                finding.related,
                finding.hint,
            )
        )
    diagnostics.sort(key=Diagnostic.sort_key)  # tuples: cheap to compare
    return tuple(diagnostics)

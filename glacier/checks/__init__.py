"""The checks: one module per rule, whose docstring is the rule's documentation.

Rules that need the whole project (graph problems, unused datasets, orphan tasks,
duplicate names) are implemented here, over the resolver's result; the others are
found while resolving (`glacier.analysis.resolve`) and documented here. Every finding
reaches users through `report`, the one place that applies suppression comments,
``select``/``ignore`` and severity overrides.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
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
from glacier.checks._unknown import Unknowns, UnknownUses
from glacier.diagnostics import Diagnostic
from glacier.rules import SYNTAX_ERROR

if TYPE_CHECKING:
    from glacier.analysis.resolve import DatasetState, PipelineState, Resolution, TaskState
    from glacier.config import Settings

__all__ = ["Finding", "PipelineContext", "project_findings", "report"]

#: line -> suppressed codes (``None``: all), per file path.
Suppressions = Mapping[str, Mapping[int, "frozenset[str] | None"]]


#: Findings by the identity of the resolved objects they were computed from.
FindingsMemo = dict[tuple[int, ...], tuple[list[object], list[Finding]]]


def project_findings(resolution: Resolution, memo: FindingsMemo | None = None) -> list[Finding]:
    """Findings that need the whole resolved project.

    ``memo`` (the language server's) keeps the findings of each pipeline and each group
    of modules while the resolver hands back the very same objects for them.
    """
    fresh: FindingsMemo = {}
    found: list[Finding] = []

    def cached(inputs: list[object], compute: Callable[[], Iterable[Finding]]) -> None:
        key = tuple(id(item) for item in inputs)
        hit = memo.get(key) if memo is not None else None
        if hit is not None and all(a is b for a, b in zip(hit[0], inputs, strict=True)):
            result = hit[1]
        else:
            result = list(compute())
        fresh[key] = (inputs, result)
        found.extend(result)

    tasks = resolution.tasks
    unknown = Unknowns(resolution)
    for pipeline in resolution.pipelines:
        members = [tasks[task_id] for task_id in pipeline.members]
        produced = unknown.may_produce(pipeline.unknown) if pipeline.unknown else None
        cached(
            [pipeline, *members, produced],
            functools.partial(_pipeline_findings, pipeline, members, produced),
        )
    # Modules that never import each other are separate programs: judge each group alone.
    groups = resolution.components
    datasets_of: dict[int, list[DatasetState]] = {}
    for dataset in resolution.datasets.values():
        datasets_of.setdefault(groups.get(dataset.module, -1), []).append(dataset)
    tasks_of: dict[int, list[TaskState]] = {}
    for task in tasks.values():
        tasks_of.setdefault(groups.get(task.module, -1), []).append(task)
    pipelines_of: dict[int, list[PipelineState]] = {}
    for pipeline in resolution.pipelines:
        pipelines_of.setdefault(groups.get(pipeline.module, -1), []).append(pipeline)
    hidden = {
        groups.get(name, -1)
        for name, output in resolution.outputs.items()
        if output.hidden_pipelines
    }
    unknown = Unknowns(resolution)
    for group in sorted(set(datasets_of) | set(tasks_of)):
        datasets = datasets_of.get(group, [])
        members = tasks_of.get(group, [])
        pipelines = pipelines_of.get(group, [])
        maybe = unknown.for_group(group)
        cached(
            [*datasets, None, *members, None, *pipelines, group in hidden, maybe],
            functools.partial(
                _group_findings, resolution, datasets, members, pipelines, group in hidden, maybe
            ),
        )
    if memo is not None:
        memo.clear()
        memo.update(fresh)
    return found


def _pipeline_findings(
    pipeline: PipelineState, members: list[TaskState], unknown_produce: frozenset[str] | None
) -> Iterator[Finding]:
    context = PipelineContext(
        label=f"`{pipeline.name or pipeline.variable or 'pipeline'}`",
        span=pipeline.span,
        graph=pipeline.graph,
        names={task.id: task.name for task in members},
        spans={task.id: task.span for task in members},
        # Taking tasks from a module whose words are not known: any dataset may come from there.
        incomplete=pipeline.incomplete or (bool(pipeline.unknown) and unknown_produce is None),
        unknown_produce=unknown_produce,
    )
    if not pipeline.unknown:  # tasks from a module that does not parse may mask or add one
        yield from cycle.check(context)
    yield from missing_producer.check(context)
    yield from duplicate_producer.check(context)


def _group_findings(
    resolution: Resolution,
    datasets: list[DatasetState],
    members: list[TaskState],
    pipelines: list[PipelineState],
    hidden: bool,
    unknown: UnknownUses | None = None,
) -> Iterator[Finding]:
    declarations = [(d.name, d.span) for d in datasets]
    yield from duplicate_dataset_name.check(declarations)
    everything = resolution.datasets
    used: set[str] = set()
    for task in members:
        used.update(everything[i].name for i in task.inputs.values())
        if task.output is not None:
            used.add(everything[task.output].name)
    if unknown is not None:
        # A module that does not parse may use what it names: neither unused nor orphan.
        keys = {id(d): key for key, d in everything.items()}
        maybe = unknown.objects
        used.update(d.name for d in datasets if maybe is None or keys.get(id(d), "") in maybe)
        members = [t for t in members if maybe is not None and t.id not in maybe]
    yield from unused_dataset.check(declarations, used)
    listed = {task_id for pipeline in pipelines for task_id in pipeline.members}
    some_pipeline = bool(pipelines) or (unknown is not None and unknown.pipelines)
    complete = some_pipeline and not hidden and not any(p.incomplete for p in pipelines)
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
                finding.data,
            )
        )
    # Syntax errors first: what follows may be a consequence of them.
    diagnostics.sort(key=lambda d: (d.rule is not SYNTAX_ERROR, d.sort_key()))
    return tuple(diagnostics)

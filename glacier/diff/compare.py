"""The comparison of two analysed revisions: what a change does to the pipelines.

Tasks are matched by id, datasets by name, pipelines by name (else the variable they are
bound to), diagnostics by code, file and message (not by line: an edit above a finding moves
it without making it new). Every list is sorted, so the same two revisions always give the
same `ProjectDiff`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from glacier.diagnostics import Diagnostic
from glacier.diff.revision import Snapshot
from glacier.model import DatasetInfo, PipelineInfo, Project, TaskInfo, display_path
from glacier.rules import SYNTAX_ERROR, Severity


@dataclass(frozen=True)
class FieldChange:
    """One property of a task or dataset that differs; values in the spec's JSON shape."""

    #: ``inputs``, ``output``, ``compute`` (tasks); ``storage``, ``schema`` (datasets).
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class TaskChange:
    id: str
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class DatasetChange:
    name: str
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class ItemRef:
    """An added or removed task (by id) or dataset (by name), where it is declared."""

    name: str
    filename: str | None
    line: int | None


@dataclass(frozen=True, order=True)
class EdgeRef:
    """``source`` produces ``dataset``, which ``target`` consumes (task ids)."""

    source: str
    target: str
    dataset: str


@dataclass(frozen=True)
class PipelineChange:
    """A pipeline that was added, removed, or whose tasks, edges or order changed."""

    #: Its name, else the variable it is bound to.
    pipeline: str
    status: str  # "added" | "removed" | "changed"
    tasks_added: tuple[str, ...]
    tasks_removed: tuple[str, ...]
    edges_added: tuple[EdgeRef, ...]
    edges_removed: tuple[EdgeRef, ...]
    #: Whether the tasks present in both revisions run in a different relative order.
    order_changed: bool
    order_before: tuple[str, ...]
    order_after: tuple[str, ...]


@dataclass(frozen=True, order=True)
class DiagnosticRef:
    """A diagnostic as a diff reports it: file relative to the revision's top level."""

    filename: str
    line: int
    column: int
    code: str
    name: str
    severity: str
    message: str


@dataclass(frozen=True)
class ProjectDiff:
    """Everything that differs between ``base`` and ``head``."""

    base_label: str
    base_commit: str | None
    head_label: str
    head_commit: str | None
    tasks_added: tuple[ItemRef, ...]
    tasks_removed: tuple[ItemRef, ...]
    #: Tasks whose inputs or output changed.
    tasks_changed: tuple[TaskChange, ...]
    datasets_added: tuple[ItemRef, ...]
    datasets_removed: tuple[ItemRef, ...]
    #: Datasets whose schema changed.
    datasets_changed: tuple[DatasetChange, ...]
    #: Tasks whose ``compute`` changed (one `FieldChange` each).
    compute: tuple[TaskChange, ...]
    #: Datasets whose ``storage`` changed (one `FieldChange` each).
    storage: tuple[DatasetChange, ...]
    pipelines: tuple[PipelineChange, ...]
    diagnostics_new: tuple[DiagnosticRef, ...]
    diagnostics_fixed: tuple[DiagnosticRef, ...]
    #: Syntax errors of each side: a side with one is compared without that file's content.
    syntax_errors_base: tuple[DiagnosticRef, ...]
    syntax_errors_head: tuple[DiagnosticRef, ...]
    failures_base: tuple[str, ...] = ()
    failures_head: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        """Whether nothing Glacier knows about changed."""
        return not any(
            (
                self.tasks_added,
                self.tasks_removed,
                self.tasks_changed,
                self.datasets_added,
                self.datasets_removed,
                self.datasets_changed,
                self.compute,
                self.storage,
                self.pipelines,
                self.diagnostics_new,
                self.diagnostics_fixed,
            )
        )

    @property
    def new_errors(self) -> tuple[DiagnosticRef, ...]:
        """New diagnostics of error severity (syntax errors included)."""
        return tuple(d for d in self.diagnostics_new if d.severity == Severity.ERROR.value)


def pipeline_keys(pipelines: Iterable[PipelineInfo], snapshot: Snapshot) -> dict[str, PipelineInfo]:
    """Pipelines by name, else variable.

    Clashing keys get the file they are in, then their position among the file's clashing
    ones (not the line: an edit above a pipeline must not make it a new one).
    """
    pipelines = tuple(pipelines)
    plain = [p.name or p.variable or "pipeline" for p in pipelines]
    keyed: dict[str, PipelineInfo] = {}
    seen: dict[str, int] = {}
    for key, pipeline in zip(plain, pipelines, strict=True):
        if plain.count(key) > 1 and pipeline.span is not None:
            key = f"{key} ({display_path(pipeline.span.filename, snapshot.root)})"
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            key = f"{key} #{seen[key]}"
        keyed[key] = pipeline
    return keyed


def _ref(name: str, info: TaskInfo | DatasetInfo, root: Snapshot) -> ItemRef:
    if info.span is None:
        return ItemRef(name, None, None)
    return ItemRef(name, display_path(info.span.filename, root.root), info.span.line)


def _json(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return dict(value) if value is not None else None


def _inputs(task: TaskInfo) -> list[dict[str, str]]:
    return [{"parameter": i.parameter, "dataset": i.dataset} for i in task.inputs]


def _first(items: Iterable[Any], key: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in items:
        found.setdefault(getattr(item, key), item)
    return found


def diagnostic_ref(diagnostic: Diagnostic, snapshot: Snapshot) -> DiagnosticRef:
    span = diagnostic.span
    return DiagnosticRef(
        filename=display_path(span.filename, snapshot.root),
        line=span.line,
        column=span.column,
        code=diagnostic.code,
        name=diagnostic.rule.name,
        severity=diagnostic.severity.value,
        message=diagnostic.message,
    )


def _diagnostic_changes(
    base: Snapshot, head: Snapshot
) -> tuple[tuple[DiagnosticRef, ...], tuple[DiagnosticRef, ...]]:
    """(new in head, gone from base), matched by code, file and message."""

    def key(ref: DiagnosticRef) -> tuple[str, str, str]:
        return (ref.code, ref.filename, ref.message)

    before = [diagnostic_ref(d, base) for d in base.diagnostics]
    after = [diagnostic_ref(d, head) for d in head.diagnostics]
    remaining = Counter(key(ref) for ref in before)
    new: list[DiagnosticRef] = []
    for ref in after:
        if remaining[key(ref)] > 0:
            remaining[key(ref)] -= 1
        else:
            new.append(ref)
    still = Counter(key(ref) for ref in after)
    fixed: list[DiagnosticRef] = []
    for ref in before:
        if still[key(ref)] > 0:
            still[key(ref)] -= 1
        else:
            fixed.append(ref)
    return tuple(sorted(new)), tuple(sorted(fixed))


def _edges(pipeline: PipelineInfo | None) -> set[EdgeRef]:
    if pipeline is None:
        return set()
    return {EdgeRef(e.source, e.target, e.dataset) for e in pipeline.graph.edges}


def _order_changed(before: tuple[str, ...], after: tuple[str, ...]) -> bool:
    common = set(before) & set(after)
    return [t for t in before if t in common] != [t for t in after if t in common]


def _pipeline_changes(base: Snapshot, head: Snapshot) -> tuple[PipelineChange, ...]:
    before = pipeline_keys(base.project.pipelines, base)
    after = pipeline_keys(head.project.pipelines, head)
    changes: list[PipelineChange] = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        old_tasks = [t.id for t in old.graph.tasks] if old else []
        new_tasks = [t.id for t in new.graph.tasks] if new else []
        old_edges, new_edges = _edges(old), _edges(new)
        order_before = old.graph.order if old else ()
        order_after = new.graph.order if new else ()
        status = "added" if old is None else "removed" if new is None else "changed"
        change = PipelineChange(
            pipeline=key,
            status=status,
            tasks_added=tuple(sorted(set(new_tasks) - set(old_tasks))),
            tasks_removed=tuple(sorted(set(old_tasks) - set(new_tasks))),
            edges_added=tuple(sorted(new_edges - old_edges)),
            edges_removed=tuple(sorted(old_edges - new_edges)),
            order_changed=(status == "changed" and _order_changed(order_before, order_after)),
            order_before=order_before,
            order_after=order_after,
        )
        if status != "changed" or (
            change.tasks_added
            or change.tasks_removed
            or change.edges_added
            or change.edges_removed
            or change.order_changed
            or order_before != order_after
        ):
            changes.append(change)
    return tuple(changes)


def diff_snapshots(base: Snapshot, head: Snapshot) -> ProjectDiff:
    """Compare two analysed revisions."""
    old_tasks: dict[str, TaskInfo] = _first(base.project.tasks, "id")
    new_tasks: dict[str, TaskInfo] = _first(head.project.tasks, "id")
    old_data: dict[str, DatasetInfo] = _first(base.project.datasets, "name")
    new_data: dict[str, DatasetInfo] = _first(head.project.datasets, "name")

    tasks_changed: list[TaskChange] = []
    compute: list[TaskChange] = []
    for task_id in sorted(set(old_tasks) & set(new_tasks)):
        old, new = old_tasks[task_id], new_tasks[task_id]
        fields: list[FieldChange] = []
        if old.inputs != new.inputs:
            fields.append(FieldChange("inputs", _inputs(old), _inputs(new)))
        if old.output != new.output:
            fields.append(FieldChange("output", old.output, new.output))
        if fields:
            tasks_changed.append(TaskChange(task_id, tuple(fields)))
        if _json(old.compute) != _json(new.compute):
            change = FieldChange("compute", _json(old.compute), _json(new.compute))
            compute.append(TaskChange(task_id, (change,)))

    datasets_changed: list[DatasetChange] = []
    storage: list[DatasetChange] = []
    for name in sorted(set(old_data) & set(new_data)):
        before, after = old_data[name], new_data[name]
        if before.schema != after.schema:
            change = FieldChange("schema", before.schema, after.schema)
            datasets_changed.append(DatasetChange(name, (change,)))
        if _json(before.storage) != _json(after.storage):
            change = FieldChange("storage", _json(before.storage), _json(after.storage))
            storage.append(DatasetChange(name, (change,)))

    new_diagnostics, fixed = _diagnostic_changes(base, head)

    def syntax(snapshot: Snapshot) -> tuple[DiagnosticRef, ...]:
        return tuple(
            sorted(
                diagnostic_ref(d, snapshot)
                for d in snapshot.diagnostics
                if d.code == SYNTAX_ERROR.code
            )
        )

    added_tasks = sorted(set(new_tasks) - set(old_tasks))
    removed_tasks = sorted(set(old_tasks) - set(new_tasks))
    added_data = sorted(set(new_data) - set(old_data))
    removed_data = sorted(set(old_data) - set(new_data))
    return ProjectDiff(
        base_label=base.label,
        base_commit=base.commit,
        head_label=head.label,
        head_commit=head.commit,
        tasks_added=tuple(_ref(i, new_tasks[i], head) for i in added_tasks),
        tasks_removed=tuple(_ref(i, old_tasks[i], base) for i in removed_tasks),
        tasks_changed=tuple(tasks_changed),
        datasets_added=tuple(_ref(n, new_data[n], head) for n in added_data),
        datasets_removed=tuple(_ref(n, old_data[n], base) for n in removed_data),
        datasets_changed=tuple(datasets_changed),
        compute=tuple(compute),
        storage=tuple(storage),
        pipelines=_pipeline_changes(base, head),
        diagnostics_new=new_diagnostics,
        diagnostics_fixed=fixed,
        syntax_errors_base=syntax(base),
        syntax_errors_head=syntax(head),
        failures_base=tuple(sorted(base.failures)),
        failures_head=tuple(sorted(head.failures)),
    )


def merged_project(base: Project, head: Project) -> Project:
    """``head`` plus the tasks and datasets only ``base`` has (for drawing what was removed)."""
    head_tasks = {t.id for t in head.tasks}
    head_data = {d.name for d in head.datasets}
    return Project(
        datasets=head.datasets + tuple(d for d in base.datasets if d.name not in head_data),
        tasks=head.tasks + tuple(t for t in base.tasks if t.id not in head_tasks),
        pipelines=head.pipelines,
    )

"""What every graph format shares: colours, fonts, thresholds and the drawn view of a project.

`scene` turns a `Project` into `PipelineScene`s: for each pipeline, the tasks with their
compute kind and location, the dataset nodes and the edges, each already marked with the
graph problems it belongs to. DOT, Mermaid and ASCII only lay this out in their own syntax,
so the three pictures always agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import networkx as nx

from glacier.compute import summarize_compute
from glacier.graph import Cycle, DuplicateProducer, MissingProducer, build_pipeline_graph
from glacier.graph.model import PipelineGraph, TaskNode
from glacier.model import PipelineInfo, Project, Span, display_path

#: How datasets are drawn: as their own nodes, as edge labels, or chosen by size.
DatasetMode = Literal["nodes", "edges", "auto"]
ComputeKindName = Literal["local", "serverless", "container", "none"]

#: The font every picture names explicitly (Debian's graphviz depends on fonts-dejavu),
#: so the layout does not depend on fontconfig's fallback choice.
FONT = "DejaVu Sans"

#: Above this many tasks (over all drawn pipelines) ``auto`` draws datasets as edge labels.
EDGES_THRESHOLD = 60
#: Above this many tasks the picture gets compact: smaller fonts and spacing, no edge labels.
COMPACT_THRESHOLD = 300

#: fill, outline, legend label for each compute kind.
KIND_COLOURS: dict[ComputeKindName, tuple[str, str, str]] = {
    "local": ("#e8f5e9", "#2e7d32", "local"),
    "serverless": ("#e3f2fd", "#1565c0", "serverless"),
    "container": ("#f3e5f5", "#6a1b9a", "container"),
    "none": ("#f5f5f5", "#616161", "no compute"),
}
KIND_ORDER: tuple[ComputeKindName, ...] = ("local", "serverless", "container", "none")

DATASET_FILL = "#fffde7"
DATASET_LINE = "#9e9d24"
INPUT_FILL = "#e0f7fa"
INPUT_LINE = "#00838f"
EDGE_COLOUR = "#546e7a"
TEXT_COLOUR = "#212121"
MUTED_TEXT = "#546e7a"
#: Problems: cycles and missing producers.
WARNING = "#d32f2f"
WARNING_FILL = "#ffebee"
#: Duplicate producers.
DUPLICATE = "#ef6c00"


@dataclass(frozen=True)
class TaskView:
    """A task as drawn."""

    id: str
    name: str
    kind: ComputeKindName
    #: ``serverless · 512 MB``; empty when the task declares no compute.
    summary: str
    #: ``path/to/file.py:12`` (relative to the given directory), or ``None``.
    location: str | None
    output: str | None
    in_cycle: bool


DatasetRole = Literal["internal", "output", "input", "missing"]


@dataclass(frozen=True)
class DatasetView:
    """A dataset as drawn within one pipeline."""

    name: str
    role: DatasetRole
    #: The storage URI, if the dataset declares storage.
    uri: str | None
    location: str | None
    duplicate: bool
    in_cycle: bool


@dataclass(frozen=True)
class EdgeView:
    """``source`` produces ``dataset`` which ``target`` consumes (task ids)."""

    source: str
    target: str
    dataset: str
    in_cycle: bool
    duplicate: bool


@dataclass(frozen=True)
class PipelineScene:
    """One pipeline ready to draw."""

    title: str
    tasks: tuple[TaskView, ...]
    datasets: tuple[DatasetView, ...]
    edges: tuple[EdgeView, ...]
    graph: PipelineGraph
    #: One line per graph problem, e.g. ``cycle: a -> b -> a``.
    problems: tuple[str, ...]

    _tasks: dict[str, TaskView] = field(init=False, repr=False, compare=False)
    _producers: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)
    _consumers: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)
    #: (source task, dataset) and (dataset, target task) pairs that lie on a cycle.
    _cyclic_out: frozenset[tuple[str, str]] = field(init=False, repr=False, compare=False)
    _cyclic_in: frozenset[tuple[str, str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        producers: dict[str, list[str]] = {}
        consumers: dict[str, list[str]] = {}
        for task in self.tasks:
            if task.output is not None:
                producers.setdefault(task.output, []).append(task.id)
        for node in self.graph.tasks:
            for dataset in dict.fromkeys(item.dataset for item in node.inputs):
                consumers.setdefault(dataset, []).append(node.id)
        cyclic = [edge for edge in self.edges if edge.in_cycle]
        set_ = object.__setattr__
        set_(self, "_tasks", {task.id: task for task in self.tasks})
        set_(self, "_producers", {k: tuple(v) for k, v in producers.items()})
        set_(self, "_consumers", {k: tuple(v) for k, v in consumers.items()})
        set_(self, "_cyclic_out", frozenset((e.source, e.dataset) for e in cyclic))
        set_(self, "_cyclic_in", frozenset((e.dataset, e.target) for e in cyclic))

    def task(self, task_id: str) -> TaskView:
        return self._tasks[task_id]

    def producers(self, dataset: str) -> tuple[str, ...]:
        """Tasks that produce ``dataset``, in list order."""
        return self._producers.get(dataset, ())

    def consumers(self, dataset: str) -> tuple[str, ...]:
        """Tasks that consume ``dataset``, in list order."""
        return self._consumers.get(dataset, ())

    def cyclic_output(self, task_id: str, dataset: str) -> bool:
        """Whether ``task_id`` writing ``dataset`` is part of a cycle."""
        return (task_id, dataset) in self._cyclic_out

    def cyclic_input(self, dataset: str, task_id: str) -> bool:
        """Whether ``task_id`` reading ``dataset`` is part of a cycle."""
        return (dataset, task_id) in self._cyclic_in


def compute_kind(compute: Mapping[str, Any] | None) -> ComputeKindName:
    """The colour family of a task's compute."""
    kind = compute.get("kind") if compute is not None else None
    for known in KIND_ORDER:
        if kind == known:
            return known
    return "none"


def pipeline_title(pipeline: PipelineInfo) -> str:
    """How pictures title a pipeline: its name, else its variable."""
    return pipeline.name or pipeline.variable or "pipeline"


def drawn_pipelines(project: Project) -> tuple[PipelineInfo, ...]:
    """The pipelines to draw; a project with tasks but no pipeline draws all its tasks."""
    if project.pipelines or not project.tasks:
        return project.pipelines
    nodes = [TaskNode(t.id, t.name, t.inputs, t.output) for t in project.tasks]
    external = {d.name for d in project.datasets if d.storage is not None}
    graph = build_pipeline_graph(nodes, external)
    return (PipelineInfo(None, "all tasks (no Pipeline)", None, graph),)


def total_tasks(project: Project) -> int:
    return sum(len(pipeline.graph.tasks) for pipeline in drawn_pipelines(project))


def resolve_mode(project: Project, mode: DatasetMode) -> Literal["nodes", "edges"]:
    """``auto`` draws dataset nodes up to `EDGES_THRESHOLD` tasks, edge labels above."""
    if mode != "auto":
        return mode
    return "edges" if total_tasks(project) > EDGES_THRESHOLD else "nodes"


def location(span: Span | None, relative_to: Path | None) -> str | None:
    if span is None:
        return None
    return f"{display_path(span.filename, relative_to)}:{span.line}"


def scene(project: Project, relative_to: Path | None = None) -> tuple[PipelineScene, ...]:
    """Every drawn pipeline, with problems attached to the nodes and edges they concern.

    Pipelines whose titles (name, else variable) clash get their ``file:line`` appended.
    """
    pipelines = drawn_pipelines(project)
    titles = [pipeline_title(p) for p in pipelines]
    scenes = []
    for pipeline, title in zip(pipelines, titles, strict=True):
        where = location(pipeline.span, relative_to)
        if titles.count(title) > 1 and where is not None:
            title = f"{title} ({where})"
        scenes.append(_pipeline_scene(project, pipeline, title, relative_to))
    return tuple(scenes)


def _pipeline_scene(
    project: Project, pipeline: PipelineInfo, title: str, relative_to: Path | None
) -> PipelineScene:
    graph = pipeline.graph
    names = {node.id: node.name for node in graph.tasks}
    looped = _cycle_members(graph)
    missing = {p.dataset for p in graph.problems if isinstance(p, MissingProducer)}
    duplicated = {p.dataset for p in graph.problems if isinstance(p, DuplicateProducer)}

    task_infos = {info.id: info for info in reversed(project.tasks)}
    dataset_infos = {info.name: info for info in reversed(project.datasets)}
    tasks: list[TaskView] = []
    for node in graph.tasks:
        info = task_infos.get(node.id)
        compute = info.compute if info is not None else None
        tasks.append(
            TaskView(
                id=node.id,
                name=node.name,
                kind=compute_kind(compute),
                summary=summarize_compute(dict(compute)) if compute is not None else "",
                location=location(info.span if info is not None else None, relative_to),
                output=node.output,
                in_cycle=node.id in looped,
            )
        )

    produced = {node.output for node in graph.tasks if node.output is not None}
    consumed = {item.dataset for node in graph.tasks for item in node.inputs}
    seen: dict[str, None] = {}
    # Datasets in reading order: each task's inputs, then its output.
    for node in graph.tasks:
        for item in node.inputs:
            seen.setdefault(item.dataset, None)
        if node.output is not None:
            seen.setdefault(node.output, None)

    edges = tuple(
        EdgeView(
            e.source,
            e.target,
            e.dataset,
            in_cycle=looped.get(e.source, -1) == looped.get(e.target, -2),
            duplicate=e.dataset in duplicated,
        )
        for e in graph.edges
    )
    cyclic_datasets = {e.dataset for e in edges if e.in_cycle}

    datasets: list[DatasetView] = []
    for name in seen:
        declared = dataset_infos.get(name)
        storage = declared.storage if declared is not None else None
        uri = storage.get("uri") if storage else None
        role: DatasetRole
        if name in missing:
            role = "missing"
        elif name not in produced:
            role = "input"
        elif name not in consumed:
            role = "output"
        else:
            role = "internal"
        datasets.append(
            DatasetView(
                name=name,
                role=role,
                uri=str(uri) if uri is not None else None,
                location=location(declared.span if declared is not None else None, relative_to),
                duplicate=name in duplicated,
                in_cycle=name in cyclic_datasets,
            )
        )

    def name_of(task_id: str) -> str:
        return names.get(task_id, task_id)

    problems = tuple(
        f"{problem.rule.name}: {problem.message(f'`{pipeline_title(pipeline)}`', name_of)}"
        for problem in graph.problems
    )
    return PipelineScene(
        title=title,
        tasks=tuple(tasks),
        datasets=tuple(datasets),
        edges=edges,
        graph=graph,
        problems=problems,
    )


def _cycle_members(graph: PipelineGraph) -> dict[str, int]:
    """Task id -> its looping strongly connected group: every edge inside one is on a cycle."""
    if not any(isinstance(problem, Cycle) for problem in graph.problems):
        return {}
    digraph: nx.DiGraph[str] = nx.DiGraph()
    digraph.add_nodes_from(node.id for node in graph.tasks)
    digraph.add_edges_from((e.source, e.target) for e in graph.edges)
    groups: dict[str, int] = {}
    components = sorted(sorted(c) for c in nx.strongly_connected_components(digraph))
    for index, component in enumerate(components):
        if len(component) > 1 or any(digraph.has_edge(n, n) for n in component):
            groups.update(dict.fromkeys(component, index))
    return groups

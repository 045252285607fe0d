"""`Pipeline`: tasks whose DAG is inferred from their signatures."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from glacier.graph import Input, PipelineGraph, TaskNode, build_pipeline_graph
from glacier.model import DatasetInfo, PipelineInfo, Project, Span, TaskInfo
from glacier.rules import CYCLE, DUPLICATE_DATASET_NAME, NOT_A_TASK
from glacier.runtime.dataset import Dataset
from glacier.runtime.errors import CycleError, PipelineValidationError, Problem
from glacier.runtime.task import Task


class Pipeline:
    """A set of tasks; the DAG comes from which datasets they consume and produce.

    Constructing a pipeline never raises for graph problems: `validate` reports them
    all at once.

    Args:
        tasks: the tasks, in the order that breaks ties in the execution order.
        name: an optional name, used in messages and pictures.

    >>> from glacier import Dataset, task
    >>> raw, clean = Dataset("raw"), Dataset("clean")
    >>> @task
    ... def extract() -> raw: ...
    >>> @task
    ... def transform(data: raw) -> clean: ...
    >>> [t.name for t in Pipeline([transform, extract]).get_execution_order()]
    ['extract', 'transform']
    """

    def __init__(self, tasks: Sequence[object], name: str | None = None) -> None:
        if isinstance(tasks, (str, bytes)) or not isinstance(tasks, Sequence):
            raise TypeError(
                f"Pipeline takes a list of tasks, got {type(tasks).__name__}; "
                "write Pipeline([task_a, task_b])"
            )
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Pipeline name must be a str, got {type(name).__name__}")
        self.name = name
        caller = sys._getframe(1)
        self._module: str | None = caller.f_globals.get("__name__")
        self._line = caller.f_lineno
        self._filename = caller.f_code.co_filename
        self.tasks: list[Task[Any, Any]] = []
        definition_problems: list[Problem] = []
        listed: set[int] = set()
        for element in tasks:
            if isinstance(element, Task):
                if id(element) not in listed:
                    listed.add(id(element))
                    self.tasks.append(element)
            else:
                described = _describe_element(element)
                definition_problems.append(
                    Problem(NOT_A_TASK, NOT_A_TASK.format(element=described))
                )
        for member in self.tasks:
            definition_problems.extend(member.signature.problems)
        self._datasets = _datasets_of(self.tasks)
        definition_problems.extend(_duplicate_names(self._datasets))
        by_name = {dataset.name: dataset for dataset in reversed(self._datasets)}
        nodes = [
            TaskNode(
                member.id,
                member.name,
                tuple(Input(p, d.name) for p, d in member.signature.inputs.items()),
                member.output.name if member.output is not None else None,
            )
            for member in self.tasks
        ]
        external = {d.name for d in self._datasets if d.storage is not None}
        self.graph: PipelineGraph = build_pipeline_graph(nodes, external)
        self._by_id = {member.id: member for member in self.tasks}
        self._by_name = by_name
        self._definition_problems = tuple(definition_problems)

    # -- structure -------------------------------------------------------------------

    @property
    def variable(self) -> str | None:
        """The module-level variable this pipeline is bound to, if any."""
        module = sys.modules.get(self._module or "")
        for key, value in vars(module).items() if module is not None else ():
            if value is self:
                return key
        return None

    @property
    def label(self) -> str:
        return self.info().label

    @property
    def datasets(self) -> list[Dataset[Any]]:
        """Every dataset the tasks consume or produce, in order of first use."""
        return list(self._datasets)

    @property
    def inputs(self) -> list[Dataset[Any]]:
        """External inputs: consumed, produced by no task, read from their storage."""
        return [self._by_name[name] for name in self.graph.inputs]

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Every problem, as `validate` would report them."""
        name_of = self._name_of
        graph_problems = tuple(
            Problem(problem.rule, problem.message(self.label, name_of))
            for problem in self.graph.problems
        )
        return self._definition_problems + graph_problems

    def validate(self) -> None:
        """Check the pipeline, reporting every problem at once.

        Raises:
            PipelineValidationError: listing each problem (``.problems``), with its
                code (``GLC001``), name (``cycle``) and message.
        """
        problems = self.problems
        if problems:
            raise PipelineValidationError(problems)

    def get_execution_order(self) -> list[Task[Any, Any]]:
        """Tasks in dependency order; ties keep the order of the task list.

        Raises:
            CycleError: if the tasks depend on each other in a loop.
        """
        if not self.graph.is_acyclic:
            cycles = [p for p in self.problems if p.rule is CYCLE]
            raise CycleError(cycles)
        return self._tasks(self.graph.order)

    def get_source_tasks(self) -> list[Task[Any, Any]]:
        """Tasks that depend on no other task."""
        return self._tasks(self.graph.sources)

    def get_sink_tasks(self) -> list[Task[Any, Any]]:
        """Tasks whose output no task consumes."""
        return self._tasks(self.graph.sinks)

    def get_dependencies(self, task: Task[Any, Any]) -> list[Task[Any, Any]]:
        """Tasks whose output ``task`` consumes.

        Raises:
            KeyError: if ``task`` is not in this pipeline.
        """
        return self._tasks(self.graph.dependencies(self._member(task).id))

    def get_consumers(self, task: Task[Any, Any]) -> list[Task[Any, Any]]:
        """Tasks that consume the output of ``task``.

        Raises:
            KeyError: if ``task`` is not in this pipeline.
        """
        return self._tasks(self.graph.consumers(self._member(task).id))

    # -- outputs ---------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The spec's pipeline JSON shape (without ``filename``/``line``)."""
        return self.info().to_dict()

    def info(self) -> PipelineInfo:
        """This pipeline in the shared project model."""
        span = Span(self._filename, self._line, 1, self._line, 1)
        return PipelineInfo(self.name, self.variable, span, self.graph)

    def to_project(self) -> Project:
        """The pipeline, its tasks and datasets as a project model (for rendering)."""
        datasets = tuple(
            DatasetInfo(
                d.name,
                None,
                d.module,
                Span(d.filename, d.line, 1, d.line, 1),
                d.storage.to_dict() if d.storage is not None else None,
                d.schema_name,
            )
            for d in self._datasets
        )
        tasks = tuple(
            TaskInfo(
                t.id,
                t.name,
                t.fn.__module__,
                _span_of(t),
                self.graph.task(t.id).inputs,
                t.output.name if t.output is not None else None,
                t.compute.to_dict() if t.compute is not None else None,
            )
            for t in self.tasks
        )
        return Project(datasets, tasks, (self.info(),))

    def visualize(self) -> str:
        """A text drawing of the DAG, for terminals."""
        from glacier.outputs.graph.ascii import render_ascii

        return render_ascii(self.to_project())

    def __repr__(self) -> str:
        return f"Pipeline({self.label}, {len(self.tasks)} tasks)"

    # -- helpers ---------------------------------------------------------------------

    def _member(self, task: Task[Any, Any]) -> Task[Any, Any]:
        member = self._by_id.get(getattr(task, "id", ""))
        if member is None:
            raise KeyError(f"{task!r} is not a task of {self!r}")
        return member

    def _tasks(self, ids: Sequence[str]) -> list[Task[Any, Any]]:
        return [self._by_id[task_id] for task_id in ids]

    def _name_of(self, task_id: str) -> str:
        return self._by_id[task_id].name


def _describe_element(element: object) -> str:
    if isinstance(element, Dataset):
        return f"Dataset `{element.name}`"
    name = getattr(element, "__name__", None)
    if isinstance(name, str):
        return f"`{name}`"
    return f"`{element!r}`"


def _datasets_of(tasks: Sequence[Task[Any, Any]]) -> list[Dataset[Any]]:
    seen: dict[int, Dataset[Any]] = {}
    for member in tasks:
        for dataset in member.signature.inputs.values():
            seen.setdefault(id(dataset), dataset)
        if member.output is not None:
            seen.setdefault(id(member.output), member.output)
    return list(seen.values())


def _duplicate_names(datasets: Sequence[Dataset[Any]]) -> list[Problem]:
    problems: list[Problem] = []
    first: dict[str, Dataset[Any]] = {}
    for dataset in sorted(datasets, key=lambda d: d.sequence):
        earlier = first.setdefault(dataset.name, dataset)
        if earlier is not dataset:
            where = f" at {earlier.filename}:{earlier.line}"
            problems.append(
                Problem(
                    DUPLICATE_DATASET_NAME,
                    DUPLICATE_DATASET_NAME.format(dataset=dataset.name, previous=where),
                )
            )
    return problems


def _span_of(task: Task[Any, Any]) -> Span:
    code = task.fn.__code__
    return Span(code.co_filename, code.co_firstlineno, 1, code.co_firstlineno, 1)

"""`Pipeline`: tasks whose DAG is inferred from their signatures."""

from __future__ import annotations

import gc
import sys
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from glacier.checks.overlapping_storage import find_overlaps
from glacier.graph import MissingProducer, PipelineGraph, TaskNode, build_pipeline_graph
from glacier.model import DatasetInfo, PipelineInfo, Project, Span, TaskInfo
from glacier.rules import CYCLE, DUPLICATE_DATASET_NAME, NOT_A_TASK, OVERLAPPING_STORAGE
from glacier.runtime.dataset import Dataset
from glacier.runtime.errors import CycleError, PipelineValidationError, Problem
from glacier.runtime.task import Task

if TYPE_CHECKING:
    from glacier.executors.base import Executor
    from glacier.run.result import RunResult


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
        with _cyclic_gc_paused():
            self._build(tasks)

    def _build(self, tasks: Sequence[object]) -> None:
        # One pass over the tasks and few hash tables: in a pipeline of thousands of tasks,
        # nearly all the time goes to cache misses.
        self._by_id: dict[str, Task[Any, Any]] = {}
        self._by_name: dict[str, Dataset[Any]] = {}  # the first dataset used of each name
        self._datasets: list[Dataset[Any]] = []  # every dataset object, in order of first use
        namesakes: list[Dataset[Any]] = []  # later datasets reusing a name
        not_tasks: list[Problem] = []
        signature_problems: list[Problem] = []
        nodes: list[TaskNode] = []
        for element in tasks:
            if not isinstance(element, Task):
                described = _describe_element(element)
                not_tasks.append(Problem(NOT_A_TASK, NOT_A_TASK.format(element=described)))
                continue
            if self._by_id.setdefault(element.id, element) is not element:
                continue  # listed twice (or a task redefined under the same name)
            signature = element.signature
            signature_problems.extend(signature.problems)
            for dataset in (*signature.inputs.values(), signature.output):
                if dataset is None:
                    continue
                first = self._by_name.get(dataset.name)
                if first is None:
                    self._by_name[dataset.name] = dataset
                    self._datasets.append(dataset)
                elif first is not dataset and all(dataset is not d for d in namesakes):
                    namesakes.append(dataset)
                    self._datasets.append(dataset)
            nodes.append(signature.node)
        self.tasks: list[Task[Any, Any]] = list(self._by_id.values())
        self._definition_problems = (
            *not_tasks,
            *signature_problems,
            *_duplicate_names(self._by_name, namesakes),
        )
        external = {d.name for d in self._datasets if d.storage is not None}
        self.graph: PipelineGraph = build_pipeline_graph(nodes, external)

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
        return self._problems_given(())

    def _problems_given(self, given: Collection[str]) -> tuple[Problem, ...]:
        """The problems, when the datasets named in ``given`` are supplied by the run."""
        name_of = self._name_of
        graph_problems = tuple(
            Problem(problem.rule, problem.message(self.label, name_of))
            for problem in self.graph.problems
            if not (isinstance(problem, MissingProducer) and problem.dataset in given)
        )
        return self._definition_problems + self._storage_problems() + graph_problems

    def _storage_problems(self) -> tuple[Problem, ...]:
        """GLC013: datasets whose storage folders are the same or nested."""
        located = [(d.name, d.storage.uri) for d in self._datasets if d.storage is not None]
        if len(located) < 2:
            return ()
        overlaps = find_overlaps(sorted(located, key=lambda pair: pair[1]))
        return tuple(Problem(OVERLAPPING_STORAGE, o.message(self.label)) for o in overlaps)

    def validate(self, *, given: Collection[str] = ()) -> None:
        """Check the pipeline, reporting every problem at once.

        Args:
            given: names of datasets a run supplies (``run(inputs=...)``): consumed
                without a producer or storage, they are not missing.

        Raises:
            PipelineValidationError: listing each problem (``.problems``), with its
                code (``GLC001``), name (``cycle``) and message.
        """
        problems = self._problems_given(given) if given else self.problems
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
        # Positions, not ids: the graph's tasks are this pipeline's tasks, in this order.
        return [self.tasks[position] for position in self.graph.order_positions or ()]

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

    # -- running ---------------------------------------------------------------------

    def run(
        self,
        executor: Executor | None = None,
        *,
        inputs: Mapping[Any, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        cache: bool | str | None = None,
        keep: Iterable[Any] | str | None = None,
        raise_on_error: bool = True,
        progress: bool | None = None,
    ) -> RunResult:
        """Run the pipeline: each task as soon as its inputs exist (docs/running.md).

        Args:
            executor: where tasks run; default ``LocalExecutor()`` (threads, one slot per CPU).
            inputs: dataset (name or object) -> value, for external inputs (wins over storage).
            params: values for task parameters that are not datasets, by parameter name.
            cache: ``True`` (``.glacier/cache``) or a folder path or URI: reuse the results
                of tasks whose code, parameters and inputs did not change.
            keep: datasets whose values ``result.outputs`` also holds (``"all"``: every one).
            raise_on_error: raise `PipelineRunError` when a task failed (else return).
            progress: ``False`` silences the progress display.

        Returns:
            The `RunResult`; ``None`` when Glacier itself is importing this module
            (``glacier run``, worker processes), which skips top-level runs.

        Raises:
            PipelineValidationError: if the pipeline is invalid (nothing runs).
            RunSetupError: bad arguments, a missing external input, tasks that cannot be sent.
            PipelineRunError: tasks failed; ``.result`` is the whole result.
        """
        from glacier.runtime.importing import is_importing_user_code, skip_notice

        if is_importing_user_code():
            skip_notice("run", self.name or self.variable)
            return None  # type: ignore[return-value]
        from glacier.run.runner import run_pipeline

        return run_pipeline(
            self,
            executor,
            inputs=inputs,
            params=params,
            cache=cache,
            keep=keep,
            raise_on_error=raise_on_error,
            progress=progress,
        )

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
                d.format,
            )
            for d in self._datasets
        )
        tasks = tuple(
            TaskInfo(
                t.id,
                t.name,
                t.module,
                _span_of(t),
                self.graph.task(t.id).inputs,
                t.output.name if t.output is not None else None,
                t.compute.to_dict() if t.compute is not None else None,
                t.retries,
                t.cache,
                t.cache_version,
                t.secrets,
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


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building acyclic structures.

    Allocating tens of thousands of nodes and tuples would otherwise trigger full
    collections that scan every object of the process: a pipeline of 10,000 tasks spent
    a third of its build time there. (Mercurial's ``util.nogc`` does the same.)
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _describe_element(element: object) -> str:
    if isinstance(element, Dataset):
        return f"Dataset `{element.name}`"
    name = getattr(element, "__name__", None)
    if isinstance(name, str):
        return f"`{name}`"
    return f"`{element!r}`"


def _duplicate_names(
    first_used: dict[str, Dataset[Any]], namesakes: list[Dataset[Any]]
) -> list[Problem]:
    """GLC006 for each dataset declared after another one of the same name."""
    if not namesakes:
        return []
    by_name: dict[str, list[Dataset[Any]]] = {}
    for dataset in [*first_used.values(), *namesakes]:
        by_name.setdefault(dataset.name, []).append(dataset)
    problems: list[tuple[int, Problem]] = []
    for group in by_name.values():
        earliest, *later = sorted(group, key=lambda d: d.sequence)
        where = f" at {earliest.filename}:{earliest.line}"
        for dataset in later:
            message = DUPLICATE_DATASET_NAME.format(dataset=dataset.name, previous=where)
            problems.append((dataset.sequence, Problem(DUPLICATE_DATASET_NAME, message)))
    return [problem for _, problem in sorted(problems, key=lambda item: item[0])]


def _span_of(task: Task[Any, Any]) -> Span:
    code = task.fn.__code__
    return Span(code.co_filename, code.co_firstlineno, 1, code.co_firstlineno, 1)

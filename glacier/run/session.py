"""One run of a pipeline, independent of how tasks are scheduled.

A `Session` validates the pipeline and the run's arguments, plans each task (its
inputs, run parameters, slots, the static part of its cache key), runs one task on
request (`execute_task`: cache look-up, attempts with retries, commit of its output)
and records how it ended (`complete`: statuses, skipped dependents, values released
after their last consumer, events). An executor only decides *when and where* each
task runs: `LocalExecutor` with threads or processes, the Dask executor on a cluster.
"""

from __future__ import annotations

import gc
import hashlib
import hmac
import json
import math
import os
import pickle
import secrets
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from glacier.run import capture
from glacier.run.events import (
    EVENT_KINDS,
    Listener,
    RunEvent,
    RunFinished,
    RunStarted,
    TaskCached,
    TaskFailed,
    TaskRetried,
    TaskSkipped,
    TaskStarted,
    TaskSucceeded,
    global_listeners,
)
from glacier.run.result import Outputs, RunResult, TaskRun, TaskRuns
from glacier.runtime.errors import GlacierError

if TYPE_CHECKING:
    from glacier.runtime.dataset import Dataset
    from glacier.runtime.pipeline import Pipeline
    from glacier.runtime.task import Task

#: A function that calls a task: ``call(fn, kwargs)`` (directly, or in another process).
TaskCall = Callable[[Callable[..., Any], dict[str, Any]], Any]

#: A task's keyword arguments, or a function that reads them (called only when needed).
TaskInputs = dict[str, Any] | Callable[[], dict[str, Any]]


class RunSetupError(GlacierError):
    """A run that cannot start: bad arguments, missing inputs, tasks that cannot be sent.

    ``problems`` lists every problem; nothing ran.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        if len(self.problems) == 1:
            super().__init__(self.problems[0])
        else:
            lines = [f"{len(self.problems)} problems stop this run:"]
            lines.extend(f"  {problem}" for problem in self.problems)
            super().__init__("\n".join(lines))


@dataclass(slots=True)
class TaskPlan:
    """What running one task needs; picklable apart from the task's function itself."""

    position: int
    id: str
    name: str
    fn: Callable[..., Any]
    #: ``(parameter, dataset name)`` for each input.
    inputs: tuple[tuple[str, str], ...]
    #: Run parameters it receives, by parameter name.
    params: dict[str, Any]
    output: Dataset[Any] | None
    retries: int
    slots: int
    cacheable: bool
    #: Positions of the tasks it depends on / that consume its output.
    dependencies: tuple[int, ...] = ()
    consumers: tuple[int, ...] = ()
    #: The part of the cache key known before the run (code, params, version, image).
    static_key: str | None = None
    #: What a value that does not match the output's schema does: "error", "warn", "off".
    validation: str = "off"


@dataclass(slots=True)
class Outcome:
    """How executing one task ended (sent back from wherever it ran)."""

    status: str  # "succeeded" | "failed" | "cached"
    value: Any = None
    key: str | None = None
    attempts: int = 0
    duration: float = 0.0
    started: float = 0.0
    error: BaseException | None = None
    traceback: str = ""
    log: tuple[str, ...] = ()
    output_uri: str | None = None


@dataclass(slots=True)
class RunContext:
    """The run-wide facts a task needs where it runs (picklable)."""

    run_id: str
    #: Folder URI of the run cache (ending in "/"), or ``None`` when the cache is off.
    cache_root: str | None
    project_root: str
    #: Folder URI where every output without storage is written and read back before it
    #: is handed on (glacier.testing), so values go through their codecs as in the cloud.
    handoff_root: str | None = None


class _Pending:
    """A value not loaded yet: an external input or a cached result, read when a task that
    runs (or the result) needs it, so a fully cached part of a pipeline loads nothing."""

    __slots__ = ("check", "dataset", "location", "lock")

    def __init__(
        self, dataset: Dataset[Any], location: str | None = None, *, check: bool = False
    ) -> None:
        self.dataset = dataset
        self.location = location
        self.lock = threading.Lock()
        #: An external input: its value is checked against its schema when read.
        self.check = check


def new_run_id() -> str:
    """Sortable and unique: UTC time plus randomness."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(3)


def run_project_root(pipeline: Pipeline) -> str:
    """The project of the pipeline's file (nearest pyproject.toml), else the current folder."""
    from glacier.storage.locations import project_root

    filename = getattr(pipeline, "_filename", "") or ""
    if filename and os.path.isfile(filename):
        return project_root(os.path.dirname(os.path.abspath(filename)))
    return os.getcwd()


class Session:
    """One run of one pipeline: planning, per-task execution, statuses and events."""

    def __init__(
        self,
        pipeline: Pipeline,
        *,
        executor: str,
        slots: int,
        inputs: Mapping[Any, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        cache: bool | str | None = None,
        keep: Iterable[Any] | str | None = None,
        listeners: Sequence[Listener] = (),
        project_root: str | None = None,
        run_id: str | None = None,
        handoff_root: str | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.handoff_root = handoff_root
        self._validate_default: str | None = None
        self.executor = executor
        self.run_id = run_id or new_run_id()
        self.project_root = project_root or run_project_root(pipeline)
        self.listeners: list[Listener] = [*listeners, *global_listeners()]
        self._routes: dict[type[RunEvent], list[Listener]] | None = None
        self.params = dict(params or {})
        self.label = pipeline.label.strip("`")
        self._lock = threading.Lock()
        given_names = {
            key if isinstance(key, str) else getattr(key, "name", "") for key in (inputs or {})
        }
        pipeline.validate(given=given_names)
        gc_was_enabled = gc.isenabled()
        gc.disable()  # planning allocates per task; full collections would scan every object
        try:
            self._prepare(pipeline, slots, inputs, cache, keep)
        finally:
            if gc_was_enabled:
                gc.enable()

    def _prepare(
        self,
        pipeline: Pipeline,
        slots: int,
        inputs: Mapping[Any, Any] | None,
        cache: bool | str | None,
        keep: Iterable[Any] | str | None,
    ) -> None:
        problems: list[str] = []
        self.given = self._given_inputs(inputs, problems)
        self.cache_root = self._cache_root(cache)
        self.plans = self._plan(slots, problems)
        self.keep = self._keep(keep, problems)
        for plan in self.plans:
            output = plan.output
            if output is not None and output.schema is not None:
                plan.validation = self.validation_mode(output, problems)
        if problems:
            raise RunSetupError(problems)
        self.context = RunContext(
            self.run_id, self.cache_root, self.project_root, self.handoff_root
        )
        count = len(self.plans)
        self.outcomes: list[Outcome | None] = [None] * count
        self.skipped_because: dict[int, str] = {}
        self.order: list[int] = list(pipeline.graph.order_positions or ())
        self.waiting = [len(plan.dependencies) for plan in self.plans]
        self.finished = [False] * count
        self.keys: dict[str, str | None] = {}
        self.values: dict[str, Any] = {}
        self._final_names = self._final_datasets()
        self._finals = set(self._final_names)
        self.started = 0.0
        self.interrupted = False

    # -- planning --------------------------------------------------------------------

    def _given_inputs(
        self, inputs: Mapping[Any, Any] | None, problems: list[str]
    ) -> dict[str, Any]:
        given: dict[str, Any] = {}
        known = {d.name for d in self.pipeline.datasets}
        for key, value in (inputs or {}).items():
            name = key if isinstance(key, str) else getattr(key, "name", None)
            if not isinstance(name, str) or name not in known:
                problems.append(
                    f"inputs= names dataset {key!r}, which no task of pipeline {self.label} "
                    f"uses; its datasets: {', '.join(sorted(known))}"
                )
                continue
            given[name] = value
        return given

    def _cache_root(self, cache: bool | str | None) -> str | None:
        if cache is None or cache is False:
            return None
        if cache is True:
            folder = os.path.join(self.project_root, ".glacier", "cache")
            ensure_glacier_folder(self.project_root)
            return "file://" + os.path.abspath(folder) + "/"
        if not isinstance(cache, str) or not cache.strip():
            raise RunSetupError(
                [f"cache= takes True, False or a folder path or URI, got {cache!r}"]
            )
        if "://" in cache:
            return cache if cache.endswith("/") else cache + "/"
        folder = os.path.join(self.project_root, os.path.expanduser(cache))
        return "file://" + os.path.abspath(folder) + "/"

    def _plan(self, slots: int, problems: list[str]) -> list[TaskPlan]:
        # One pass over the tasks: a pipeline of thousands of tasks must start at once.
        pipeline = self.pipeline
        nodes = pipeline.graph.tasks
        given = self.given
        producer = {node.output: p for p, node in enumerate(nodes) if node.output is not None}
        consumers: list[list[int]] = [[] for _ in nodes]
        plans: list[TaskPlan] = []
        used_params: set[str] = set()
        fingerprints = None
        if self.cache_root is not None:
            from glacier.run.fingerprint import Fingerprinter

            store = os.path.join(ensure_glacier_folder(self.project_root), "fingerprints")
            fingerprints = Fingerprinter(self.project_root, store)
        from glacier import __version__

        images_noticed = False
        graph = pipeline.graph
        # The graph core already knows who consumes what (positions, ascending); a dataset
        # given in inputs= cuts its producer's edges, so only then are they derived here.
        successors = None if given else graph._successors
        predecessors = None if given else graph._predecessors
        readers: dict[str, int] = {}
        self._readers = readers
        for position, task in enumerate(pipeline.tasks):
            node = nodes[position]
            inputs = tuple([(item.parameter, item.dataset) for item in node.inputs])
            for _, dataset in inputs:
                readers[dataset] = readers.get(dataset, 0) + 1
            dependencies: tuple[int, ...] = ()
            if predecessors is not None:
                dependencies = tuple(predecessors[position])
            elif inputs:
                found = {
                    producer[dataset]
                    for _, dataset in inputs
                    if dataset in producer and dataset not in given
                }
                dependencies = tuple(sorted(found))
                for source in dependencies:
                    consumers[source].append(position)
            task_params = self._task_params(task, inputs, used_params) if self.params else {}
            compute = task.compute
            task_slots = 1
            image: str | None = None
            if compute is not None:
                if compute.kind == "local":
                    task_slots = int(compute.workers)
                elif compute.kind == "container":
                    cpu = compute.cpu
                    task_slots = math.ceil(cpu) if cpu else 1
                    image = compute.image
                    images_noticed = True
            options = task.options
            static_key = None
            if fingerprints is not None and options.cache:
                static_key = _digest(
                    [
                        "glacier",
                        __version__,
                        task.id,
                        fingerprints.task(task.fn),
                        _stable(task_params),
                        repr(options.cache_version),
                        image or "",
                    ]
                )
            plans.append(
                TaskPlan(
                    position,
                    node.id,
                    node.name,
                    task.fn,
                    inputs,
                    task_params,
                    task.signature.output,
                    options.retries,
                    1 if task_slots == 1 else max(1, min(task_slots, slots)),
                    static_key is not None,
                    dependencies,
                    (),
                    static_key,
                )
            )
        if fingerprints is not None:
            fingerprints.save()
        if successors is not None:
            consumers = successors  # type: ignore[assignment]
        for plan, after in zip(plans, consumers, strict=True):
            if after:
                plan.consumers = tuple(after)
        for name in sorted(set(self.params) - used_params):
            problems.append(
                f"params= sets `{name}`, which no task of pipeline {self.label} takes as a "
                "parameter with a default; run parameters are task parameters that are not datasets"
            )
        self.image_notice = images_noticed
        return plans

    def _task_params(
        self, task: Task[Any, Any], inputs: tuple[tuple[str, str], ...], used: set[str]
    ) -> dict[str, Any]:
        import inspect

        names = {parameter for parameter, _ in inputs}
        found: dict[str, Any] = {}
        for name, parameter in inspect.signature(task.fn).parameters.items():
            if name in names or parameter.default is parameter.empty:
                continue
            if name in self.params:
                found[name] = self.params[name]
                used.add(name)
        return found

    def _keep(self, keep: Iterable[Any] | str | None, problems: list[str]) -> set[str]:
        produced = {plan.output.name for plan in self.plans if plan.output is not None}
        if keep is None:
            return set()
        if keep == "all":
            return produced
        if isinstance(keep, str):
            keep = [keep]
        names: set[str] = set()
        for item in keep:
            name = item if isinstance(item, str) else getattr(item, "name", None)
            if not isinstance(name, str) or name not in produced:
                problems.append(
                    f"keep= names {item!r}, which no task of pipeline {self.label} produces"
                )
            else:
                names.add(name)
        return names

    def validation_mode(self, dataset: Dataset[Any], problems: list[str] | None = None) -> str:
        """The dataset's ``validate=``, else the project's ``[tool.glacier] validate``."""
        if dataset.validate is not None:
            return dataset.validate
        if self._validate_default is None:
            from pathlib import Path

            from glacier.config import ConfigError, load_settings

            try:
                self._validate_default = load_settings(Path(self.project_root)).validate
            except ConfigError as error:
                if problems is not None:
                    problems.append(str(error))
                return "error"
        return self._validate_default

    def final_datasets(self) -> list[str]:
        """Datasets produced and consumed by no task, plus those kept."""
        return list(self._final_names)

    def _final_datasets(self) -> list[str]:
        consumed = {dataset for plan in self.plans for _, dataset in plan.inputs}
        names = [
            plan.output.name
            for plan in self.plans
            if plan.output is not None
            and (plan.output.name not in consumed or plan.output.name in self.keep)
        ]
        return list(dict.fromkeys(names))

    # -- before the first task --------------------------------------------------------

    def check_inputs(self) -> None:
        """Every external input that must be read exists; fills in given inputs.

        Raises:
            RunSetupError: naming each missing dataset and its URI.
        """
        from glacier.storage import StorageError, dataset_exists

        problems: list[str] = []
        by_name = {d.name: d for d in self.pipeline.datasets}
        produced = {plan.output.name for plan in self.plans if plan.output is not None}
        for name, value in self.given.items():
            self.values[name] = value
            if self.cache_root is not None:
                self.keys[name] = _value_key(value)
                if self.keys[name] is None:
                    self._notice_uncacheable_input(name, value)
        if self.given:
            from glacier.schemas import check_given

            problems += check_given(
                [(by_name[name], value) for name, value in self.given.items()],
                self.validation_mode,
            )
        for plan in self.plans:
            for _, name in plan.inputs:
                if name in self.values or name in produced:
                    continue
                dataset = by_name[name]
                if dataset.storage is None:
                    problems.append(
                        f"dataset `{name}` has no producer in pipeline {self.label} and no "
                        "storage: pass it with inputs= (or --input NAME=URI)"
                    )
                    self.values[name] = None
                    continue
                try:
                    exists = dataset_exists(dataset)
                except StorageError as error:
                    problems.append(str(error))
                    self.values[name] = None
                    continue
                if not exists:
                    problems.append(
                        f"external input `{name}` is missing: nothing at {dataset.storage.uri}; "
                        "write it there first or pass it with inputs= (or --input NAME=URI)"
                    )
                self.values[name] = _Pending(dataset, check=dataset.schema is not None)
                if self.cache_root is not None:
                    from glacier.storage import content_key

                    try:
                        self.keys[name] = content_key(dataset)
                    except StorageError:
                        self.keys[name] = None
        if problems:
            raise RunSetupError(problems)

    def _notice_uncacheable_input(self, name: str, value: Any) -> None:
        """An ``inputs=`` value that cannot be pickled has no cache key: say once which
        tasks therefore run every time, instead of silently never caching them."""
        consumers = [
            f"`{plan.name}`"
            for plan in self.plans
            if plan.cacheable and any(dataset == name for _, dataset in plan.inputs)
        ]
        if not consumers:
            return
        print(
            f"glacier: inputs= value of `{name}` ({type(value).__name__}) cannot be pickled, "
            f"so it has no cache key: {', '.join(consumers)} of pipeline {self.label} "
            "run every time (not cached). Pass a picklable value (for example a path or "
            "settings instead of an open connection) to cache them.",
            file=capture.original_stderr(),
        )

    def ready_at_start(self) -> list[int]:
        """Positions of the tasks that can start at once, in execution order."""
        return [p for p in self.order if not self.waiting[p]]

    # -- events ----------------------------------------------------------------------

    def wants(self, kind: type[RunEvent]) -> bool:
        """Whether any listener takes events of ``kind`` (else they need not be made)."""
        routes = self._routes
        if routes is None:
            routes = self._route()
        return bool(routes.get(kind, self.listeners))

    def _route(self) -> dict[type[RunEvent], list[Listener]]:
        """Which listeners take each kind of event (a listener's ``event_kinds``, else all)."""
        routes: dict[type[RunEvent], list[Listener]] = {}
        for kind in EVENT_KINDS:
            routes[kind] = [
                listener
                for listener in self.listeners
                if kind in getattr(listener, "event_kinds", EVENT_KINDS)
            ]
        self._routes = routes
        return routes

    def emit(self, event: RunEvent) -> None:
        routes = self._routes
        if routes is None:
            routes = self._route()
        for listener in routes.get(type(event), self.listeners):
            try:
                listener(event)
            except Exception as error:  # noqa: BLE001 - a broken listener must not break the run
                self.listeners = [x for x in self.listeners if x is not listener]
                self._route()
                print(
                    f"glacier: a run listener failed and was removed: {type(error).__name__}: "
                    f"{error}",
                    file=capture.original_stderr(),
                )

    def start(self) -> None:
        self._route()  # the listeners are those of the run from now on
        self.started = time.perf_counter()
        self._wall_start = time.time()
        self.emit(
            RunStarted(
                self.run_id,
                self._wall_start,
                self.label,
                self.executor,
                self.project_root,
                dict(self.params),
                [self.plans[p] for p in self.order],
                {d.name: d for d in self.pipeline.datasets},
            )
        )

    def task_started(self, plan: TaskPlan, attempt: int = 1) -> None:
        if self.wants(TaskStarted):
            self.emit(TaskStarted(self.run_id, time.time(), plan.id, plan.name, attempt))

    def task_retried(self, plan: TaskPlan, attempt: int, error: BaseException) -> None:
        self.emit(TaskRetried(self.run_id, time.time(), plan.id, plan.name, attempt, error))

    # -- after each task --------------------------------------------------------------

    def inputs_for(self, plan: TaskPlan) -> tuple[TaskInputs, list[str | None]]:
        """The task's keyword arguments and its inputs' cache keys.

        For a task the cache may serve, the arguments come as a function that reads them,
        which `execute_task` calls only on a miss: a fully cached run loads nothing.
        """
        if plan.cacheable:
            keys = self.keys
            return partial(self.arguments, plan), [keys.get(d) for _, d in plan.inputs]
        return self.arguments(plan), []

    def arguments(self, plan: TaskPlan) -> dict[str, Any]:
        """The task's keyword arguments: its inputs' values and its run parameters."""
        values = self.values
        kwargs: dict[str, Any] = {}
        for parameter, dataset in plan.inputs:
            value = values[dataset]
            if type(value) is _Pending:
                value = self._load_external(dataset, value)
            kwargs[parameter] = value
        if plan.params:
            kwargs.update(plan.params)
        return kwargs

    def _load_external(self, name: str, pending: _Pending) -> Any:
        from glacier.storage import read_dataset

        with pending.lock:
            value = self.values.get(name, pending)
            if type(value) is not _Pending:
                return value
            value = read_dataset(pending.dataset, location=pending.location)
            if pending.check:
                mode = self.validation_mode(pending.dataset)
                if mode != "off":
                    from glacier.schemas import check_dataset

                    check_dataset(pending.dataset, value, mode, strict=False)
            self.values[name] = value
            return value

    def complete(self, plan: TaskPlan, outcome: Outcome) -> list[int]:
        """Record how a task ended; returns the positions that can start now.

        Call it from one thread at a time (the executor's scheduling lock).
        """
        position = plan.position
        self.finished[position] = True
        self.outcomes[position] = outcome
        now = time.time()
        status = outcome.status
        if status == "failed":
            self.emit(
                TaskFailed(
                    self.run_id,
                    now,
                    plan.id,
                    plan.name,
                    outcome.duration,
                    outcome.attempts,
                    outcome.error or RuntimeError("failed"),
                    outcome.traceback,
                    outcome.log,
                    outcome.started,
                )
            )
            self._release_inputs(plan)
            self._skip_after(plan)
            return []
        if status == "cached":
            self.emit(
                TaskCached(
                    self.run_id, now, plan.id, plan.name, outcome.key or "", outcome.output_uri
                )
            )
        else:
            self.emit(
                TaskSucceeded(
                    self.run_id,
                    now,
                    plan.id,
                    plan.name,
                    outcome.duration,
                    outcome.attempts,
                    outcome.output_uri,
                    outcome.log,
                    outcome.started,
                )
            )
        output = plan.output
        if output is not None and (plan.consumers or output.name in self._finals):
            self.values[output.name] = outcome.value
            if self.cache_root is not None:
                self.keys[output.name] = outcome.key
        outcome.value = None  # the values table owns it now, until its last consumer
        if plan.inputs:
            self._release_inputs(plan)
        consumers = plan.consumers
        if not consumers:
            return []
        ready: list[int] = []
        waiting = self.waiting
        finished = self.finished
        for consumer in consumers:
            left = waiting[consumer] - 1
            waiting[consumer] = left
            if not left and not finished[consumer]:
                ready.append(consumer)
        return ready

    def _release_inputs(self, plan: TaskPlan) -> None:
        readers = self._readers
        for _, dataset in plan.inputs:
            left = readers[dataset] - 1
            readers[dataset] = left
            if not left and dataset not in self.keep and dataset not in self._finals:
                self.values.pop(dataset, None)

    def _skip_after(self, failed: TaskPlan) -> None:
        stack = list(failed.consumers)
        while stack:
            position = stack.pop()
            if self.finished[position]:
                continue
            self.finished[position] = True
            plan = self.plans[position]
            self.skipped_because[position] = failed.id
            self.emit(TaskSkipped(self.run_id, time.time(), plan.id, plan.name, failed.id))
            self._release_inputs(plan)
            stack.extend(plan.consumers)

    def skip_unfinished(self) -> None:
        """After an interruption: every task that did not end is skipped."""
        for position in self.order:
            if not self.finished[position]:
                self.finished[position] = True
                plan = self.plans[position]
                self.emit(TaskSkipped(self.run_id, time.time(), plan.id, plan.name, None))

    def _task_run(self, position: int) -> TaskRun:
        plan = self.plans[position]
        outcome = self.outcomes[position]
        if outcome is None:
            return TaskRun(plan.id, plan.name, skipped_because=self.skipped_because.get(position))
        return TaskRun(
            plan.id,
            plan.name,
            outcome.status,
            outcome.error,
            outcome.duration,
            outcome.attempts,
            outcome.output_uri,
            outcome.key,
            outcome.log,
            None,
            outcome.started,
        )

    def finish(self) -> RunResult:
        """The run's result; emits the end of the run."""
        if self.interrupted:
            self.skip_unfinished()
        duration = time.perf_counter() - self.started
        outputs: dict[str, Any] = {}
        for name in self._final_names:
            if name in self.values:
                value = self.values[name]
                if type(value) is _Pending:
                    try:
                        value = self._load_external(name, value)
                    except GlacierError:
                        continue  # a cached final output that cannot be read back
                outputs[name] = value
        runs = [self._task_run(p) for p in self.order]
        result = RunResult(
            run_id=self.run_id,
            pipeline=self.label,
            tasks=TaskRuns(runs),
            outputs=Outputs(outputs),
            duration=duration,
            interrupted=self.interrupted,
            params=dict(self.params),
        )
        status = (
            "interrupted" if self.interrupted else ("succeeded" if result.succeeded else "failed")
        )
        self.emit(RunFinished(self.run_id, time.time(), status, duration, result.counts()))
        return result


# -- executing one task (wherever it runs) ---------------------------------------------


def direct_call(fn: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    """Call the task in this thread, keeping what it prints and logs."""
    return fn(**kwargs)


def execute_task(
    plan: TaskPlan,
    kwargs: TaskInputs,
    input_keys: Sequence[str | None],
    context: RunContext,
    *,
    call: TaskCall = direct_call,
    on_attempt: Callable[[int], None] | None = None,
    on_retry: Callable[[int, BaseException], None] | None = None,
) -> Outcome:
    """Run one task: cache look-up, attempts (with retries), commit of its output.

    ``kwargs`` may be a function that reads them: it is called only when the cache misses.
    Only the task's own errors and storage errors end in a failed outcome (an error reading
    the inputs propagates, as does a ``KeyboardInterrupt``).
    """
    key: str | None = None
    if plan.cacheable and context.cache_root is not None:
        if all(k is not None for k in input_keys):
            key = _digest([plan.static_key or "", *(k or "" for k in input_keys)])
            hit = _cache_lookup(plan, key, context)
            if hit is not None:
                value, uri = hit
                return Outcome("cached", value, key, 0, 0.0, time.time(), output_uri=uri)
    if not isinstance(kwargs, dict):
        kwargs = kwargs()
    started_wall = time.time()
    started = time.perf_counter()
    attempts = 0
    chunks = capture.start_task()
    fn = plan.fn
    direct = call is direct_call
    try:
        while True:
            attempts += 1
            if on_attempt is not None and attempts > 1:
                on_attempt(attempts)
            try:
                value = fn(**kwargs) if direct else call(fn, kwargs)
                break
            except Exception as error:  # noqa: BLE001 - user code and libraries raise anything
                if attempts > plan.retries:
                    return Outcome(
                        "failed",
                        None,
                        key,
                        attempts,
                        time.perf_counter() - started,
                        started_wall,
                        error,
                        user_traceback(error),
                        capture.as_lines(chunks),
                    )
                if on_retry is not None:
                    on_retry(attempts, error)
    finally:
        capture.stop_task()
    duration = time.perf_counter() - started
    log = capture.as_lines(chunks) if chunks else ()
    if plan.validation != "off":
        from glacier.schemas import check_dataset

        try:
            warning = check_dataset(plan.output, value, plan.validation)
        except GlacierError as error:
            return Outcome("failed", None, key, attempts, duration, started_wall, error, "", log)
        if warning is not None:
            log = (*log, warning)
    if plan.output is None:
        if key is not None:
            _mark_done(context, plan, key)
        return Outcome("succeeded", None, key, attempts, duration, started_wall, log=log)
    if (
        context.cache_root is None
        and plan.output.storage is None
        and context.handoff_root is None
    ):
        return Outcome("succeeded", value, None, attempts, duration, started_wall, log=log)
    try:
        uri = _commit(plan, value, key, context)
        if context.handoff_root is not None:
            value = _read_back(plan, uri)
    except GlacierError as error:
        return Outcome("failed", None, key, attempts, duration, started_wall, error, "", log)
    if key is None and context.cache_root is not None:
        key = _value_key(value)  # consumers of a task that is never cached still key on it
    return Outcome(
        "succeeded", value, key, attempts, duration, started_wall, log=log, output_uri=uri
    )


def _commit(plan: TaskPlan, value: Any, key: str | None, context: RunContext) -> str | None:
    """Write the output to its storage, else to the run cache; returns where it went."""
    from glacier.storage import StorageError, write_dataset

    output = plan.output
    assert output is not None
    if output.storage is not None:
        write_dataset(output, value, run_id=context.run_id, task_id=plan.id, cache_key=key)
        return output.storage.uri
    if key is None or context.cache_root is None:
        if context.handoff_root is None:
            return None
        location = f"{context.handoff_root}{_safe(plan.id)}/"
    else:
        location = _cache_location(context, plan, key)
    try:
        write_dataset(
            output, value, location=location, run_id=context.run_id, task_id=plan.id, cache_key=key
        )
    except StorageError:
        try:  # values no other codec stores faithfully: pickle, signed by the storage layer
            write_dataset(
                output,
                value,
                location=location,
                format="pickle",
                run_id=context.run_id,
                task_id=plan.id,
                cache_key=key,
            )
        except StorageError:
            if context.handoff_root is not None:
                raise  # it could not be handed on in the cloud either
            return None  # not cacheable (e.g. cannot be pickled): the run goes on
    return location


def _read_back(plan: TaskPlan, uri: str | None) -> Any:
    """The committed value as the next task would read it (glacier.testing's hand-off)."""
    from glacier.storage import read_dataset

    output = plan.output
    assert output is not None
    if output.storage is not None:
        return read_dataset(output)
    return read_dataset(output, location=uri)


def _cache_location(context: RunContext, plan: TaskPlan, key: str) -> str:
    return f"{context.cache_root}{_safe(plan.id)}/{key[:32]}/"


def _cache_lookup(plan: TaskPlan, key: str, context: RunContext) -> tuple[Any, str | None] | None:
    """The cached value and where it is, or ``None`` (a miss, also for a bad signature)."""
    from glacier.storage import StorageError, read_dataset, read_manifest

    output = plan.output
    if output is None:
        return (None, None) if _is_done(context, plan, key) else None
    try:
        if output.storage is not None:
            # A stored output is its own cache entry: its manifest records the key.
            location = None
            manifest = read_manifest(output)
            if manifest is None or manifest.cache_key != key:
                return None
        else:
            location = _cache_location(context, plan, key)
            manifest = read_manifest(output, location=location)
            if manifest is None or manifest.cache_key != key:
                return None
        uri = location or (output.storage.uri if output.storage is not None else None)
        if manifest.format == "pickle":
            # Verified now: an entry whose signature fails is a miss, never code to run.
            return read_dataset(output, location=location), uri
        return _Pending(output, location), uri
    except StorageError:
        return None


def _done_path(context: RunContext, plan: TaskPlan, key: str) -> str:
    return f"{context.cache_root}{_safe(plan.id)}/done-{key[:32]}"


def _done_marker(plan: TaskPlan, key: str) -> bytes:
    """What the cache entry of a task without output holds: the task id and key, signed
    with the user's key, so a planted or foreign marker is a miss like any other entry."""
    from glacier.storage.signing import signing_key

    message = f"glacier-done\0{plan.id}\0{key}".encode("utf-8", "surrogatepass")
    return hmac.new(signing_key(), message, hashlib.sha256).hexdigest().encode()


def _mark_done(context: RunContext, plan: TaskPlan, key: str) -> None:
    import fsspec  # type: ignore[import-untyped]

    path = _done_path(context, plan, key)
    try:
        marker = _done_marker(plan, key)
        fs, inner = fsspec.core.url_to_fs(path)
        fs.makedirs(inner.rsplit("/", 1)[0], exist_ok=True)
        with fs.open(inner, "wb") as handle:
            handle.write(marker)
    except Exception:  # noqa: BLE001 - the cache is an optimisation: a failed write is a later miss
        return


def _is_done(context: RunContext, plan: TaskPlan, key: str) -> bool:
    import fsspec

    try:
        fs, inner = fsspec.core.url_to_fs(_done_path(context, plan, key))
        found = fs.cat_file(inner)
        return hmac.compare_digest(bytes(found), _done_marker(plan, key))
    except Exception:  # noqa: BLE001 - missing, unreadable or unsigned: a miss
        return False


def _safe(task_id: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in task_id)


def _digest(parts: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


def _stable(params: Mapping[str, Any]) -> str:
    try:
        return json.dumps(params, sort_keys=True, default=repr)
    except (TypeError, ValueError):
        return repr(sorted(params.items(), key=lambda item: item[0]))


def _value_key(value: Any) -> str | None:
    """A key for a value that no cache key describes (given inputs, uncached outputs)."""
    try:
        return "value:" + hashlib.sha256(pickle.dumps(value, protocol=5)).hexdigest()
    except Exception:  # noqa: BLE001 - user code and libraries raise anything
        return None


def user_traceback(error: BaseException) -> str:
    """The traceback of a task's exception without Glacier's own frames."""
    frames = traceback.extract_tb(error.__traceback__)
    glacier_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    kept = [f for f in frames if not os.path.abspath(f.filename).startswith(glacier_dir + os.sep)]
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(kept)]
    lines.extend(traceback.format_exception_only(type(error), error))
    return "".join(lines)


def ensure_glacier_folder(project_root: str) -> str:
    """``.glacier/`` in the project, with a ``.gitignore`` that ignores all of it."""
    folder = os.path.join(project_root, ".glacier")
    os.makedirs(folder, exist_ok=True)
    ignore = os.path.join(folder, ".gitignore")
    if not os.path.exists(ignore):
        try:
            with open(ignore, "x", encoding="utf-8") as handle:
                handle.write("# Glacier's run records and cache; not for version control.\n*\n")
        except FileExistsError:
            pass
    return folder


__all__ = [
    "Outcome",
    "RunContext",
    "RunSetupError",
    "Session",
    "TaskCall",
    "TaskInputs",
    "TaskPlan",
    "direct_call",
    "ensure_glacier_folder",
    "execute_task",
    "new_run_id",
    "user_traceback",
]

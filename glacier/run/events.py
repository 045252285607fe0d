"""One stream of events per run: what progress displays, run records and lineage listen to.

An executor (through the run `Session`) emits events in the order things happen;
every listener sees every event of the run. Listen to every run of this process with
`add_listener` (the lineage integration does), or pass listeners to the session.

>>> seen = []
>>> remove = add_listener(lambda event: seen.append(type(event).__name__))
>>> remove()
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from glacier.storage import Storage

#: A listener: called with each event, in the thread that emits it; it must be quick and
#: must not raise (an exception is reported once and the listener is dropped for the run).
#: A listener with an ``event_kinds`` attribute (a collection of event classes) is called
#: with those kinds only, so a run need not even make events that nobody listens to; the
#: listeners of a run are fixed when it starts.
Listener = Callable[["RunEvent"], None]


@dataclass(slots=True)
class DatasetRef:
    """A dataset as listeners see it: its name and where it is stored, if anywhere."""

    name: str
    storage: Storage | None
    schema: str | None = None


@dataclass(slots=True)
class RunEvent:
    """Base of every event: the run it belongs to and when it happened (``time.time()``)."""

    run_id: str
    time: float


@dataclass
class RunStarted(RunEvent):
    """Emitted before any task starts.

    ``tasks``, ``names``, ``reads`` and ``writes`` are derived when first read, so a run
    of thousands of tasks pays for them only when a listener (lineage) asks.
    """

    pipeline: str
    executor: str
    project_root: str
    params: dict[str, Any]
    #: The run's task plans (`glacier.run.session.TaskPlan`), in execution order.
    plans: Sequence[Any] = field(repr=False)
    #: Every dataset of the pipeline by name.
    datasets: dict[str, Any] = field(repr=False)

    @cached_property
    def tasks(self) -> list[str]:
        """Task ids in execution order."""
        return [plan.id for plan in self.plans]

    @cached_property
    def names(self) -> dict[str, str]:
        """Task id -> its name (for displays)."""
        return {plan.id: plan.name for plan in self.plans}

    @cached_property
    def _refs(self) -> dict[str, DatasetRef]:
        return {
            name: DatasetRef(name, dataset.storage, dataset.schema_name)
            for name, dataset in self.datasets.items()
        }

    @cached_property
    def reads(self) -> dict[str, tuple[DatasetRef, ...]]:
        """Task id -> the datasets it reads."""
        refs = self._refs
        return {plan.id: tuple(refs[d] for _, d in plan.inputs) for plan in self.plans}

    @cached_property
    def writes(self) -> dict[str, DatasetRef | None]:
        """Task id -> the dataset it writes, if any."""
        refs = self._refs
        return {
            plan.id: refs[plan.output.name] if plan.output is not None else None
            for plan in self.plans
        }


@dataclass(slots=True)
class TaskEvent(RunEvent):
    """Base of the task events."""

    task_id: str
    task: str


@dataclass(slots=True)
class TaskStarted(TaskEvent):
    attempt: int


@dataclass(slots=True)
class TaskSucceeded(TaskEvent):
    duration: float
    attempts: int
    #: Where its output was committed (the storage or cache folder), if it was.
    output_uri: str | None = None
    log: tuple[str, ...] = ()
    #: When it started (``time.time()``).
    started: float = 0.0


@dataclass(slots=True)
class TaskFailed(TaskEvent):
    duration: float
    attempts: int
    error: BaseException
    #: The formatted traceback of the user's code (Glacier's frames left out).
    traceback: str = ""
    log: tuple[str, ...] = ()
    started: float = 0.0


@dataclass(slots=True)
class TaskRetried(TaskEvent):
    """An attempt failed and another one follows."""

    attempt: int
    error: BaseException


@dataclass(slots=True)
class TaskCached(TaskEvent):
    """The task's result came from the cache; it did not run."""

    cache_key: str
    output_uri: str | None = None


@dataclass(slots=True)
class TaskSkipped(TaskEvent):
    """A task it depends on failed (or the run was interrupted before it started)."""

    #: Id of the failed task that caused it, or ``None`` when the run was interrupted.
    because_of: str | None


@dataclass(slots=True)
class RunFinished(RunEvent):
    #: "succeeded" | "failed" | "interrupted"
    status: str
    duration: float
    #: Status name -> how many tasks ended so.
    counts: dict[str, int]


#: Every kind of event a run emits.
EVENT_KINDS: frozenset[type[RunEvent]] = frozenset(
    {
        RunStarted,
        TaskStarted,
        TaskSucceeded,
        TaskFailed,
        TaskRetried,
        TaskCached,
        TaskSkipped,
        RunFinished,
    }
)

_global_lock = threading.Lock()
_global_listeners: list[Listener] = []


def add_listener(listener: Listener) -> Callable[[], None]:
    """Send the events of every run in this process to ``listener``; returns its remover."""
    with _global_lock:
        _global_listeners.append(listener)

    def remove() -> None:
        with _global_lock:
            if listener in _global_listeners:
                _global_listeners.remove(listener)

    return remove


def global_listeners() -> list[Listener]:
    """The listeners added with `add_listener`, in order."""
    with _global_lock:
        return list(_global_listeners)

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
from typing import Any

from glacier.storage import Storage

#: A listener: called with each event, in the thread that emits it; it must be quick and
#: must not raise (an exception is reported once and the listener is dropped for the run).
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


@dataclass(slots=True)
class RunStarted(RunEvent):
    """Emitted before any task starts."""

    pipeline: str
    #: Task ids in execution order.
    tasks: Sequence[str]
    #: Task id -> its name (for displays).
    names: dict[str, str]
    #: Task id -> the datasets it reads and the one it writes (for lineage).
    reads: dict[str, tuple[DatasetRef, ...]]
    writes: dict[str, DatasetRef | None]
    executor: str
    project_root: str
    params: dict[str, Any] = field(default_factory=dict)


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


@dataclass(slots=True)
class TaskFailed(TaskEvent):
    duration: float
    attempts: int
    error: BaseException
    #: The formatted traceback of the user's code (Glacier's frames left out).
    traceback: str = ""
    log: tuple[str, ...] = ()


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

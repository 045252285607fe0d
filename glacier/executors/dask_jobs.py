"""Scheduling Glacier tasks on dask.distributed: one Dask task each, upstream futures as arguments.

Every job is submitted at once, so Dask's scheduler places them next to their data and nothing
flows through the client. What the client learns comes two ways: each future's state (done,
erred, cancelled) and small progress messages the worker sends while a job runs (started,
retried, succeeded with its duration and attempts). A job's retries run on its worker; a
worker that dies is Dask's business (it reruns the job elsewhere).

This module knows nothing of pipelines or datasets: `glacier.executors.dask` builds the jobs.
"""

from __future__ import annotations

import queue
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from distributed import Client, Future

#: What a job's attempt function returns besides the value: captured log lines etc.
Extras = Mapping[str, Any]


@dataclass(frozen=True)
class DaskJob:
    """One Glacier task, ready to be sent to a worker."""

    #: The Glacier task id; also how failures name their origin.
    task_id: str
    #: A readable prefix of the Dask key (Dask's dashboard groups tasks by it).
    label: str
    #: Called on the worker with the inputs as keyword arguments: ``attempt(**inputs)`` returns
    #: ``(value, extras)``; it commits stored datasets itself. Must pickle (Dask uses cloudpickle).
    attempt: Callable[..., tuple[Any, Extras]]
    #: Parameter name -> the id of the job (or provided value) whose value it receives.
    inputs: Mapping[str, str]
    #: Further attempts after a failure.
    retries: int = 0
    #: Dask resource requirements, or None.
    resources: Mapping[str, float] | None = None


@dataclass
class JobOutcome:
    """What happened to one job."""

    status: Literal["succeeded", "failed", "skipped", "cancelled"]
    attempts: int = 0
    duration: float = 0.0
    #: The task's own exception (failed), or None.
    error: BaseException | None = None
    #: The id of the failed job that made this one skip.
    cause: str | None = None
    extras: Extras = field(default_factory=dict)


class JobFailed(Exception):
    """Carries a job's last exception back to the client with what the client must know."""

    def __init__(
        self, task_id: str, error: BaseException, attempts: int, duration: float, extras: Extras
    ) -> None:
        super().__init__(task_id, error, attempts, duration, extras)
        self.task_id = task_id
        self.error = error
        self.attempts = attempts
        self.duration = duration
        self.extras = extras


class JobListener:
    """Called in the client's calling thread as jobs progress; override what you need."""

    def started(self, task_id: str, attempt: int) -> None:
        """A job's attempt started on a worker."""

    def retried(self, task_id: str, attempt: int, error: str) -> None:
        """An attempt failed (`error`: its text) and another follows."""

    def finished(self, task_id: str, outcome: JobOutcome) -> None:
        """A job reached its final state."""


def run_on_worker(
    attempt: Callable[..., tuple[Any, Extras]],
    topic: str,
    task_id: str,
    retries: int,
    /,
    **inputs: Any,
) -> Any:
    """The Dask task: run the attempts of one job, report progress, return the value."""
    from distributed import get_worker

    send = get_worker().log_event
    start = time.perf_counter()
    number = 1
    while True:
        send(topic, ("started", task_id, number))
        try:
            value, extras = attempt(**inputs)
        except Exception as error:  # noqa: BLE001 - the task's own failure, whatever it is
            if number <= retries:
                send(topic, ("retried", task_id, number, f"{type(error).__name__}: {error}"))
                number += 1
                continue
            duration = time.perf_counter() - start
            raise JobFailed(task_id, _picklable(error), number, duration, {}) from None
        duration = time.perf_counter() - start
        send(topic, ("succeeded", task_id, number, duration, dict(extras)))
        return value


def _picklable(error: BaseException) -> BaseException:
    """The error itself when it survives pickling, else a RuntimeError with its text."""
    from distributed.protocol.pickle import dumps, loads

    try:
        loads(dumps(error))
    except Exception:  # noqa: BLE001 - an exception holding a lock, a socket, a lambda...
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


def run_jobs(
    client: Client,
    jobs: Sequence[DaskJob],
    provided: Mapping[str, Future[Any]],
    wanted: Sequence[str],
    listener: JobListener,
) -> tuple[dict[str, JobOutcome], dict[str, Future[Any]]]:
    """Submit every job, follow them to the end, and return outcomes and the wanted futures.

    Args:
        client: the cluster's client.
        jobs: in an order where each job comes after the jobs it reads.
        provided: id -> a future for values that come from elsewhere (scattered inputs).
        wanted: ids of jobs whose futures the caller keeps (to gather their values).
        listener: told of progress, in this thread.

    A KeyboardInterrupt cancels what has not finished and propagates.
    """
    topic = f"glacier-{uuid.uuid4().hex}"
    inbox: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
    client.subscribe_topic(topic, lambda event: inbox.put(("progress", event[1])))
    keys: dict[str, str] = {}
    futures: dict[str, Future[Any]] = dict(provided)
    pending: list[Future[Any]] = []
    try:
        for job in jobs:
            arguments = {name: futures[source] for name, source in job.inputs.items()}
            key = f"{job.label}-{uuid.uuid4().hex}"
            keys[key] = job.task_id
            future = client.submit(
                run_on_worker,
                job.attempt,
                topic,
                job.task_id,
                job.retries,
                key=key,
                resources=dict(job.resources) if job.resources else None,
                pure=False,
                **arguments,
            )
            future.add_done_callback(
                lambda done, task_id=job.task_id: inbox.put(("done", task_id, done))
            )
            futures[job.task_id] = future
            pending.append(future)
        kept = {task_id: futures[task_id] for task_id in wanted if task_id in futures}
        # Keep no other reference: Dask releases a value once its last reader has run.
        futures.clear()
        pending.clear()
        outcomes = _follow(inbox, {job.task_id for job in jobs}, keys, listener)
    except BaseException:
        client.cancel([future for future in futures.values()] + pending, force=True)
        raise
    finally:
        client.unsubscribe_topic(topic)
    return outcomes, kept


def _follow(
    inbox: queue.SimpleQueue[tuple[Any, ...]],
    task_ids: set[str],
    keys: Mapping[str, str],
    listener: JobListener,
) -> dict[str, JobOutcome]:
    outcomes: dict[str, JobOutcome] = {}
    succeeded: dict[str, tuple[int, float, Extras]] = {}
    finished_futures: set[str] = set()
    while len(outcomes) < len(task_ids):
        message = inbox.get()
        if message[0] == "progress":
            kind, task_id, *rest = message[1]
            if task_id in outcomes:
                continue
            if kind == "started":
                listener.started(task_id, rest[0])
            elif kind == "retried":
                listener.retried(task_id, rest[0], rest[1])
            elif kind == "succeeded":
                succeeded[task_id] = (rest[0], rest[1], rest[2])
                if task_id in finished_futures:
                    _finish(outcomes, listener, task_id, _success(succeeded[task_id]))
            continue
        _, task_id, future = message
        if future.status == "finished":
            finished_futures.add(task_id)
            if task_id in succeeded:
                _finish(outcomes, listener, task_id, _success(succeeded[task_id]))
        elif future.status == "cancelled":
            _finish(outcomes, listener, task_id, JobOutcome("cancelled"))
        else:
            _finish(outcomes, listener, task_id, _failure(task_id, future.exception(), keys))
    return outcomes


def _success(metadata: tuple[int, float, Extras]) -> JobOutcome:
    attempts, duration, extras = metadata
    return JobOutcome("succeeded", attempts=attempts, duration=duration, extras=extras)


def _failure(task_id: str, error: BaseException, keys: Mapping[str, str]) -> JobOutcome:
    from distributed import KilledWorker

    origin: str | None
    if isinstance(error, JobFailed):
        origin = error.task_id
    elif isinstance(error, KilledWorker):
        origin = keys.get(str(error.task))
    else:
        origin = None
    if origin is not None and origin != task_id:
        return JobOutcome("skipped", cause=origin)
    if isinstance(error, JobFailed):
        return JobOutcome(
            "failed",
            attempts=error.attempts,
            duration=error.duration,
            error=error.error,
            extras=error.extras,
        )
    return JobOutcome("failed", attempts=1, error=error)


def _finish(
    outcomes: dict[str, JobOutcome], listener: JobListener, task_id: str, outcome: JobOutcome
) -> None:
    outcomes[task_id] = outcome
    listener.finished(task_id, outcome)

"""What runs on a Dask worker for `DaskExecutor`: one Glacier task, through the run session's code.

`run_task` is the Dask task of one Glacier task. Its inputs are the upstream Dask results,
``(value, cache key)`` pairs that Dask moves between workers; it calls the run's shared
`execute_task` (cache look-up, attempts, retries, commit to storage, all on this worker, with
file systems built here from the URIs) and returns the pair for its own consumers. The client
learns what happened from small messages on the run's topic: ``started`` (only for a task still
running after a moment), ``retried``, and ``finished`` or ``failed`` with the outcome minus its
value. A worker process sends its messages together, a few milliseconds' worth at a time
(`_Courier`), so a run of many short tasks costs the scheduler and the client one message per
batch rather than one per event. A failure also raises `TaskFailedOnWorker`, so Dask never runs
the task's dependents.
"""

from __future__ import annotations

import os
import pickle
import threading
import time
from collections.abc import Callable
from typing import Any

from glacier.run.session import Outcome, RunContext, TaskPlan, _Pending, execute_task

#: ``(value, cache key)``: what a task's Dask task holds on its worker.
Produced = tuple[Any, "str | None"]


class StoredValue:
    """A cached task's value left in storage until a consumer reads it (picklable, unlike the
    session's own lazy value, which holds a lock)."""

    __slots__ = ("dataset", "location")

    def __init__(self, dataset: Any, location: str | None) -> None:
        self.dataset = dataset
        self.location = location

    def __reduce__(self) -> tuple[Any, ...]:
        return (StoredValue, (self.dataset, self.location))

    def read(self) -> Any:
        from glacier.storage import read_dataset

        return read_dataset(self.dataset, location=self.location)


class TaskFailedOnWorker(Exception):
    """A Glacier task failed on a worker (after its retries); carries its outcome."""

    def __init__(self, position: int, outcome: Outcome) -> None:
        super().__init__(position, outcome)
        self.position = position
        self.outcome = outcome

    def __str__(self) -> str:
        return f"task at position {self.position} failed: {self.outcome.error!r}"


class WarnedInput:
    """An external input whose schema check warned (``validate = "warn"``): the value, and the
    warning, which its consumers' messages bring to the client."""

    __slots__ = ("dataset", "value", "warning")

    def __init__(self, value: Any, dataset: str, warning: str) -> None:
        self.value = value
        self.dataset = dataset
        self.warning = warning

    def __reduce__(self) -> tuple[Any, ...]:
        return (WarnedInput, (self.value, self.dataset, self.warning))


def run_task(
    payload: bytes, context: RunContext, topic: str, client_pid: int, *inputs: Produced
) -> Produced:
    """The Dask task of one Glacier task (`payload`: its `TaskPlan`, pickled by the client).

    `inputs` are the upstream results, in the order of the plan's inputs; `client_pid` tells a
    worker in the client's own process (``LocalCluster(processes=False)``), whose output the
    run already captures.
    """
    import cloudpickle  # type: ignore[import-untyped]
    from distributed import get_worker

    from glacier.runtime.importing import importing_user_code

    send = get_worker().log_event
    # Unpickling may import the user's modules: their top-level run() must not run here.
    with importing_user_code():
        plan: TaskPlan = cloudpickle.loads(payload)
    start = _COURIER.announce_later(send, topic, plan.position)
    kwargs: dict[str, Any] = {}
    keys: list[str | None] = []
    warned: list[tuple[str, str]] = []
    for (parameter, _), (value, key) in zip(plan.inputs, inputs, strict=True):
        if type(value) is WarnedInput:
            warned.append((value.dataset, value.warning))
            value = value.value
        kwargs[parameter] = value.read() if type(value) is StoredValue else value
        keys.append(key)
    kwargs.update(plan.params)

    def retried(attempt: int, error: BaseException) -> None:
        _COURIER.announce_now(start)
        _COURIER.post(send, topic, ("retried", plan.position, attempt, _sendable(error)))

    if client_pid != os.getpid():
        _capture_in_this_process()
    outcome = execute_task(
        plan,
        kwargs,
        keys if plan.cacheable else [],
        context,
        on_retry=retried if plan.retries else None,
    )
    value, outcome.value = outcome.value, None
    if type(value) is _Pending:  # a cache hit, read only where a consumer needs it
        value = StoredValue(value.dataset, value.location)
    failed = outcome.status == "failed"
    if failed:
        outcome.error = _sendable(outcome.error)
    _COURIER.finish(start, ("failed" if failed else "finished", plan.position, outcome, warned))
    if failed:
        # Raising makes Dask skip the dependents (it never runs them).
        raise TaskFailedOnWorker(plan.position, outcome)
    return value, outcome.key


_capturing: list[Any] = []


def _capture_in_this_process() -> None:
    """Keep what tasks print and log, from the first task on, for the worker process's lifetime.

    Installing the capture around each task would cost a logging handler per task; outside a
    task it passes everything through untouched. (Never in the client's process, where the
    run's own capture ends with the run.)
    """
    if not _capturing:
        from glacier.run import capture

        with _CAPTURE_LOCK:
            if not _capturing:
                installed = capture.capturing()
                installed.__enter__()
                _capturing.append(installed)


_CAPTURE_LOCK = threading.Lock()

#: A time that never comes.
_NEVER = float("inf")


class _Start:
    """A task's "started" message, sent only if the task is still running at `deadline`."""

    __slots__ = ("deadline", "position", "send", "sent", "topic")

    def __init__(
        self, send: Callable[[str, Any], None], topic: str, position: int, deadline: float
    ) -> None:
        self.send = send
        self.topic = topic
        self.position = position
        self.deadline = deadline
        self.sent = False


class _Courier:
    """Carries this worker process's messages to the runs' clients; one thread per process.

    Messages wait up to `FLUSH` seconds in an outbox and leave together, one Dask event per run:
    each event costs the worker a wake-up of its event loop, the scheduler a message in and out,
    and the client a message, so batching them is what lets short tasks run at Dask's own pace.
    A task that ends within `DELAY` needs no "started" message of its own: the client reports
    its start and its end together when its "finished" (or "failed") message arrives. A display
    still sees every task that runs long enough to be seen running. The thread is woken only
    when something is due before it would wake anyway, so a short task costs it nothing (and a
    "started" message may leave up to `DELAY` late).
    """

    DELAY = 0.1
    FLUSH = 0.02
    IDLE = 1.0

    def __init__(self) -> None:
        self._condition = threading.Condition(threading.Lock())
        #: The running tasks not announced yet, oldest first (all wait the same `DELAY`).
        self._starts: dict[int, _Start] = {}
        #: Topic -> (how to send to it, the messages waiting).
        self._outbox: dict[str, tuple[Callable[[str, Any], None], list[tuple[Any, ...]]]] = {}
        self._flush_at = _NEVER
        #: When the thread wakes next on its own.
        self._wake_at = _NEVER
        #: When the last task started.
        self._active_at = -_NEVER
        self._thread: threading.Thread | None = None

    def announce_later(self, send: Callable[[str, Any], None], topic: str, position: int) -> _Start:
        now = time.monotonic()
        start = _Start(send, topic, position, now + self.DELAY)
        with self._condition:
            self._active_at = now
            self._starts[id(start)] = start
            self._due(start.deadline)
        return start

    def announce_now(self, start: _Start) -> None:
        with self._condition:
            self._announce(start)

    def finish(self, start: _Start, message: tuple[Any, ...]) -> None:
        """Mark the task ended and post its last message."""
        with self._condition:
            self._starts.pop(id(start), None)
            self._post(start.send, start.topic, message)

    def post(self, send: Callable[[str, Any], None], topic: str, message: tuple[Any, ...]) -> None:
        with self._condition:
            self._post(send, topic, message)

    def _post(self, send: Callable[[str, Any], None], topic: str, message: tuple[Any, ...]) -> None:
        box = self._outbox.get(topic)
        if box is None:
            self._outbox[topic] = (send, [message])
        else:
            box[1].append(message)
        if self._flush_at == _NEVER:
            self._flush_at = time.monotonic() + self.FLUSH
            self._due(self._flush_at)

    def _announce(self, start: _Start) -> None:
        self._starts.pop(id(start), None)
        if not start.sent:
            start.sent = True
            self._post(start.send, start.topic, ("started", start.position))

    def _due(self, at: float) -> None:
        """Something is due at `at`: wake (or start) the thread if it would sleep past it."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="glacier-courier", daemon=True)
            self._wake_at = at
            self._thread.start()
        elif at < self._wake_at:
            self._wake_at = at
            self._condition.notify()

    def _flush(self) -> None:
        import cloudpickle

        outbox, self._outbox = self._outbox, {}
        self._flush_at = _NEVER
        for topic, (send, messages) in outbox.items():
            # One pickle for the batch: outcomes and errors (made sendable) are plain objects.
            send(topic, cloudpickle.dumps(messages))

    def _run(self) -> None:
        with self._condition:
            while True:
                now = time.monotonic()
                starts = self._starts
                while starts:
                    oldest = next(iter(starts.values()))
                    if oldest.deadline > now:
                        break
                    self._announce(oldest)
                if self._flush_at <= now:
                    self._flush()
                first_start = next(iter(starts.values())).deadline if starts else _NEVER
                # While tasks keep coming, tick every DELAY, so a new task's start needs no
                # wake-up of its own; after a quiet second, sleep until woken.
                tick = now + self.DELAY if now - self._active_at < self.IDLE else _NEVER
                self._wake_at = min(self._flush_at, first_start, tick)
                self._condition.wait(None if self._wake_at == _NEVER else self._wake_at - now)


_COURIER = _Courier()


def read_input(dataset: Any, key: str | None, validate: str) -> Produced:
    """An external input, read on a worker from its storage and checked as `validate` says.

    A mismatch fails every task that reads the input ("error"), or travels with the value to
    be warned about on the client ("warn"), as when `LocalExecutor` reads it.
    """
    from glacier.storage import read_dataset

    value = read_dataset(dataset)
    if validate == "off" or dataset.schema is None:
        return value, key
    from glacier.schemas import SchemaMismatch, check_dataset

    try:
        # Files are read leniently ("36" in a CSV is an int), as LocalExecutor reads them.
        check_dataset(dataset, value, "error", strict=False)
    except SchemaMismatch as mismatch:
        if validate != "warn":
            raise
        return WarnedInput(value, dataset.name, str(mismatch)), key
    return value, key


def _sendable(error: BaseException | None) -> BaseException | None:
    """The error itself when it survives pickling, else a RuntimeError with its text."""
    if error is None:
        return None
    import cloudpickle

    try:
        cloudpickle.loads(cloudpickle.dumps(error))
    except Exception:  # noqa: BLE001 - an exception holding a lock, a socket, a lambda...
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


def loads_messages(data: bytes) -> list[tuple[Any, ...]]:
    """A batch of messages sent by a worker's `_Courier`, back on the client."""
    messages = pickle.loads(data)
    assert isinstance(messages, list)
    return messages

"""What runs on a Dask worker for `DaskExecutor`: one Glacier task, through the run session's code.

`run_task` is the Dask task of one Glacier task. Its inputs are the upstream Dask results,
``(value, cache key)`` pairs that Dask moves between workers; it calls the run's shared
`execute_task` (cache look-up, attempts, retries, commit to storage, all on this worker, with
file systems built here from the URIs) and returns the pair for its own consumers. The client
learns what happened from small messages on the run's topic: ``started`` (only for a task still
running after a moment, see `_Herald`), ``retried``, and ``finished`` or ``failed`` with the
outcome minus its value. A failure also raises
`TaskFailedOnWorker`, so Dask never runs the task's dependents.
"""

from __future__ import annotations

import heapq
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


def run_task(
    payload: bytes, context: RunContext, topic: str, inputs: dict[str, Produced]
) -> Produced:
    """The Dask task of one Glacier task (`payload`: its `TaskPlan`, pickled by the client)."""
    import cloudpickle  # type: ignore[import-untyped]
    from distributed import get_worker

    from glacier.run import capture
    from glacier.runtime.importing import importing_user_code

    send = get_worker().log_event
    # Unpickling may import the user's modules: their top-level run() must not run here.
    with importing_user_code():
        plan: TaskPlan = cloudpickle.loads(payload)
    start = _HERALD.announce_later(send, topic, plan.position)
    kwargs: dict[str, Any] = {}
    keys: list[str | None] = []
    for parameter, _ in plan.inputs:
        value, key = inputs[parameter]
        kwargs[parameter] = value.read() if isinstance(value, StoredValue) else value
        keys.append(key)
    kwargs.update(plan.params)

    def retried(attempt: int, error: BaseException) -> None:
        _HERALD.announce_now(start)
        send(topic, ("retried", plan.position, attempt, _dumps_error(error)))

    with capture.capturing():
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
    announced = _HERALD.finish(start)
    if outcome.status == "failed":
        outcome.error = _sendable(outcome.error)
        send(topic, ("failed", plan.position, cloudpickle.dumps(outcome), announced))
        # Raising makes Dask skip the dependents (it never runs them).
        raise TaskFailedOnWorker(plan.position, outcome)
    send(topic, ("finished", plan.position, cloudpickle.dumps(outcome), announced))
    return value, outcome.key


class _Start:
    """A task's "started" message, sent only if the task is still running at `deadline`."""

    __slots__ = ("deadline", "done", "position", "send", "sent", "topic")

    def __init__(
        self, send: Callable[[str, Any], None], topic: str, position: int, deadline: float
    ) -> None:
        self.send = send
        self.topic = topic
        self.position = position
        self.deadline = deadline
        self.sent = False
        self.done = False

    def __lt__(self, other: _Start) -> bool:
        return self.deadline < other.deadline


class _Herald:
    """Announces the tasks that run for more than a moment; one thread per worker process.

    A task that ends within `DELAY` needs no "started" message of its own: its "finished"
    message says it was not announced, and the client reports both at once. That halves the
    messages through the scheduler for short tasks, and a display still sees every task that
    runs long enough to be seen running.
    """

    DELAY = 0.1

    def __init__(self) -> None:
        self._condition = threading.Condition(threading.Lock())
        self._queue: list[_Start] = []
        self._thread: threading.Thread | None = None

    def announce_later(self, send: Callable[[str, Any], None], topic: str, position: int) -> _Start:
        start = _Start(send, topic, position, time.monotonic() + self.DELAY)
        with self._condition:
            heapq.heappush(self._queue, start)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="glacier-herald", daemon=True
                )
                self._thread.start()
            elif len(self._queue) == 1:
                self._condition.notify()
        return start

    def announce_now(self, start: _Start) -> None:
        with self._condition:
            self._announce(start)

    def finish(self, start: _Start) -> bool:
        """Mark the task ended; whether its "started" message went out."""
        with self._condition:
            start.done = True
            return start.sent

    def _announce(self, start: _Start) -> None:
        if not start.sent and not start.done:
            start.sent = True
            start.send(start.topic, ("started", start.position))

    def _run(self) -> None:
        with self._condition:
            while True:
                if not self._queue:
                    self._condition.wait()
                    continue
                wait = self._queue[0].deadline - time.monotonic()
                if wait > 0:
                    self._condition.wait(wait)
                    continue
                self._announce(heapq.heappop(self._queue))


_HERALD = _Herald()


def read_input(dataset: Any, key: str | None) -> Produced:
    """An external input, read on a worker from its storage."""
    from glacier.storage import read_dataset

    return read_dataset(dataset), key


def _dumps_error(error: BaseException) -> bytes:
    import cloudpickle

    return bytes(cloudpickle.dumps(_sendable(error)))


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


def loads_error(data: bytes) -> BaseException:
    """An error sent by `run_task`, back on the client."""
    error = pickle.loads(data)
    return error if isinstance(error, BaseException) else RuntimeError(repr(error))


def loads_outcome(data: bytes) -> Outcome:
    """An outcome sent by `run_task`, back on the client."""
    outcome = pickle.loads(data)
    assert isinstance(outcome, Outcome)
    return outcome

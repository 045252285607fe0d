"""What runs on a Dask worker for `DaskExecutor`: one Glacier task, through the run session's code.

`run_task` is the Dask task of one Glacier task. Its inputs are the upstream Dask results,
``(value, cache key)`` pairs that Dask moves between workers; it calls the run's shared
`execute_task` (cache look-up, attempts, retries, commit to storage, all on this worker, with
file systems built here from the URIs) and returns the pair for its own consumers. The client
learns what happened from small messages on the run's topic: ``started``, ``retried``, and
``finished`` or ``failed`` with the outcome minus its value. A failure also raises
`TaskFailedOnWorker`, so Dask never runs the task's dependents.
"""

from __future__ import annotations

import pickle
from typing import Any

from glacier.run.session import Outcome, RunContext, TaskPlan, execute_task

#: ``(value, cache key)``: what a task's Dask task holds on its worker.
Produced = tuple[Any, "str | None"]


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
    import cloudpickle
    from distributed import get_worker

    from glacier.run import capture
    from glacier.runtime.importing import importing_user_code

    send = get_worker().log_event
    # Unpickling may import the user's modules: their top-level run() must not run here.
    with importing_user_code():
        plan: TaskPlan = cloudpickle.loads(payload)
    send(topic, ("started", plan.position))
    kwargs: dict[str, Any] = {}
    keys: list[str | None] = []
    for parameter, _ in plan.inputs:
        value, key = inputs[parameter]
        kwargs[parameter] = value
        keys.append(key)
    kwargs.update(plan.params)

    def retried(attempt: int, error: BaseException) -> None:
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
    if outcome.status == "failed":
        outcome.error = _sendable(outcome.error)
        send(topic, ("failed", plan.position, cloudpickle.dumps(outcome)))
        # Raising makes Dask skip the dependents (it never runs them).
        raise TaskFailedOnWorker(plan.position, outcome)
    send(topic, ("finished", plan.position, cloudpickle.dumps(outcome)))
    return value, outcome.key


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

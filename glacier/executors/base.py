"""The executor interface: an executor decides when and where each task of a run runs.

Everything else (validation, inputs, parameters, cache keys, committing outputs,
statuses, events, records) is the run `Session`'s, so every executor gives the same
results, statuses, errors, cache and events.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from glacier.run.session import Session


class Executor(ABC):
    """Runs the tasks of a `Session`.

    ``execute`` must, for each task whose dependencies are done, call
    `glacier.run.session.execute_task` somewhere (with what ``session.inputs_for(plan)`` returns),
    then ``session.complete(plan, outcome)`` in one thread at a time, and start the
    positions it returns; it returns when nothing is running and nothing is ready. A
    ``KeyboardInterrupt`` stops scheduling: let running tasks finish or cancel them,
    then re-raise it.
    """

    #: Shown in run records and events ("local", "dask").
    name: ClassVar[str] = "executor"

    @property
    @abstractmethod
    def slots(self) -> int:
        """How many task slots the executor has (a task takes 1 or more)."""

    def check(self, session: Session) -> list[str]:
        """Problems that stop the run before any task starts (e.g. a task that cannot be sent)."""
        del session
        return []

    @abstractmethod
    def execute(self, session: Session) -> None:
        """Run every task of the session that can run."""

    def describe(self) -> str:
        """A short label for progress displays and records."""
        return f"{self.name} ({self.slots} slots)"

"""What a run returns: `RunResult`, a `TaskRun` per task, and `PipelineRunError`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from glacier.runtime.errors import GlacierError

#: The statuses a task ends with.
STATUSES = ("succeeded", "failed", "skipped", "cached")


@dataclass(slots=True)
class TaskRun:
    """How one task of a run ended.

    Attributes:
        status: ``"succeeded"``, ``"failed"``, ``"skipped"`` or ``"cached"``.
        error: the exception of the last attempt of a failed task, else ``None``.
        duration: seconds spent running it (all attempts), 0 when it did not run.
        attempts: how many times it was called.
    """

    id: str
    name: str
    status: str = "skipped"
    error: BaseException | None = None
    duration: float = 0.0
    attempts: int = 0
    #: Where its output was committed (storage or cache folder URI), if anywhere.
    output_uri: str | None = None
    cache_key: str | None = None
    #: Log lines and printed lines captured while it ran.
    log: tuple[str, ...] = ()
    #: Id of the failed task that made it skip (``None``: not skipped, or interrupted).
    skipped_because: str | None = None
    started: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON summary shape (``glacier run --output-format json``)."""
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "duration": round(self.duration, 6),
            "attempts": self.attempts,
            "error": None if self.error is None else _describe(self.error),
            "output_uri": self.output_uri,
            "skipped_because": self.skipped_because,
        }


class TaskRuns(Mapping[str, TaskRun]):
    """Task runs keyed by task name; a task's id or the `Task` object works as the key too."""

    def __init__(self, runs: list[TaskRun]) -> None:
        self._by_name: dict[str, TaskRun] = {}
        self._by_id: dict[str, TaskRun] = {}
        for run in runs:
            self._by_name.setdefault(run.name, run)
            self._by_id[run.id] = run

    def __getitem__(self, key: object) -> TaskRun:
        if isinstance(key, str):
            found = self._by_name.get(key) or self._by_id.get(key)
        else:
            found = self._by_id.get(str(getattr(key, "id", "")))
        if found is None:
            raise KeyError(key)
        return found

    def __contains__(self, key: object) -> bool:
        try:
            self[key]
        except KeyError:
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def by_id(self) -> dict[str, TaskRun]:
        """Every task run by task id, in execution order."""
        return dict(self._by_id)

    def all(self) -> list[TaskRun]:
        """Every task run, in execution order (also tasks that share a name)."""
        return list(self._by_id.values())


class Outputs(Mapping[str, Any]):
    """Dataset name -> value; a `Dataset` object works as the key too."""

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def __getitem__(self, key: object) -> Any:
        name = key if isinstance(key, str) else getattr(key, "name", key)
        try:
            return self._values[name]  # type: ignore[index]
        except KeyError:
            raise KeyError(
                f"{name!r} is not an output of this run; outputs: {', '.join(self._values)}"
                " (keep= other datasets to get them)"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Outputs({list(self._values)})"


@dataclass
class RunResult:
    """The result of ``pipeline.run()``.

    ``result["metrics"]`` is ``result.outputs["metrics"]``.
    """

    run_id: str
    pipeline: str
    tasks: TaskRuns
    outputs: Outputs
    duration: float
    interrupted: bool = False
    #: Where the run's record is kept (``.glacier/runs.db``), if it was recorded.
    records: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        """Every task succeeded or was cached."""
        return not self.interrupted and all(
            run.status in ("succeeded", "cached") for run in self.tasks.all()
        )

    @property
    def failed(self) -> list[TaskRun]:
        """The failed task runs, in execution order."""
        return [run for run in self.tasks.all() if run.status == "failed"]

    def __getitem__(self, key: object) -> Any:
        return self.outputs[key]

    def counts(self) -> dict[str, int]:
        """How many tasks ended with each status."""
        counts = dict.fromkeys(STATUSES, 0)
        for run in self.tasks.all():
            counts[run.status] = counts.get(run.status, 0) + 1
        return counts

    def summary(self) -> str:
        """One line: ``6 tasks: 5 succeeded, 1 failed in 0.41 s``."""
        counts = self.counts()
        parts = ", ".join(f"{count} {status}" for status, count in counts.items() if count)
        total = sum(counts.values())
        state = "interrupted, " if self.interrupted else ""
        return f"{total} task{'s' if total != 1 else ''}: {state}{parts} in {self.duration:.2f} s"

    def to_dict(self) -> dict[str, Any]:
        """The JSON summary printed by ``glacier run --output-format json``."""
        return {
            "run_id": self.run_id,
            "pipeline": self.pipeline,
            "status": "interrupted"
            if self.interrupted
            else ("succeeded" if self.succeeded else "failed"),
            "duration": round(self.duration, 6),
            "counts": self.counts(),
            "tasks": [run.to_dict() for run in self.tasks.all()],
        }

    def __repr__(self) -> str:
        return f"<RunResult {self.run_id} {self.summary()}>"


class PipelineRunError(GlacierError):
    """A run in which tasks failed; ``.result`` is the whole `RunResult`.

    The message names each failed task and its exception; the first failure's
    exception is chained (``__cause__``).
    """

    def __init__(self, result: RunResult) -> None:
        self.result = result
        failed = result.failed
        lines = [
            f"{len(failed)} task{'s' if len(failed) != 1 else ''} failed in run {result.run_id} "
            f"of pipeline {result.pipeline}:"
        ]
        for run in failed:
            lines.append(f"  {run.name}: {_describe(run.error)}")
        skipped = sum(1 for run in result.tasks.all() if run.status == "skipped")
        if skipped:
            lines.append(f"  ({skipped} dependent task{'s' if skipped != 1 else ''} skipped)")
        super().__init__("\n".join(lines))


class RunInterrupted(KeyboardInterrupt):
    """The run was interrupted (Ctrl-C); ``.result`` holds what finished."""

    def __init__(self, result: RunResult) -> None:
        self.result = result
        super().__init__(f"run {result.run_id} interrupted: {result.summary()}")


def _describe(error: BaseException | None) -> str:
    if error is None:
        return "unknown error"
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__

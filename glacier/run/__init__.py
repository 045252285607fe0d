"""Running pipelines: sessions, events, results, run records and the progress display.

The parts every executor shares; executors themselves live in `glacier.executors`.
"""

from glacier.run.events import (
    EVENT_KINDS,
    DatasetRef,
    Listener,
    RunEvent,
    RunFinished,
    RunStarted,
    TaskCached,
    TaskEvent,
    TaskFailed,
    TaskRetried,
    TaskSkipped,
    TaskStarted,
    TaskSucceeded,
    add_listener,
)
from glacier.run.result import PipelineRunError, RunInterrupted, RunResult, TaskRun
from glacier.run.session import RunSetupError

__all__ = [
    "EVENT_KINDS",
    "DatasetRef",
    "Listener",
    "PipelineRunError",
    "RunEvent",
    "RunFinished",
    "RunInterrupted",
    "RunResult",
    "RunSetupError",
    "RunStarted",
    "TaskCached",
    "TaskEvent",
    "TaskFailed",
    "TaskRetried",
    "TaskRun",
    "TaskSkipped",
    "TaskStarted",
    "TaskSucceeded",
    "add_listener",
]

"""Executors: where and when the tasks of a run execute.

``LocalExecutor`` runs on this machine (threads, or processes); the Dask executor
(extra ``dask``) runs on a Dask cluster. Results, statuses, errors, cache and events
are the same whichever runs them.
"""

from typing import TYPE_CHECKING

from glacier.executors.base import Executor
from glacier.executors.local import LocalExecutor
from glacier.run.result import PipelineRunError, RunResult, TaskRun

if TYPE_CHECKING:
    from glacier.executors.dask import DaskExecutor

__all__ = ["DaskExecutor", "Executor", "LocalExecutor", "PipelineRunError", "RunResult", "TaskRun"]


def __getattr__(name: str) -> object:
    # DaskExecutor needs the `dask` extra: import it only when asked for.
    if name == "DaskExecutor":
        from glacier.executors.dask import DaskExecutor

        return DaskExecutor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

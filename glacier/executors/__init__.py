"""Executors: where and when the tasks of a run execute.

``LocalExecutor`` runs on this machine (threads, or processes); the Dask executor
(extra ``dask``) runs on a Dask cluster. Results, statuses, errors, cache and events
are the same whichever runs them.
"""

from glacier.executors.base import Executor
from glacier.executors.local import LocalExecutor
from glacier.run.result import PipelineRunError, RunResult, TaskRun

__all__ = ["Executor", "LocalExecutor", "PipelineRunError", "RunResult", "TaskRun"]

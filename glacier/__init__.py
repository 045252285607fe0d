"""Glacier: Python data pipelines whose DAG is inferred from type hints.

>>> from glacier import Dataset, task, Pipeline, compute
"""

from glacier import compute, storage
from glacier.compute import ComputeError
from glacier.executors import LocalExecutor
from glacier.run import PipelineRunError, RunResult, RunSetupError, TaskRun
from glacier.runtime import (
    CycleError,
    Dataset,
    GlacierError,
    Pipeline,
    PipelineValidationError,
    Problem,
    Task,
    TaskDefinitionError,
    task,
)
from glacier.task_options import TaskOptionError

__version__ = "0.1.0"

__all__ = [
    "ComputeError",
    "CycleError",
    "Dataset",
    "GlacierError",
    "LocalExecutor",
    "Pipeline",
    "PipelineRunError",
    "PipelineValidationError",
    "Problem",
    "RunResult",
    "RunSetupError",
    "Task",
    "TaskDefinitionError",
    "TaskOptionError",
    "TaskRun",
    "__version__",
    "compute",
    "storage",
    "task",
]

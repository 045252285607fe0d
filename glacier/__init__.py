"""Glacier: Python data pipelines whose DAG is inferred from type hints.

>>> from glacier import Dataset, task, Pipeline, compute
"""

from typing import TYPE_CHECKING, Any

from glacier import compute, storage
from glacier.compute import ComputeError
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

if TYPE_CHECKING:
    from glacier.executors import LocalExecutor
    from glacier.run import PipelineRunError, RunResult, RunSetupError, TaskRun

#: Names imported on first use, so static tools never load the run machinery.
_LAZY = {
    "LocalExecutor": "glacier.executors",
    "PipelineRunError": "glacier.run",
    "RunResult": "glacier.run",
    "RunSetupError": "glacier.run",
    "TaskRun": "glacier.run",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'glacier' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


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

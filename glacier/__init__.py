"""Glacier: Python data pipelines whose DAG is inferred from type hints.

>>> from glacier import Dataset, task, Pipeline, compute
"""

from glacier import compute, storage
from glacier.compute import ComputeError
from glacier.task_options import TaskOptionError
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

__version__ = "0.1.0"

__all__ = [
    "ComputeError",
    "CycleError",
    "Dataset",
    "GlacierError",
    "Pipeline",
    "PipelineValidationError",
    "Problem",
    "Task",
    "TaskDefinitionError",
    "TaskOptionError",
    "__version__",
    "compute",
    "storage",
    "task",
]

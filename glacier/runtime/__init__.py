"""What user code imports: `Dataset`, `task`, `Pipeline` and their errors.

Nothing here is imported by the static analyzer, and nothing here imports it.
"""

from glacier.runtime.dataset import Dataset
from glacier.runtime.errors import (
    CycleError,
    GlacierError,
    PipelineValidationError,
    Problem,
    TaskDefinitionError,
)
from glacier.runtime.pipeline import Pipeline
from glacier.runtime.task import Task, task

__all__ = [
    "CycleError",
    "Dataset",
    "GlacierError",
    "Pipeline",
    "PipelineValidationError",
    "Problem",
    "Task",
    "TaskDefinitionError",
    "task",
]

"""Compile a pipeline to infrastructure: one target-independent plan, rendered by a target.

`make_plan` reads the project model (from the analyzer or the runtime alike); a
`glacier.targets.base.Target` turns the plan into files; `Deployment` writes them.
"""

from glacier.compile.deployment import Deployment, compile_project, write_files
from glacier.compile.plan import (
    CompileError,
    Plan,
    PlannedDataset,
    PlannedTask,
    make_plan,
    select_pipeline,
)

__all__ = [
    "CompileError",
    "Deployment",
    "Plan",
    "PlannedDataset",
    "PlannedTask",
    "compile_project",
    "make_plan",
    "select_pipeline",
    "write_files",
]

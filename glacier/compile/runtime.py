"""`Pipeline.compile`: the runtime's project model through the same path as the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from glacier.compile.deployment import Deployment, compile_project
from glacier.compile.plan import CompileError

if TYPE_CHECKING:
    from glacier.runtime.pipeline import Pipeline
    from glacier.targets.base import Target


def compile_pipeline(pipeline: Pipeline, target: Target) -> Deployment:
    """Validate ``pipeline`` and compile it with the options of its project's pyproject.toml.

    Raises:
        PipelineValidationError: if the pipeline is invalid.
        CompileError: if the options are bad or the target cannot deploy the pipeline.
    """
    from glacier.config import ConfigError, load_settings
    from glacier.targets.base import Target

    if not isinstance(target, Target):
        raise TypeError(
            f"compile() takes a target such as AWSTarget(), got {type(target).__name__}"
        )
    pipeline.validate()
    info = pipeline.info()
    filename = Path(info.span.filename) if info.span is not None else Path.cwd()
    try:
        settings = load_settings(filename)
    except ConfigError as error:
        raise CompileError([str(error)]) from None
    from glacier.compile.plan import project_root

    return compile_project(
        pipeline.to_project(),
        info,
        project_root(settings.root, filename),
        target,
        settings.target_options,
        str(settings.root / "pyproject.toml"),
    )

"""`glacier compile PATH --target aws --out DIR`: infrastructure from source, no code imported."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from glacier.cli.exit_codes import ExitCode

if TYPE_CHECKING:
    from glacier.config import Settings
    from glacier.diagnostics import Diagnostic
    from glacier.model import PipelineInfo, Project

HELP = "compile a pipeline to infrastructure files from source (never imports or runs your code)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from glacier.targets import TARGETS

    parser.add_argument("path", metavar="PATH", help="the file or folder defining the pipeline")
    parser.add_argument(
        "--target", required=True, choices=sorted(TARGETS), help="where the pipeline will run"
    )
    parser.add_argument(
        "--out", required=True, type=Path, metavar="DIR", help="the folder to write (e.g. infra)"
    )
    parser.add_argument(
        "--pipeline", metavar="NAME", help="the pipeline (name or variable) when PATH has several"
    )
    parser.add_argument("--config", type=Path, metavar="FILE", help="a pyproject.toml to use")
    parser.add_argument(
        "--no-cache", action="store_true", help="do not read or write .glacier_cache"
    )


def run(args: argparse.Namespace) -> ExitCode:
    from glacier.compile import CompileError, compile_project, select_pipeline
    from glacier.config import ConfigError
    from glacier.targets import TARGETS

    path = Path(args.path)
    if not os.path.lexists(path):
        print(f"glacier: error: {path}: no such file or directory", file=sys.stderr)
        return ExitCode.ERROR
    try:
        settings, project, errors = analyze_project(path, args.config, cache=not args.no_cache)
    except ConfigError as error:
        print(f"glacier: error: {error}", file=sys.stderr)
        return ExitCode.ERROR
    try:
        target = TARGETS[args.target]()
        pipeline = select_pipeline(_defined_in(project, path), args.pipeline, str(path))
        blocking = [d for d in errors if d.span.filename in _files_of(project, pipeline)]
        if blocking:
            from glacier.outputs.diagnostics import RenderContext, render

            sys.stdout.write(render("text", tuple(blocking), RenderContext(cwd=Path.cwd())))
            raise CompileError(
                [f"pipeline {pipeline.label} has errors (above); fix them before compiling"]
            )
        deployment = compile_project(
            project,
            pipeline,
            settings.root,
            target,
            settings.target_options,
            str(args.config or settings.root / "pyproject.toml"),
        )
        files = deployment.to_terraform(args.out)
    except CompileError as error:
        for problem in error.problems:
            print(f"glacier: error: {problem}", file=sys.stderr)
        return ExitCode.PROBLEMS
    count = len(deployment.files())
    print(f"wrote {count} files for pipeline `{deployment.plan.pipeline}` to {files}")
    return ExitCode.OK


def analyze_project(
    path: Path, config: Path | None = None, *, cache: bool = True
) -> tuple[Settings, Project, list[Diagnostic]]:
    """Analyse the whole project around ``path`` (up to its ``pyproject.toml``; without
    one, the folder of ``path``).

    Returns the settings, the project model and its error diagnostics.

    Raises:
        ConfigError: if the configuration is invalid.
    """
    from dataclasses import replace

    from glacier.analysis import analyze_paths
    from glacier.compile.plan import project_root
    from glacier.config import load_settings
    from glacier.rules import Severity

    settings = load_settings(path, config)
    if config is None:
        settings = replace(settings, root=project_root(settings.root, path))
    result = analyze_paths([settings.root], settings, cache=cache)
    errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    return settings, result.project, errors


def _defined_in(project: Project, path: Path) -> Project:
    """The project with only the pipelines written in ``path`` (a file or a folder)."""
    from dataclasses import replace

    base = Path(os.path.abspath(path))

    def inside(filename: str) -> bool:
        file = Path(os.path.abspath(filename))
        return file == base or base in file.parents

    pipelines = tuple(p for p in project.pipelines if p.span and inside(p.span.filename))
    return replace(project, pipelines=pipelines)


def _files_of(project: Project, pipeline: PipelineInfo) -> set[str]:
    members = {node.id for node in pipeline.graph.tasks}
    files = {t.span.filename for t in project.tasks if t.id in members and t.span is not None}
    if pipeline.span is not None:
        files.add(pipeline.span.filename)
    return files

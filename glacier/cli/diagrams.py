"""`glacier diagrams`: keep the pictures listed in ``[[tool.glacier.diagrams]]`` up to date.

This is the ``glacier-graph`` pre-commit hook. Like a formatter, it rewrites a stale
picture and exits 1, so the commit stops until the new picture is staged.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from glacier.cli.exit_codes import ExitCode
from glacier.cli.graph import SUFFIXES, RenderError, render, select_pipelines
from glacier.config import ConfigError, Diagram, Settings, load_settings
from glacier.model import Project, display_path

HELP = "regenerate the diagrams listed in [tool.glacier.diagrams]; exit 1 when one changed"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, metavar="FILE", help="a pyproject.toml to use")
    parser.add_argument(
        "--check", action="store_true", help="report stale diagrams without rewriting them"
    )


def run(args: argparse.Namespace) -> ExitCode:
    try:
        settings = load_settings(Path.cwd(), args.config)
    except ConfigError as error:
        return _error(str(error))
    if not settings.diagrams:
        print(
            "glacier diagrams: no diagrams configured; add [[tool.glacier.diagrams]] with "
            '`output = "docs/dag.svg"` to pyproject.toml',
            file=sys.stderr,
        )
        return ExitCode.OK
    stale: list[str] = []
    # Paths in pictures (tooltips) are relative to the project root, wherever the hook runs.
    with _working_directory(settings.root):
        for diagram in settings.diagrams:
            try:
                content = _draw(diagram, settings)
            except (RenderError, ValueError) as error:
                return _error(f"{display_path(str(diagram.output), settings.root)}: {error}")
            shown = display_path(str(diagram.output), settings.root)
            if _current(diagram.output) == content:
                continue
            stale.append(shown)
            if args.check:
                print(f"glacier diagrams: {shown} is out of date", file=sys.stderr)
                continue
            diagram.output.parent.mkdir(parents=True, exist_ok=True)
            diagram.output.write_bytes(content)
            print(f"glacier diagrams: updated {shown}", file=sys.stderr)
    if stale:
        return ExitCode.PROBLEMS
    count = len(settings.diagrams)
    plural = "s" if count != 1 else ""
    print(f"glacier diagrams: {count} diagram{plural} up to date", file=sys.stderr)
    return ExitCode.OK


def _draw(diagram: Diagram, settings: Settings) -> bytes:
    """The picture's bytes, exactly as `glacier-graph` would write them.

    Raises:
        ValueError: for an unknown format or pipeline.
        RenderError: when Graphviz is missing or fails.
    """
    from glacier.analysis import analyze_scope

    suffix = diagram.output.suffix.lower()
    fmt = diagram.format or ("mermaid" if suffix == ".md" else SUFFIXES.get(suffix))
    if fmt is None:
        raise ValueError(f'cannot tell the format from `{suffix}`; set `format = "svg"`')
    project = analyze_scope(list(diagram.paths), settings).project()
    if diagram.pipeline is not None:
        chosen = select_pipelines(project.pipelines, diagram.pipeline)
        if not chosen:
            raise ValueError(f"no pipeline named `{diagram.pipeline}`")
        project = Project(project.datasets, project.tasks, chosen)
    content = render(project, fmt, diagram.datasets, None, str(diagram.output))
    if isinstance(content, bytes):
        return content
    if suffix == ".md":
        content = f"```mermaid\n{content}```\n"
    return content.encode("utf-8")


def _current(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


@contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def _error(message: str) -> ExitCode:
    print(f"glacier diagrams: {message}", file=sys.stderr)
    return ExitCode.ERROR

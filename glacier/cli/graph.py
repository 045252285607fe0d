"""`glacier graph` / `glacier-graph`: draw pipelines from source, without running them.

Exit codes as `glacier check`: 0 drawn, 1 drawn but the code has error diagnostics,
2 usage error or internal failure (including no Graphviz at all for svg/png/pdf).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from glacier.cli.exit_codes import ExitCode
from glacier.model import PipelineInfo, Project, display_path
from glacier.rules import Severity

if TYPE_CHECKING:
    from glacier.outputs.graph.style import DatasetMode

HELP = "draw pipelines as SVG (default), PNG, PDF, DOT, Mermaid, JSON or ASCII"

FORMATS = ("svg", "png", "pdf", "dot", "mermaid", "json", "ascii")
BINARY_FORMATS = ("png", "pdf")
#: ``-o FILE`` suffixes that choose the format when ``--format`` is not given.
SUFFIXES = {
    ".svg": "svg",
    ".png": "png",
    ".pdf": "pdf",
    ".dot": "dot",
    ".gv": "dot",
    ".mmd": "mermaid",
    ".mermaid": "mermaid",
    ".json": "json",
    ".txt": "ascii",
}
#: ASCII width when standard output is not a terminal.
DEFAULT_WIDTH = 100

_EPILOG = """\
examples:
  glacier-graph examples/analytics > dag.svg
  glacier-graph src/ --pipeline nightly --format png -o nightly.png
  glacier-graph pipeline.py --format mermaid >> README.md
  glacier-graph pipeline.py --format ascii

exit status: 0 drawn; 1 drawn, but the code has errors (see `glacier check`);
2 usage error, unknown pipeline, no Graphviz to draw with, or internal error.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = _EPILOG
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files, folders or packages to analyze (default: the current directory)",
    )
    parser.add_argument(
        "--pipeline",
        metavar="NAME",
        help="draw only this pipeline (its name= or the variable it is bound to); "
        "by default every pipeline is drawn, one cluster each",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="output format (default: from the -o suffix, else svg)",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE instead of standard output",
    )
    parser.add_argument(
        "--datasets",
        choices=("nodes", "edges", "auto"),
        default="auto",
        help="draw datasets as their own nodes or as edge labels (default: auto, which "
        "uses edge labels above 60 tasks)",
    )
    parser.add_argument("--config", type=Path, metavar="FILE", help="a pyproject.toml to use")
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="do not read or write the analyzer's cache (kept per user, outside the project)",
    )
    parser.add_argument(
        "--width",
        type=int,
        metavar="COLUMNS",
        help="width of --format ascii (default: the terminal's, else 100)",
    )


def _error(message: str) -> ExitCode:
    print(f"glacier-graph: {message}", file=sys.stderr)
    return ExitCode.ERROR


def run(args: argparse.Namespace) -> ExitCode:
    """Analyze ``args.paths`` and write the picture."""
    output: str | None = args.output if args.output not in (None, "-") else None
    fmt: str = (
        args.format or (SUFFIXES.get(Path(output).suffix.lower()) if output else None) or "svg"
    )
    paths: list[str] = list(args.paths) or ["."]
    missing = [path for path in paths if not Path(path).exists()]
    if missing:
        return _error(f"no such file or directory: {', '.join(missing)}")
    if fmt in BINARY_FORMATS and output is None and sys.stdout.isatty():
        return _error(
            f"refusing to write {fmt.upper()} to a terminal; use -o FILE or redirect "
            f"standard output (e.g. `glacier-graph ... --format {fmt} > dag.{fmt}`)"
        )

    from glacier.analysis import analyze_scope
    from glacier.analysis.engine import ISSUES_URL, InternalError
    from glacier.config import ConfigError, load_settings

    try:
        settings = load_settings(Path(paths[0]), args.config)
    except ConfigError as error:
        return _error(str(error))
    try:
        scope = analyze_scope(paths, settings, cache=not args.no_cache)
    except InternalError as error:
        return _error(str(error))
    except Exception as error:  # noqa: BLE001 - any analyzer failure is an internal error
        return _error(f"internal error while analyzing {' '.join(paths)}: {error!r}")
    failures = scope.failures()
    for failure in failures:
        print(f"glacier-graph: error: {failure}", file=sys.stderr)

    # What the named paths define, with every task their pipelines list, wherever defined.
    project: Project = scope.project()
    diagnostics = scope.diagnostics()
    if args.pipeline is not None:
        chosen = select_pipelines(project.pipelines, args.pipeline)
        if not chosen:
            return _error(unknown_pipeline_message(project.pipelines, args.pipeline))
        project = Project(project.datasets, project.tasks, chosen)
    elif not project.tasks and not project.pipelines:
        print(
            f"glacier-graph: warning: no tasks or pipelines found in {' '.join(paths)}",
            file=sys.stderr,
        )

    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    for diagnostic in errors:
        span = diagnostic.span
        where = f"{display_path(span.filename, Path.cwd())}:{span.line}:{span.column}"
        print(f"{where}: {diagnostic.code} {diagnostic.message}", file=sys.stderr)

    try:
        content = render(project, fmt, args.datasets, args.width, output)
    except RenderError as error:
        print(error, file=sys.stderr)
        return ExitCode.ERROR
    except Exception as error:  # noqa: BLE001 - a renderer bug is an internal error, not a crash
        return _error(
            f"internal error while drawing {fmt.upper()}: {type(error).__name__}: {error}. "
            f"This is a bug in Glacier; please report it at {ISSUES_URL} with "
            "`glacier --version` and the command."
        )

    if output is None:
        try:
            if isinstance(content, bytes):
                sys.stdout.flush()
                sys.stdout.buffer.write(content)
                sys.stdout.buffer.flush()
            else:
                sys.stdout.write(content)
                sys.stdout.flush()
        except BrokenPipeError:
            # The reader went away (`glacier-graph ... | head`): not an error of ours.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
    else:
        try:
            data = content if isinstance(content, bytes) else content.encode("utf-8")
            Path(output).write_bytes(data)  # bytes: the same file on every platform
        except OSError as error:
            return _error(f"cannot write {output}: {error.strerror or error}")
    internal_errors = scope.internal_errors()
    if internal_errors:
        return _error(
            f"Glacier failed on {len(internal_errors)} file(s), so this drawing may be "
            f"incomplete. This is a bug in Glacier; please report it at {ISSUES_URL}."
        )
    if errors:
        return ExitCode.PROBLEMS
    return ExitCode.ERROR if failures and not diagnostics else ExitCode.OK


class RenderError(Exception):
    """A rendering failure with a message ready for the user."""


def render(
    project: Project,
    fmt: str,
    datasets: DatasetMode = "auto",
    width: int | None = None,
    output: str | None = None,
) -> str | bytes:
    """``project`` in ``fmt``: text for dot/mermaid/json/ascii/svg, bytes for png/pdf.

    Raises:
        RenderError: when Graphviz is missing or fails.
    """
    cwd = Path.cwd()
    if fmt == "json":
        from glacier.outputs.graph.json import render_json

        return render_json(project, relative_to=cwd)
    if fmt == "mermaid":
        from glacier.outputs.graph.mermaid import render_mermaid

        return render_mermaid(project, datasets=datasets, relative_to=cwd)
    if fmt == "ascii":
        from glacier.outputs.graph.ascii import render_ascii

        if width is None:
            width = (
                shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns
                if output is None and sys.stdout.isatty()
                else DEFAULT_WIDTH
            )
        return render_ascii(project, width=max(width, 20))
    from glacier.outputs.graph.dot import render_dot

    source = render_dot(project, datasets=datasets, relative_to=cwd)
    if fmt == "dot":
        return source
    from glacier.outputs.graph.svg import GraphvizError, render_image

    try:
        image = render_image(source, "svg" if fmt == "svg" else "png" if fmt == "png" else "pdf")
    except GraphvizError as error:
        raise RenderError(str(error)) from error
    return image.decode("utf-8") if fmt == "svg" else image


def select_pipelines(pipelines: Sequence[PipelineInfo], wanted: str) -> tuple[PipelineInfo, ...]:
    """The pipelines named ``wanted`` (by ``name=``), else bound to a variable ``wanted``."""
    by_name = tuple(p for p in pipelines if p.name == wanted)
    return by_name or tuple(p for p in pipelines if p.variable == wanted)


def unknown_pipeline_message(pipelines: Sequence[PipelineInfo], wanted: str) -> str:
    if not pipelines:
        return f"no pipeline named `{wanted}`: no `Pipeline(...)` found"
    cwd = Path.cwd()
    available = []
    for pipeline in pipelines:
        label = pipeline.name or pipeline.variable or "<unnamed>"
        if pipeline.name and pipeline.variable and pipeline.variable != pipeline.name:
            label += f" (variable `{pipeline.variable}`)"
        if pipeline.span is not None:
            label += f" at {display_path(pipeline.span.filename, cwd)}:{pipeline.span.line}"
        available.append(f"  {label}")
    return f"no pipeline named `{wanted}`; available pipelines:\n" + "\n".join(available)

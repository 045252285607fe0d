"""The ``glacier`` command line: argparse wiring only; each subcommand has its own module."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from glacier import __version__
from glacier.cli import check, compile, diagrams, gc, graph, lsp, rule, runs
from glacier.cli import diff as diff_command
from glacier.cli import lineage as lineage_command
from glacier.cli import run as run_command
from glacier.cli.exit_codes import ExitCode

_SUBCOMMANDS = {
    "check": check,
    "graph": graph,
    "diagrams": diagrams,
    "rule": rule,
    "lsp": lsp,
    "gc": gc,
    "run": run_command,
    "runs": runs,
    "compile": compile,
    "diff": diff_command,
    "lineage": lineage_command,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="glacier",
        description="Check and draw Glacier pipelines from source, without running them.",
    )
    parser.add_argument("--version", action="version", version=f"glacier {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in _SUBCOMMANDS.items():
        sub = commands.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``glacier``; returns the exit code (0 ok, 1 problems found, 2 error)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return ExitCode.OK if exit_.code == 0 else ExitCode.ERROR
    if args.command is None:
        parser.print_help(sys.stderr)
        return ExitCode.ERROR
    try:
        return int(_SUBCOMMANDS[args.command].run(args))
    except Exception as error:  # a bug in Glacier: one message and exit 2, never a traceback
        from glacier.analysis.engine import ISSUES_URL, InternalError, strict

        if strict():
            raise
        if isinstance(error, InternalError):
            print(f"glacier: error: {error}", file=sys.stderr)
        else:
            print(
                f"glacier: error: internal error in `glacier {args.command}`: "
                f"{type(error).__name__}: {error}. This is a bug in Glacier; please report it "
                f"at {ISSUES_URL} with `glacier --version` and the command "
                "(GLACIER_STRICT=1 shows the traceback).",
                file=sys.stderr,
            )
        return ExitCode.ERROR


def graph_main(argv: Sequence[str] | None = None) -> int:
    """The ``glacier-graph`` entry point: the same as ``glacier graph``."""
    return main(["graph", *(sys.argv[1:] if argv is None else argv)])

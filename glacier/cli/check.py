"""`glacier check`: analyse files without running them and report diagnostics."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from glacier.cli.exit_codes import ExitCode
from glacier.outputs.diagnostics import FORMATS, RenderContext, render
from glacier.rules import Severity

HELP = "check pipelines statically (never imports or runs your code)"


def _rules(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", help="files or directories (default: .)"
    )
    parser.add_argument(
        "--output-format",
        choices=FORMATS,
        default=os.environ.get("GLACIER_OUTPUT_FORMAT", "text"),
        help="how to print diagnostics (default: text)",
    )
    parser.add_argument("--config", type=Path, metavar="FILE", help="a pyproject.toml to use")
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="do not read or write the analyzer's cache (kept per user, outside the project)",
    )
    parser.add_argument(
        "--select", action="append", metavar="RULES", help="only these rules (codes or names)"
    )
    parser.add_argument("--ignore", action="append", metavar="RULES", help="skip these rules")
    parser.add_argument(
        "--whole-project",
        action="store_true",
        help="analyse the whole project; report what is in PATHs and the errors of files that "
        "import them (the pre-commit hook)",
    )
    parser.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour text output (default: only on a terminal)",
    )


def _use_color(choice: str) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def run(args: argparse.Namespace) -> ExitCode:
    from glacier.analysis import analyze_scope
    from glacier.analysis.engine import ISSUES_URL, InternalError
    from glacier.config import ConfigError, load_settings

    paths = [Path(p) for p in args.paths] or [Path.cwd()]
    try:
        settings = load_settings(paths[0], args.config)
        settings = settings.with_overrides(select=_rules(args.select), ignore=_rules(args.ignore))
    except ConfigError as error:
        print(f"glacier: error: {error}", file=sys.stderr)
        return ExitCode.ERROR
    missing = [str(p) for p in paths if not os.path.lexists(p)]
    if missing:
        for path in missing:
            print(f"glacier: error: {path}: no such file or directory", file=sys.stderr)
        return ExitCode.ERROR
    try:
        scope = analyze_scope(paths, settings, cache=not args.no_cache)
    except InternalError as error:
        print(f"glacier: error: {error}", file=sys.stderr)
        return ExitCode.ERROR
    failures = scope.failures()
    internal_errors = scope.internal_errors()
    diagnostics = scope.diagnostics(importers=args.whole_project)
    for failure in failures:
        print(f"glacier: error: {failure}", file=sys.stderr)
    context = RenderContext(cwd=Path.cwd(), color=_use_color(args.color))
    if not scope.named and not failures:
        # As ruff words it; "All checks passed!" would claim a check that never happened.
        print("warning: No Python files found under the given path(s)", file=sys.stderr)
        if args.output_format == "text":
            return ExitCode.OK
    sys.stdout.write(render(args.output_format, diagnostics, context))
    if internal_errors:
        print(
            f"glacier: error: Glacier failed on {len(internal_errors)} file(s), so this "
            "check is incomplete. This is a bug in Glacier, not in your code; please report it "
            f"at {ISSUES_URL} with `glacier --version` and the file(s) named above.",
            file=sys.stderr,
        )
        return ExitCode.ERROR
    if any(d.severity is Severity.ERROR for d in diagnostics):
        return ExitCode.PROBLEMS
    if failures and not diagnostics:
        return ExitCode.ERROR
    return ExitCode.OK

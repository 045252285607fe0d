"""`glacier check`: filled in by its issue."""

from __future__ import annotations

import argparse
import sys

from glacier.cli.exit_codes import ExitCode

HELP = "check (not available yet)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*")


def run(args: argparse.Namespace) -> ExitCode:
    print("glacier check is not available in this build yet", file=sys.stderr)
    return ExitCode.ERROR

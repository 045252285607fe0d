"""`glacier graph`: filled in by its issue."""

from __future__ import annotations

import argparse
import sys

from glacier.cli.exit_codes import ExitCode

HELP = "graph (not available yet)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*")


def run(args: argparse.Namespace) -> ExitCode:
    print("glacier graph is not available in this build yet", file=sys.stderr)
    return ExitCode.ERROR

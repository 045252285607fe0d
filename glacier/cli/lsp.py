"""`glacier lsp`: start the language server on standard input/output."""

from __future__ import annotations

import argparse

from glacier.cli.exit_codes import ExitCode

HELP = "start the Glacier language server on stdin/stdout"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stdio", action="store_true", help="use stdin/stdout (the default)")


def run(args: argparse.Namespace) -> ExitCode:
    # Imported here so that `glacier check` never pays for pygls.
    from glacier_lsp import main

    main()
    return ExitCode.OK

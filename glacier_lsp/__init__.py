"""Glacier's language server (``python -m glacier_lsp``); see issue 6."""


def main() -> None:
    """Start the server on standard input/output."""
    raise SystemExit("the Glacier language server is not available in this build yet")

"""Glacier's language server (``python -m glacier_lsp``, ``glacier lsp``) on pygls 2.

Diagnostics (pushed or pulled), hover, navigation, rename, symbols, completion, code actions,
code lenses and the custom ``glacier/graph`` request, all translated from ``glacier.analysis``.
Standard output belongs to the protocol: logs go to standard error and ``window/logMessage``.
"""

from __future__ import annotations

import logging
import os
import sys


def main() -> None:
    """Start the server on standard input/output."""
    logging.basicConfig(
        stream=sys.stderr,
        level=os.environ.get("GLACIER_LSP_LOG", "WARNING").upper(),
        format="glacier-lsp %(levelname)s %(name)s: %(message)s",
    )
    # pygls logs every message it sends at INFO.
    logging.getLogger("pygls").setLevel(logging.WARNING)
    from glacier_lsp.server import create_server

    # The protocol owns the real standard output; anything else that prints goes to stderr.
    protocol_out = sys.stdout.buffer
    sys.stdout = sys.stderr
    create_server().start_io(sys.stdin.buffer, protocol_out)

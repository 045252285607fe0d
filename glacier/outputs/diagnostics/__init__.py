"""Diagnostic outputs: one module per ``--output-format``, each a pure ``render``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from glacier.diagnostics import Diagnostic

FORMATS = ("text", "json", "sarif", "github")


@dataclass(frozen=True)
class RenderContext:
    """What renderers need besides the diagnostics."""

    #: Paths are shown relative to this directory when below it.
    cwd: Path = field(default_factory=Path.cwd)
    color: bool = False
    #: Reads a file's lines for source excerpts (text output); injectable for tests.
    read_lines: Callable[[str], Sequence[str]] | None = None


def render(fmt: str, diagnostics: Sequence[Diagnostic], context: RenderContext) -> str:
    """Render ``diagnostics`` in format ``fmt`` (one of `FORMATS`)."""
    if fmt == "json":
        from glacier.outputs.diagnostics import json as module
    elif fmt == "sarif":
        from glacier.outputs.diagnostics import sarif as module  # type: ignore[no-redef]
    elif fmt == "github":
        from glacier.outputs.diagnostics import github as module  # type: ignore[no-redef]
    else:
        from glacier.outputs.diagnostics import text as module  # type: ignore[no-redef]
    return module.render(diagnostics, context)

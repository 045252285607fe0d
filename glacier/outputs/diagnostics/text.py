"""``--output-format text`` (the default): like ruff, with the source line and a caret."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from glacier.analysis.extract import decode
from glacier.diagnostics import Diagnostic
from glacier.model import display_path
from glacier.rules import Severity

if TYPE_CHECKING:
    from glacier.outputs.diagnostics import RenderContext

_COLORS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36", Severity.HINT: "36"}


def _read_lines(path: str) -> Sequence[str]:
    try:
        with open(path, "rb") as handle:
            return decode(handle.read()).splitlines()
    except (OSError, ValueError):
        return ()


def _paint(text: str, code: str, on: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if on else text


def summary(diagnostics: Sequence[Diagnostic]) -> str:
    """``Found 2 errors, 1 warning.`` or ``All checks passed!``."""
    if not diagnostics:
        return "All checks passed!"
    errors = sum(d.severity is Severity.ERROR for d in diagnostics)
    warnings = sum(d.severity is Severity.WARNING for d in diagnostics)
    others = len(diagnostics) - errors - warnings
    text = f"Found {errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    if others:
        text += f", {others} info"
    return text + "."


def render(diagnostics: Sequence[Diagnostic], context: RenderContext) -> str:
    read = context.read_lines or _read_lines
    cache: dict[str, Sequence[str]] = {}
    color = context.color
    out: list[str] = []
    for d in diagnostics:
        s = d.span
        where = f"{display_path(s.filename, context.cwd)}:{s.line}:{s.column}:"
        code = _paint(d.code, "1;" + _COLORS[d.severity], color)
        out.append(f"{_paint(where, '1', color)} {code} {d.message}")
        lines = cache.setdefault(s.filename, read(s.filename))
        if 0 < s.line <= len(lines):
            source = lines[s.line - 1].expandtabs(1)
            width = len(str(s.line))
            end = s.end_column if s.end_line == s.line else len(source) + 1
            carets = max(end - s.column, 1)
            gutter = " " * width
            out.append(f"{gutter} |")
            out.append(f"{s.line} | {source}")
            marker = " " * (s.column - 1) + "^" * carets
            out.append(f"{gutter} | {_paint(marker, _COLORS[d.severity], color)}")
        for related in d.related:
            r = related.span
            out.append(
                f"  = note: {display_path(r.filename, context.cwd)}:{r.line}:{r.column}: "
                f"{related.message}"
            )
        if d.hint:
            out.append(f"  = help: {d.hint}")
        out.append("")
    out.append(summary(diagnostics))
    return "\n".join(out) + "\n"

"""``--output-format github``: GitHub Actions workflow commands (annotations)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from glacier.diagnostics import Diagnostic
from glacier.model import display_path
from glacier.rules import Severity

if TYPE_CHECKING:
    from glacier.outputs.diagnostics import RenderContext

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(diagnostics: Sequence[Diagnostic], context: RenderContext) -> str:
    lines = []
    for d in diagnostics:
        command = _COMMAND.get(d.severity, "notice")
        s = d.span
        properties = ",".join(
            [
                f"file={escape_property(display_path(s.filename, context.cwd))}",
                f"line={s.line}",
                f"col={s.column}",
                f"endLine={s.end_line}",
                f"endColumn={s.end_column}",
                f"title={escape_property(f'{d.code} {d.rule.name}')}",
            ]
        )
        lines.append(f"::{command} {properties}::{escape_data(d.message)}")
    return "".join(line + "\n" for line in lines)

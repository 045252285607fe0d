"""``--output-format json``: one JSON array, the spec's shape (§3)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from glacier.diagnostics import Diagnostic
from glacier.model import display_path

if TYPE_CHECKING:
    from glacier.outputs.diagnostics import RenderContext


def to_dicts(diagnostics: Sequence[Diagnostic], context: RenderContext) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    for d in diagnostics:
        item: dict[str, Any] = {
            "code": d.code,
            "name": d.rule.name,
            "severity": d.severity.value,
            "message": d.message,
            "filename": display_path(d.span.filename, context.cwd),
            "location": {"row": d.span.line, "column": d.span.column},
            "end_location": {"row": d.span.end_line, "column": d.span.end_column},
        }
        if d.related:
            item["related"] = [
                {
                    "filename": display_path(r.span.filename, context.cwd),
                    "location": {"row": r.span.line, "column": r.span.column},
                    "message": r.message,
                }
                for r in d.related
            ]
        result.append(item)
    return result


def render(diagnostics: Sequence[Diagnostic], context: RenderContext) -> str:
    return json.dumps(to_dicts(diagnostics, context), indent=2, ensure_ascii=False) + "\n"

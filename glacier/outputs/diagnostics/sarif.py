"""``--output-format sarif``: SARIF 2.1.0 for code-scanning uploads."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glacier import __version__
from glacier.diagnostics import Diagnostic
from glacier.model import Span, display_path
from glacier.rules import RULES, Severity

if TYPE_CHECKING:
    from glacier.outputs.diagnostics import RenderContext

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning"}


def _location(span: Span, context: RenderContext, message: str | None = None) -> dict[str, Any]:
    shown = display_path(span.filename, context.cwd)
    uri = shown if not Path(shown).is_absolute() else Path(shown).as_uri()
    location: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": {"uri": uri},
            "region": {
                "startLine": span.line,
                "startColumn": span.column,
                "endLine": span.end_line,
                "endColumn": max(span.end_column, 1),
            },
        }
    }
    if message is not None:
        location["message"] = {"text": message}
    return location


def to_sarif(diagnostics: Sequence[Diagnostic], context: RenderContext) -> dict[str, Any]:
    index = {rule.code: i for i, rule in enumerate(RULES)}
    rules = [
        {
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary},
            "helpUri": rule.url,
            "defaultConfiguration": {"level": _LEVEL.get(rule.severity, "note")},
        }
        for rule in RULES
    ]
    results = []
    for d in diagnostics:
        result: dict[str, Any] = {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": _LEVEL.get(d.severity, "note"),
            "message": {"text": d.message},
            "locations": [_location(d.span, context)],
        }
        if d.related:
            result["relatedLocations"] = [
                {"id": i, **_location(r.span, context, r.message)} for i, r in enumerate(d.related)
            ]
        results.append(result)
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "glacier",
                        "version": __version__,
                        "informationUri": "https://github.com/glacier-dev/glacier",
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": context.cwd.resolve().as_uri() + "/"}},
                "results": results,
            }
        ],
    }


def render(diagnostics: Sequence[Diagnostic], context: RenderContext) -> str:
    return json.dumps(to_sarif(diagnostics, context), indent=2, ensure_ascii=False) + "\n"

"""Diagnostics as data: what every outlet (CLI, LSP, mypy, SARIF...) translates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from glacier.model import Span
from glacier.rules import Rule, Severity


@dataclass(frozen=True)
class Related:
    """Another place that explains a diagnostic, e.g. one task of a cycle."""

    span: Span
    message: str


@dataclass(frozen=True)
class Diagnostic:
    """One finding, located in source."""

    rule: Rule
    message: str
    span: Span
    #: The effective severity, after configuration overrides.
    severity: Severity
    related: tuple[Related, ...] = ()
    #: An optional fix, in the imperative.
    hint: str | None = None
    #: What the diagnostic is about (e.g. ``{"dataset": "raw"}``), for quick fixes and tools
    #: that must not parse the message; JSON-ready values.
    data: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def code(self) -> str:
        return self.rule.code

    def sort_key(self) -> tuple[str, int, int, str, str]:
        """Order by file, position, code, then message, so output is deterministic."""
        span = self.span
        return (span.filename, span.line, span.column, self.rule.code, self.message)

"""`Finding`: a diagnostic before configuration (severity, select, suppression) applies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from glacier.diagnostics import Related
from glacier.model import Span
from glacier.rules import Rule


@dataclass(frozen=True)
class Finding:
    """What a check found, located in source; `glacier.checks.report` turns it into a Diagnostic."""

    rule: Rule
    message: str
    span: Span
    related: tuple[Related, ...] = ()
    hint: str | None = None

    @classmethod
    def of(
        cls,
        rule: Rule,
        span: Span,
        *,
        related: tuple[Related, ...] = (),
        hint: str | None = None,
        **fields: Any,
    ) -> Finding:
        """A finding whose message is the rule's template filled with ``fields``."""
        return cls(rule, rule.format(**fields), span, related, hint)

"""`Finding`: a diagnostic before configuration (severity, select, suppression) applies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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
    #: What the finding is about, for fixes and tools (names, ids): JSON-ready values.
    data: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def of(
        cls,
        rule: Rule,
        span: Span,
        *,
        related: tuple[Related, ...] = (),
        hint: str | None = None,
        data: Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> Finding:
        """A finding whose message is the rule's template filled with ``fields``.

        Its data are the ``fields`` with ``data`` on top (for values the message spells
        differently, or that it does not show).
        """
        return cls(rule, rule.format(**fields), span, related, hint, {**fields, **(data or {})})

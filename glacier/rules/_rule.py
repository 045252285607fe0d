"""The `Rule` record and severities."""

from __future__ import annotations

import enum
import importlib
from dataclasses import dataclass
from typing import Any

DOCS_URL = "https://github.com/glacier-dev/glacier/blob/main/docs/rules.md#{code}"


class Severity(str, enum.Enum):
    """How bad a diagnostic is; the order is from worst to mildest."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    HINT = "hint"


@dataclass(frozen=True)
class Rule:
    """One diagnostic: its stable code, its kebab-case name and its message template."""

    #: Stable code such as ``GLC002``; never renumbered or reused.
    code: str
    #: Kebab-case name such as ``missing-producer``; also the mypy error code suffix.
    name: str
    #: Default severity.
    severity: Severity
    #: ``str.format`` template: one sentence, capitalised, no final period, names in backticks.
    message: str
    #: One line for tables and ``glacier rule --all``.
    summary: str

    def format(self, **fields: Any) -> str:
        """Fill the message template."""
        return self.message.format(**fields)

    @property
    def mypy_code(self) -> str:
        """The mypy error code, ``glacier-<name>``."""
        return f"glacier-{self.name}"

    @property
    def url(self) -> str:
        """Link to the rule's documentation."""
        return DOCS_URL.format(code=self.code.lower())

    @property
    def module_name(self) -> str:
        """The check module that documents (and implements, for static checks) this rule."""
        return "glacier.checks." + self.name.replace("-", "_")

    @property
    def doc(self) -> str:
        """The rule's user documentation: its check module's docstring."""
        module = importlib.import_module(self.module_name)
        return (module.__doc__ or self.summary).strip()

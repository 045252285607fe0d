"""Errors raised by the runtime API; each problem carries its rule's code and name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from glacier.rules import Rule


@dataclass(frozen=True)
class Problem:
    """One problem found in a pipeline or a task definition."""

    rule: Rule
    message: str

    @property
    def code(self) -> str:
        """The rule's code, e.g. ``GLC001``."""
        return self.rule.code

    @property
    def name(self) -> str:
        """The rule's name, e.g. ``cycle``."""
        return self.rule.name

    def __str__(self) -> str:
        return f"{self.code} [{self.name}] {self.message}"


class GlacierError(Exception):
    """Base of Glacier's own errors."""


class PipelineValidationError(GlacierError):
    """A pipeline (or task) has problems; ``problems`` lists every one of them."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        header = f"{count} problem{'s' if count != 1 else ''} found"
        super().__init__("\n".join([header, *(f"  {problem}" for problem in self.problems)]))


class CycleError(PipelineValidationError):
    """The pipeline has a cycle, so it has no execution order."""


class TaskDefinitionError(PipelineValidationError, TypeError):
    """A ``@task`` function's signature does not describe datasets."""

"""Structural problems of a pipeline graph, as typed facts.

The runtime turns them into `PipelineValidationError.problems`, the static checks
into diagnostics; both get the message from the same rule template.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from glacier.rules import CYCLE, DUPLICATE_PRODUCER, MISSING_PRODUCER, Rule

#: Turns a task id into the name shown in messages.
NameOf = Callable[[str], str]


def _quoted(names: list[str]) -> str:
    return ", ".join(f"`{name}`" for name in names)


@dataclass(frozen=True)
class Cycle:
    """Tasks that depend on each other in a loop, in loop order."""

    rule: ClassVar[Rule] = CYCLE
    tasks: tuple[str, ...]

    def message(self, pipeline: str, name_of: NameOf) -> str:
        names = [name_of(task) for task in self.tasks]
        path = " -> ".join(f"`{name}`" for name in [*names, names[0]])
        return self.rule.format(pipeline=pipeline, path=path)

    @property
    def involved(self) -> tuple[str, ...]:
        return self.tasks


@dataclass(frozen=True)
class MissingProducer:
    """A consumed dataset with no producer in the pipeline and no storage."""

    rule: ClassVar[Rule] = MISSING_PRODUCER
    dataset: str
    consumers: tuple[str, ...]

    def message(self, pipeline: str, name_of: NameOf) -> str:
        consumers = _quoted([name_of(task) for task in self.consumers])
        return self.rule.format(dataset=self.dataset, consumers=consumers, pipeline=pipeline)

    @property
    def involved(self) -> tuple[str, ...]:
        return self.consumers


@dataclass(frozen=True)
class DuplicateProducer:
    """A dataset that several tasks of one pipeline produce."""

    rule: ClassVar[Rule] = DUPLICATE_PRODUCER
    dataset: str
    producers: tuple[str, ...]

    def message(self, pipeline: str, name_of: NameOf) -> str:
        producers = _quoted([name_of(task) for task in self.producers])
        return self.rule.format(dataset=self.dataset, producers=producers, pipeline=pipeline)

    @property
    def involved(self) -> tuple[str, ...]:
        return self.producers


GraphProblem = Cycle | MissingProducer | DuplicateProducer

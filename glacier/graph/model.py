"""Frozen value types of the graph core: tasks as nodes, datasets as edge labels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from glacier.graph.problems import GraphProblem


@dataclass(frozen=True)
class Input:
    """A task parameter that consumes a dataset."""

    parameter: str
    dataset: str


@dataclass(frozen=True)
class TaskNode:
    """A task as the graph sees it: an id, a display name, what it reads and writes."""

    #: Module-qualified name, e.g. ``shop.tasks.clean_orders``; unique within a project.
    id: str
    #: The function's name, used in messages.
    name: str
    inputs: tuple[Input, ...]
    #: The dataset the task produces, or ``None`` for a sink without output.
    output: str | None


@dataclass(frozen=True)
class Edge:
    """``source`` produces ``dataset``, which ``target`` consumes."""

    source: str
    target: str
    dataset: str


@dataclass(frozen=True)
class PipelineGraph:
    """The DAG of one pipeline, with everything derived from it computed once."""

    #: Tasks in the order the pipeline lists them (duplicates removed).
    tasks: tuple[TaskNode, ...]
    edges: tuple[Edge, ...]
    #: Execution order (list-index tie-break); empty when the graph has a cycle.
    order: tuple[str, ...]
    sources: tuple[str, ...]
    sinks: tuple[str, ...]
    #: External inputs: consumed, produced by no task, and declared with storage.
    inputs: tuple[str, ...]
    problems: tuple[GraphProblem, ...]
    #: Positions (in ``tasks``) of each task's producers and consumers; the id lists are
    #: derived only when asked for, since validating and ordering never need them.
    _predecessors: Sequence[Sequence[int]] = field(repr=False, compare=False)
    _successors: Sequence[Sequence[int]] = field(repr=False, compare=False)
    _positions: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        positions = {node.id: position for position, node in enumerate(self.tasks)}
        object.__setattr__(self, "_positions", positions)

    @property
    def is_acyclic(self) -> bool:
        """Whether an execution order exists."""
        return len(self.order) == len(self.tasks)

    def task(self, task_id: str) -> TaskNode:
        """The node with this id.

        Raises:
            KeyError: if the pipeline has no such task.
        """
        return self.tasks[self._positions[task_id]]

    def dependencies(self, task_id: str) -> tuple[str, ...]:
        """Ids of the tasks whose output ``task_id`` consumes, in list order."""
        return self._ids(self._predecessors[self._positions[task_id]])

    def consumers(self, task_id: str) -> tuple[str, ...]:
        """Ids of the tasks that consume the output of ``task_id``, in list order."""
        return self._ids(self._successors[self._positions[task_id]])

    def _ids(self, positions: Sequence[int]) -> tuple[str, ...]:
        return tuple(self.tasks[p].id for p in sorted(positions))

    def to_dict(self) -> dict[str, Any]:
        """The graph part of the spec's pipeline JSON shape (§3)."""
        return {
            "tasks": [node.id for node in self.tasks],
            "edges": [
                {"source": e.source, "target": e.target, "dataset": e.dataset} for e in self.edges
            ],
            "order": list(self.order),
            "sources": list(self.sources),
            "sinks": list(self.sinks),
            "inputs": list(self.inputs),
        }

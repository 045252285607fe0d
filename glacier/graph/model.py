"""Frozen value types of the graph core: tasks as nodes, datasets as edge labels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from glacier.graph.problems import GraphProblem


@dataclass(frozen=True, slots=True)
class Input:
    """A task parameter that consumes a dataset."""

    parameter: str
    dataset: str


@dataclass(frozen=True, slots=True)
class TaskNode:
    """A task as the graph sees it: an id, a display name, what it reads and writes."""

    #: Module-qualified name, e.g. ``shop.tasks.clean_orders``; unique within a project.
    id: str
    #: The function's name, used in messages.
    name: str
    inputs: tuple[Input, ...]
    #: The dataset the task produces, or ``None`` for a sink without output.
    output: str | None


@dataclass(frozen=True, slots=True)
class Edge:
    """``source`` produces ``dataset``, which ``target`` consumes."""

    source: str
    target: str
    dataset: str


@dataclass(frozen=True)
class PipelineGraph:
    """The DAG of one pipeline: its problems, the rest derived when first asked for."""

    #: Tasks in the order the pipeline lists them.
    tasks: tuple[TaskNode, ...]
    #: External inputs: consumed, produced by no task, and declared with storage.
    inputs: tuple[str, ...]
    problems: tuple[GraphProblem, ...]
    # Positions in ``tasks``: validating and ordering thousands of tasks is faster without
    # ids, so ``order``, ``edges``, ``sources`` and the rest are derived on demand.
    #: Execution order as positions in ``tasks``, or ``None`` when the graph has a cycle.
    order_positions: Sequence[int] | None = field(repr=False)
    #: For each task, the positions of the tasks that consume its output, ascending.
    _successors: Sequence[Sequence[int]] = field(repr=False, compare=False)

    @property
    def is_acyclic(self) -> bool:
        """Whether an execution order exists."""
        return self.order_positions is not None

    @cached_property
    def order(self) -> tuple[str, ...]:
        """Task ids in execution order (list-index tie-break); empty with a cycle."""
        return tuple(self.tasks[p].id for p in self.order_positions or ())

    @cached_property
    def edges(self) -> tuple[Edge, ...]:
        """Every producer-to-consumer edge, ordered by consumer, then producer."""
        nodes = self.tasks
        edges: list[Edge] = []
        for target, sources in enumerate(self._predecessors):
            for source in sources:
                # A task produces one dataset, so an edge carries its source's output.
                dataset = nodes[source].output
                assert dataset is not None, "a task without output has no consumers"
                edges.append(Edge(nodes[source].id, nodes[target].id, dataset))
        return tuple(edges)

    @cached_property
    def sources(self) -> tuple[str, ...]:
        """Tasks that depend on no other task, in list order."""
        pairs = zip(self.tasks, self._predecessors, strict=True)
        return tuple(node.id for node, before in pairs if not before)

    @cached_property
    def sinks(self) -> tuple[str, ...]:
        """Tasks whose output no task consumes, in list order."""
        pairs = zip(self.tasks, self._successors, strict=True)
        return tuple(node.id for node, after in pairs if not after)

    @cached_property
    def _predecessors(self) -> list[list[int]]:
        """For each task, the positions of the tasks whose output it consumes, ascending."""
        predecessors: list[list[int]] = [[] for _ in self.tasks]
        for source, targets in enumerate(self._successors):
            for target in targets:
                predecessors[target].append(source)
        return predecessors

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {node.id: position for position, node in enumerate(self.tasks)}

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

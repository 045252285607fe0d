"""Execution order and cycle finding: the only implementations in Glacier."""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where needed: only a pipeline with a cycle pays for networkx
    import networkx as nx


def topological_order(
    successors: Sequence[Sequence[int]], indegree: list[int] | None = None
) -> list[int] | None:
    """Order nodes ``0..n-1`` so every edge points forward, ties broken by index.

    This is the lexicographical topological sort keyed by list position: among the
    nodes that are ready, the one listed first in the pipeline runs first.

    Args:
        successors: ``successors[i]`` lists the nodes that depend on node ``i``.
        indegree: how many nodes each node depends on, when the caller counted them
            already; the list is used up.

    Returns:
        The order, or ``None`` when the graph has a cycle.

    >>> topological_order([[2], [], []])
    [0, 1, 2]
    >>> topological_order([[], [0], []])
    [1, 0, 2]
    >>> topological_order([[1], [0]]) is None
    True
    """
    count = len(successors)
    if indegree is None:
        indegree = [0] * count
        for targets in successors:
            for target in targets:
                indegree[target] += 1
    ready = [node for node in range(count) if indegree[node] == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        node = heapq.heappop(ready)
        order.append(node)
        for target in successors[node]:
            indegree[target] -= 1
            if indegree[target] == 0:
                heapq.heappush(ready, target)
    return order if len(order) == count else None


def find_cycles(successors: Sequence[Sequence[int]]) -> list[list[int]]:
    """One loop per strongly connected tangle, each starting at its lowest index.

    A node that is its own successor is a loop of one. Loops are sorted by their first
    node, so the result is deterministic.

    >>> find_cycles([[1], [2], [0], [3]])
    [[0, 1, 2], [3]]
    """
    import networkx as nx

    graph: nx.DiGraph[int] = nx.DiGraph()
    graph.add_nodes_from(range(len(successors)))
    for source, targets in enumerate(successors):
        graph.add_edges_from((source, target) for target in targets)
    loops: list[list[int]] = []
    for component in nx.strongly_connected_components(graph):
        start = min(component)
        if len(component) == 1 and not graph.has_edge(start, start):
            continue
        loops.append(_loop_through(graph, component, start))
    return sorted(loops)


def _loop_through(graph: nx.DiGraph[int], component: set[int], start: int) -> list[int]:
    """A shortest loop from ``start`` back to itself inside one component."""
    if graph.has_edge(start, start):
        return [start]
    # Breadth-first search over successors in index order keeps the loop short and stable.
    parents: dict[int, int] = {}
    frontier = [start]
    while frontier:
        next_frontier: list[int] = []
        for node in frontier:
            for target in sorted(graph.successors(node)):
                if target == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return path[::-1]
                if target in component and target not in parents:
                    parents[target] = node
                    next_frontier.append(target)
        frontier = next_frontier
    raise AssertionError("a strongly connected component always contains a loop")

"""Build a `PipelineGraph` from task nodes: edges, order, problems."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from glacier.graph.model import PipelineGraph, TaskNode
from glacier.graph.order import find_cycles, topological_order
from glacier.graph.problems import Cycle, DuplicateProducer, GraphProblem, MissingProducer


def build_pipeline_graph(
    tasks: Sequence[TaskNode], external: Collection[str] = ()
) -> PipelineGraph:
    """Wire tasks by dataset name, as the pipeline's list gives them.

    Args:
        tasks: the pipeline's tasks in list order, one node per task id.
        external: names of datasets that declare storage, so a pipeline may read them
            without producing them.

    Returns:
        The graph; problems (cycles, missing and duplicate producers) are recorded in
        ``problems`` rather than raised.

    >>> a = TaskNode("m.a", "a", (), "x")
    >>> from glacier.graph.model import Input
    >>> b = TaskNode("m.b", "b", (Input("data", "x"),), None)
    >>> graph = build_pipeline_graph([b, a])
    >>> graph.order
    ('m.a', 'm.b')
    """
    nodes = tuple(tasks)
    # A pipeline of thousands of tasks spends its time in cache misses, so this visits
    # each node twice, allocates little, and keeps the common case (one producer per
    # dataset) a plain int; ids, edges, sources and sinks are derived when asked for.
    producer: dict[str, int] = {}
    more_producers: dict[str, list[int]] = {}
    for position, node in enumerate(nodes):
        output = node.output
        if output is not None:
            if output in producer:
                more_producers.setdefault(output, [producer[output]]).append(position)
            else:
                producer[output] = position

    successors: list[list[int]] = [[] for _ in nodes]
    indegree = [0] * len(nodes)
    unproduced: dict[str, list[int]] = {}
    for position, node in enumerate(nodes):
        for item in node.inputs:
            dataset = item.dataset
            first_writer = producer.get(dataset)
            if first_writer is None:
                readers = unproduced.setdefault(dataset, [])
                if position not in readers:
                    readers.append(position)
                continue
            for source in more_producers.get(dataset, (first_writer,)):
                targets = successors[source]
                # Targets are appended in position order, so a repeat can only be the last.
                if not targets or targets[-1] != position:
                    targets.append(position)
                    indegree[position] += 1

    order = topological_order(successors, indegree)
    problems: list[GraphProblem] = []
    if order is None:
        problems.extend(Cycle(_ids_at(nodes, loop)) for loop in find_cycles(successors))

    inputs: list[str] = []
    for dataset, readers in unproduced.items():
        if dataset in external:
            inputs.append(dataset)
        else:
            problems.append(MissingProducer(dataset, _ids_at(nodes, sorted(readers))))
    for dataset, writers in sorted(more_producers.items(), key=_first_writer):
        problems.append(DuplicateProducer(dataset, _ids_at(nodes, writers)))

    return PipelineGraph(
        tasks=nodes,
        inputs=tuple(inputs),
        problems=tuple(problems),
        order_positions=order,
        _successors=successors,
    )


def _first_writer(item: tuple[str, list[int]]) -> int:
    return item[1][0]


def _ids_at(nodes: Sequence[TaskNode], positions: Sequence[int]) -> tuple[str, ...]:
    """Task ids for positions, keeping the given order."""
    return tuple(nodes[p].id for p in positions)

"""Build a `PipelineGraph` from task nodes: edges, order, sources, sinks, problems."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from glacier.graph.model import Edge, PipelineGraph, TaskNode
from glacier.graph.order import find_cycles, topological_order
from glacier.graph.problems import Cycle, DuplicateProducer, GraphProblem, MissingProducer


def build_pipeline_graph(
    tasks: Sequence[TaskNode], external: Collection[str] = ()
) -> PipelineGraph:
    """Wire tasks by dataset name, as the pipeline's list gives them.

    Args:
        tasks: the pipeline's tasks in list order; a repeated id is kept once.
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
    unique: dict[str, TaskNode] = {}
    for node in tasks:
        unique.setdefault(node.id, node)
    nodes = tuple(unique.values())

    producers: dict[str, list[int]] = {}
    for position, node in enumerate(nodes):
        if node.output is not None:
            producers.setdefault(node.output, []).append(position)

    edges: dict[tuple[int, int, str], None] = {}
    consumers_of_dataset: dict[str, list[int]] = {}
    for position, node in enumerate(nodes):
        for item in node.inputs:
            readers = consumers_of_dataset.setdefault(item.dataset, [])
            if position not in readers:
                readers.append(position)
            for producer in producers.get(item.dataset, ()):
                edges[(producer, position, item.dataset)] = None

    successors: list[list[int]] = [[] for _ in nodes]
    predecessors: list[list[int]] = [[] for _ in nodes]
    for source, target, _ in edges:
        if target not in successors[source]:
            successors[source].append(target)
            predecessors[target].append(source)

    def ids(positions: Sequence[int]) -> tuple[str, ...]:
        return tuple(nodes[p].id for p in sorted(positions))

    order = topological_order(len(nodes), successors)
    problems: list[GraphProblem] = []
    if order is None:
        problems.extend(Cycle(_ids_at(nodes, loop)) for loop in find_cycles(len(nodes), successors))

    inputs: list[str] = []
    for dataset, readers in consumers_of_dataset.items():
        if dataset in producers:
            continue
        if dataset in external:
            inputs.append(dataset)
        else:
            problems.append(MissingProducer(dataset, ids(readers)))
    for dataset, writers in producers.items():
        if len(writers) > 1:
            problems.append(DuplicateProducer(dataset, ids(writers)))

    return PipelineGraph(
        tasks=nodes,
        edges=tuple(
            Edge(nodes[s].id, nodes[t].id, dataset)
            for s, t, dataset in sorted(edges, key=lambda e: (e[1], e[0]))
        ),
        order=_ids_at(nodes, order) if order is not None else (),
        sources=tuple(nodes[p].id for p in range(len(nodes)) if not predecessors[p]),
        sinks=tuple(nodes[p].id for p in range(len(nodes)) if not successors[p]),
        inputs=tuple(inputs),
        problems=tuple(problems),
        _predecessors=predecessors,
        _successors=successors,
    )


def _ids_at(nodes: Sequence[TaskNode], positions: Sequence[int]) -> tuple[str, ...]:
    """Task ids for positions, keeping the given order."""
    return tuple(nodes[p].id for p in positions)

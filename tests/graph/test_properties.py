"""Property-based tests of the graph core: orders respect dependencies; back edges are cycles."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from glacier.graph import Cycle, Input, TaskNode, build_pipeline_graph


@st.composite
def random_dags(draw: st.DrawFn) -> list[TaskNode]:
    """Tasks t0..tn-1 producing d0..dn-1; each reads up to 3 earlier outputs, then shuffled."""
    count = draw(st.integers(min_value=1, max_value=30))
    tasks = []
    for i in range(count):
        reads = draw(st.sets(st.integers(0, i - 1), max_size=3)) if i else set()
        inputs = tuple(Input(f"p{j}", f"d{j}") for j in sorted(reads))
        tasks.append(TaskNode(f"m.t{i}", f"t{i}", inputs, f"d{i}"))
    return draw(st.permutations(tasks))


@given(random_dags())
@settings(max_examples=200, deadline=None)
def test_order_respects_every_dependency(tasks: list[TaskNode]) -> None:
    graph = build_pipeline_graph(tasks)
    assert graph.problems == ()
    position = {task_id: i for i, task_id in enumerate(graph.order)}
    assert sorted(position) == sorted(t.id for t in tasks)
    for edge in graph.edges:
        assert position[edge.source] < position[edge.target]
    # Ties go to list order: a task never waits behind a later-listed ready task.
    listed = {t.id: i for i, t in enumerate(tasks)}
    for earlier, later in zip(graph.order, graph.order[1:], strict=False):
        if listed[later] < listed[earlier]:
            assert any(e.target == later for e in graph.edges)


@given(random_dags(), st.data())
@settings(max_examples=200, deadline=None)
def test_a_back_edge_is_always_a_cycle(tasks: list[TaskNode], data: st.DataObject) -> None:
    graph = build_pipeline_graph(tasks)
    if not graph.edges:
        target = data.draw(st.sampled_from(tasks))
        source = target  # a self-loop is the only back edge available
    else:
        edge = data.draw(st.sampled_from(graph.edges))
        source, target = graph.task(edge.target), graph.task(edge.source)
    looped = [
        TaskNode(t.id, t.name, (*t.inputs, Input("back", source.output or "")), t.output)
        if t.id == target.id
        else t
        for t in tasks
    ]
    broken = build_pipeline_graph(looped)
    assert broken.order == ()
    cycles = [p for p in broken.problems if isinstance(p, Cycle)]
    assert cycles and any(target.id in c.tasks and source.id in c.tasks for c in cycles)


def test_sources_sinks_and_external_inputs() -> None:
    tasks = [
        TaskNode("m.load", "load", (Input("x", "lake"),), "raw"),
        TaskNode("m.use", "use", (Input("r", "raw"), Input("y", "nowhere")), None),
    ]
    graph = build_pipeline_graph(tasks, external={"lake"})
    assert graph.sources == ("m.load",) and graph.sinks == ("m.use",)
    assert graph.inputs == ("lake",)
    assert [type(p).__name__ for p in graph.problems] == ["MissingProducer"]

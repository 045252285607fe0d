"""Exact results of the graph core on small graphs: edges, derived views, problem order."""

from __future__ import annotations

from glacier.graph import (
    Cycle,
    DuplicateProducer,
    Edge,
    Input,
    MissingProducer,
    TaskNode,
    build_pipeline_graph,
)


def node(name: str, reads: tuple[str, ...] = (), output: str | None = None) -> TaskNode:
    inputs = tuple(Input(f"p{i}", dataset) for i, dataset in enumerate(reads))
    return TaskNode(f"m.{name}", name, inputs, output)


def test_two_parameters_reading_one_dataset_make_one_edge() -> None:
    graph = build_pipeline_graph([node("join", ("raw", "raw")), node("load", (), "raw")])
    assert graph.edges == (Edge("m.load", "m.join", "raw"),)
    assert graph.order == ("m.load", "m.join")
    assert graph.dependencies("m.join") == ("m.load",)
    assert graph.consumers("m.load") == ("m.join",)
    assert graph.sources == ("m.load",) and graph.sinks == ("m.join",)


def test_edges_are_ordered_by_consumer_then_producer() -> None:
    graph = build_pipeline_graph(
        [
            node("c", ("b_out", "a_out"), "c_out"),
            node("b", (), "b_out"),
            node("a", (), "a_out"),
            node("d", ("c_out", "a_out")),
        ]
    )
    assert [(e.source, e.target, e.dataset) for e in graph.edges] == [
        ("m.b", "m.c", "b_out"),
        ("m.a", "m.c", "a_out"),
        ("m.c", "m.d", "c_out"),
        ("m.a", "m.d", "a_out"),
    ]
    assert graph.order == ("m.b", "m.a", "m.c", "m.d")
    assert graph.to_dict()["order"] == list(graph.order)


def test_every_producer_of_a_duplicated_dataset_feeds_its_readers() -> None:
    graph = build_pipeline_graph(
        [
            node("x1", (), "x"),
            node("y1", (), "y"),
            node("y2", (), "y"),
            node("x2", (), "x"),
            node("read", ("y", "x")),
        ]
    )
    assert graph.dependencies("m.read") == ("m.x1", "m.y1", "m.y2", "m.x2")
    assert [e.dataset for e in graph.edges] == ["x", "y", "y", "x"]
    # One problem per dataset, in the order their first producers are listed.
    assert graph.problems == (
        DuplicateProducer("x", ("m.x1", "m.x2")),
        DuplicateProducer("y", ("m.y1", "m.y2")),
    )


def test_missing_producers_list_each_reader_once_in_list_order() -> None:
    graph = build_pipeline_graph(
        [node("b", ("ghost", "ghost")), node("a", ("ghost",)), node("c", ("other",))]
    )
    assert graph.problems == (
        MissingProducer("ghost", ("m.b", "m.a")),
        MissingProducer("other", ("m.c",)),
    )
    assert graph.edges == () and graph.sources == ("m.b", "m.a", "m.c")


def test_a_task_reading_its_own_output_is_a_cycle_of_one() -> None:
    graph = build_pipeline_graph([node("loop", ("x",), "x"), node("ok", (), "y")])
    assert not graph.is_acyclic and graph.order == ()
    assert graph.problems == (Cycle(("m.loop",)),)
    assert graph.edges == (Edge("m.loop", "m.loop", "x"),)

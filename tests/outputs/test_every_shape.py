"""Every format draws every shape of project: none, empty, one task, cycles, problems, and
10,000 tasks; `Pipeline.visualize()` and ``glacier-graph`` never crash on them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glacier import Dataset, Pipeline, task
from glacier.cli.graph import FORMATS, render
from glacier.graph import Input, TaskNode, build_pipeline_graph
from glacier.model import DatasetInfo, PipelineInfo, Project, Span, TaskInfo

TEXT_FORMATS = ("dot", "mermaid", "json", "ascii")
IMAGE_FORMATS = tuple(f for f in FORMATS if f not in TEXT_FORMATS)
NAMES = st.sampled_from(["a", "b", "c", "d", "e", "f", "g", "raw", "out", "ü", "x y", '"q"'])


@st.composite
def pipelines(draw: st.DrawFn, index: int) -> tuple[list[TaskNode], set[str]]:
    """Tasks over a few dataset names: cycles, missing and duplicate producers happen."""
    count = draw(st.integers(0, 7))
    nodes = []
    for position in range(count):
        inputs = draw(st.lists(NAMES, max_size=3, unique=True))
        output = draw(st.none() | NAMES)
        nodes.append(
            TaskNode(
                f"m{index}.t{position}",
                f"t{position}",
                tuple(Input(f"p{i}", name) for i, name in enumerate(inputs)),
                output,
            )
        )
    stored = set(draw(st.lists(NAMES, max_size=3)))
    return nodes, stored


@st.composite
def projects(draw: st.DrawFn) -> Project:
    count = draw(st.integers(0, 3))
    infos: list[PipelineInfo] = []
    tasks: dict[str, TaskInfo] = {}
    datasets: dict[str, DatasetInfo] = {}
    for index in range(count):
        nodes, stored = draw(pipelines(index))
        for name in stored:
            storage = {"kind": "s3", "uri": f"s3://b/{name}/"}
            datasets.setdefault(name, DatasetInfo(name, name, "m", None, storage, None))
        external = [name for node in nodes for i in node.inputs if (name := i.dataset) in stored]
        graph = build_pipeline_graph(nodes, external)
        name = draw(st.none() | st.sampled_from(["etl", "nightly", "etl"]))
        span = Span(f"/p/m{index}.py", index + 1, 1, index + 1, 5)
        infos.append(PipelineInfo(name, draw(st.none() | st.just(f"p{index}")), span, graph))
        for node in nodes:
            compute = draw(st.none() | st.just({"kind": "local", "cpu": 2}))
            tasks.setdefault(
                node.id, TaskInfo(node.id, node.name, "m", span, node.inputs, node.output, compute)
            )
    return Project(tuple(datasets.values()), tuple(tasks.values()), tuple(infos))


def _check_drawing(project: Project, fmt: str) -> None:
    first = render(project, fmt, "auto", 60, None)
    assert first == render(project, fmt, "auto", 60, None)  # deterministic
    assert first
    if fmt == "json":
        assert json.loads(first) == json.loads(json.dumps(project.to_dict(Path.cwd())))
    elif fmt == "ascii":
        assert isinstance(first, str)
        if not project.pipelines:
            assert first == "(no pipelines)\n"
        for pipeline in project.pipelines:
            assert f": {len(pipeline.graph.tasks)} task" in first
            if not pipeline.graph.tasks:
                assert "(no tasks)" in first
    elif fmt == "svg":
        assert isinstance(first, str)
        ET.fromstring(first)
    elif fmt in ("dot", "mermaid"):
        assert isinstance(first, str)
        if not project.pipelines:
            assert "no pipelines" in first
        elif any(not p.graph.tasks for p in project.pipelines):
            assert "no tasks" in first
    else:
        assert isinstance(first, bytes) and len(first) > 100


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(projects(), st.sampled_from(TEXT_FORMATS))
def test_generated_projects_in_text_formats(project: Project, fmt: str) -> None:
    _check_drawing(project, fmt)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(projects(), st.sampled_from(IMAGE_FORMATS))
def test_generated_projects_in_image_formats(project: Project, fmt: str) -> None:
    _check_drawing(project, fmt)


def _nodes(count: int, cyclic: bool = False) -> list[TaskNode]:
    nodes = [
        TaskNode(f"m.t{i}", f"t{i}", (Input("x", f"d{i - 1}"),) if i else (), f"d{i}")
        for i in range(count)
    ]
    if cyclic and count:
        nodes[0] = TaskNode("m.t0", "t0", (Input("x", f"d{count - 1}"),), "d0")
    return nodes


def _project(nodes: list[TaskNode]) -> Project:
    graph = build_pipeline_graph(nodes)
    tasks = tuple(TaskInfo(n.id, n.name, "m", None, n.inputs, n.output, None) for n in nodes)
    return Project((), tasks, (PipelineInfo("p", "p", None, graph),))


SHAPES = {
    "nothing": Project((), (), ()),
    "empty": _project([]),
    "one": _project(_nodes(1)),
    "self-loop": _project([TaskNode("m.t", "t", (Input("x", "d"),), "d")]),
    "cycle": _project(_nodes(4, cyclic=True)),
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("shape", SHAPES)
def test_small_shapes(shape: str, fmt: str) -> None:
    _check_drawing(SHAPES[shape], fmt)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("cyclic", [False, True], ids=["chain", "cycle"])
def test_ten_thousand_tasks(fmt: str, cyclic: bool) -> None:
    project = _project(_nodes(10_000, cyclic))
    drawn = render(project, fmt, "auto", 100, None)
    assert drawn
    if fmt == "ascii":
        assert isinstance(drawn, str) and "t9999" in drawn


def test_visualize_draws_empty_one_and_cyclic_pipelines() -> None:
    assert "(no tasks)" in Pipeline([]).visualize()
    assert "(no tasks)" in Pipeline([], name="e").visualize()
    raw, out = Dataset("raw_v"), Dataset("out_v")

    @task
    def only(x: raw) -> out:  # type: ignore[valid-type]
        return x

    assert "only" in Pipeline([only], name="one").visualize()
    a, b = Dataset("a_v"), Dataset("b_v")

    @task
    def forward(x: a) -> b:  # type: ignore[valid-type]
        return x

    @task
    def back(x: b) -> a:  # type: ignore[valid-type]
        return x

    drawn = Pipeline([forward, back], name="loop").visualize()
    assert "forward" in drawn and "back" in drawn and "cycle" in drawn


@pytest.mark.parametrize("fmt", FORMATS)
def test_glacier_graph_draws_an_empty_pipeline(tmp_path: Path, fmt: str) -> None:
    (tmp_path / "e.py").write_text('from glacier import Pipeline\n\np = Pipeline([], name="e")\n')
    output = tmp_path / f"e.{fmt}"
    done = subprocess.run(
        [sys.executable, "-m", "glacier", "graph", "e.py", "--format", fmt, "-o", str(output)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "GLACIER_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert output.stat().st_size > 0
    if fmt == "ascii":
        assert output.read_text() == "Pipeline e: 0 tasks\n═══════════════════\n(no tasks)\n"


def test_a_cycle_too_long_for_a_graphviz_string_still_draws() -> None:
    project = _project(_nodes(2_000, cyclic=True))
    cycle = project.pipelines[0].graph.problems[0]
    assert len(cycle.message("p", lambda task_id: task_id)) > 16_384
    svg = render(project, "svg", "auto", 100, None)
    assert isinstance(svg, str)
    ET.fromstring(svg)
    assert "…" in svg

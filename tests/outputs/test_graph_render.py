"""The graph renderers as pure functions of a `Project`, and the real ``dot`` on their output."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from glacier import Dataset, Pipeline, task
from glacier.model import Project
from glacier.outputs.graph import style
from glacier.outputs.graph.ascii import render_ascii
from glacier.outputs.graph.dot import quote, render_dot
from glacier.outputs.graph.json import render_json
from glacier.outputs.graph.mermaid import escape, render_mermaid
from glacier.outputs.graph.svg import GraphvizError, render_image, render_svg
from glacier.storage import S3
from tests.outputs.conftest import EXAMPLES, REPO, assert_golden, runtime_project

SVG = "{http://www.w3.org/2000/svg}"
IDS = [stem for stem, _, _ in EXAMPLES]


@pytest.fixture(scope="module")
def projects() -> dict[str, Project]:
    return {stem: runtime_project(path, module) for stem, path, module in EXAMPLES}


# -- goldens ----------------------------------------------------------------------------


@pytest.mark.parametrize("stem", IDS)
def test_dot_golden(projects: dict[str, Project], stem: str) -> None:
    assert_golden(f"{stem}.dot", render_dot(projects[stem], relative_to=REPO))


@pytest.mark.parametrize("stem", IDS)
def test_dot_edges_golden(projects: dict[str, Project], stem: str) -> None:
    dot = render_dot(projects[stem], datasets="edges", relative_to=REPO)
    assert_golden(f"{stem}.edges.dot", dot)


@pytest.mark.parametrize("stem", IDS)
def test_mermaid_golden(projects: dict[str, Project], stem: str) -> None:
    assert_golden(f"{stem}.mmd", render_mermaid(projects[stem]))


@pytest.mark.parametrize("stem", IDS)
def test_ascii_golden(projects: dict[str, Project], stem: str) -> None:
    assert_golden(f"{stem}.txt", render_ascii(projects[stem]))


# -- DOT and SVG ------------------------------------------------------------------------


@pytest.mark.parametrize("stem", IDS)
def test_svg_holds_every_task_and_dataset(projects: dict[str, Project], stem: str) -> None:
    project = projects[stem]
    svg = render_svg(project, relative_to=REPO)
    root = ET.fromstring(svg)
    ids = {g.get("id") for g in root.iter(f"{SVG}g")}
    for info in project.tasks:
        assert f"task:{info.id}" in ids
    datasets = {
        item.dataset for p in project.pipelines for node in p.graph.tasks for item in node.inputs
    } | {node.output for p in project.pipelines for node in p.graph.tasks if node.output}
    for name in datasets:
        assert f"dataset:{name}" in ids
    titles = {"".join(t.itertext()) for t in root.iter(f"{SVG}text")}
    assert {info.name for info in project.tasks} <= titles
    # Tooltips carry file:line relative to the given directory.
    first = project.tasks[0]
    assert first.span is not None
    relative = Path(first.span.filename).resolve().relative_to(REPO).as_posix()
    assert f"{relative}:{first.span.line}" in svg


@pytest.mark.parametrize("stem", IDS)
def test_png_and_pdf(projects: dict[str, Project], stem: str) -> None:
    source = render_dot(projects[stem], relative_to=REPO)
    assert render_image(source, "png").startswith(b"\x89PNG\r\n\x1a\n")
    assert render_image(source, "pdf").startswith(b"%PDF")


def test_two_runs_give_identical_bytes(projects: dict[str, Project]) -> None:
    for project in projects.values():
        first = render_dot(project, relative_to=REPO)
        assert render_dot(project, relative_to=REPO) == first
        assert render_image(first, "svg") == render_image(first, "svg")
        assert render_image(first, "png") == render_image(first, "png")


def test_pdf_creation_date_is_pinned(projects: dict[str, Project]) -> None:
    pdf = render_image(render_dot(projects["diamond"]), "pdf")
    stamps = re.findall(rb"/CreationDate \(D:(\d{14})", pdf)
    assert stamps in ([], [b"19700101000000"])


def test_dot_is_deterministic_and_uses_the_explicit_font(projects: dict[str, Project]) -> None:
    dot = render_dot(projects["analytics"], relative_to=REPO)
    assert 'rankdir="LR"' in dot
    assert dot.count('fontname="DejaVu Sans"') == 3  # graph, node and edge defaults
    assert "node [" in dot and 'shape="box", style="rounded,filled"' in dot


def test_tasks_are_coloured_by_compute_kind_with_a_legend(projects: dict[str, Project]) -> None:
    dot = render_dot(projects["analytics"], relative_to=REPO)
    for kind in ("local", "serverless", "container"):
        fill, line, label = style.KIND_COLOURS[kind]
        assert f'fillcolor="{fill}", color="{line}"' in dot
        assert f">{label}</font>" in dot
    assert "serverless · 512 MB" in dot
    assert "container · spark:latest · 4 CPU · 8 GB" in dot
    assert "no compute" not in dot  # the legend lists only what the picture uses


def _node_line(dot: str, node_id: str) -> str:
    return next(line for line in dot.splitlines() if f'id="{node_id}"' in line)


def _node_name(dot: str, node_id: str) -> str:
    return _node_line(dot, node_id).split()[0]


def test_problems_are_drawn_where_they_are(projects: dict[str, Project]) -> None:
    dot = render_dot(projects["problems"], relative_to=REPO)
    warning, duplicate = style.WARNING, style.DUPLICATE
    # Missing producer: the dataset node in the warning colour with a dashed outline.
    ghost = _node_line(dot, "dataset:ghost")
    assert 'style="filled,dashed"' in ghost and f'color="{warning}"' in ghost
    assert "no producer" in ghost
    # Cycle: every edge of the loop start -> a -> step -> b -> close_loop -> c -> start.
    names = {
        n: _node_name(dot, f"task:fixtures.problems.{n}") for n in ("start", "step", "close_loop")
    }
    datasets = {d: _node_name(dot, f"dataset:{d}") for d in ("a", "b", "c", "report", "events")}
    loop = [
        (names["start"], datasets["a"]),
        (datasets["a"], names["step"]),
        (names["step"], datasets["b"]),
        (datasets["b"], names["close_loop"]),
        (names["close_loop"], datasets["c"]),
        (datasets["c"], names["start"]),
    ]
    for source, target in loop:
        line = next(li for li in dot.splitlines() if li.strip().startswith(f"{source} -> {target}"))
        assert f'color="{warning}"' in line, line
    # Not in the loop: the external input's edge.
    line = next(li for li in dot.splitlines() if li.strip().startswith(f"{datasets['events']} ->"))
    assert warning not in line
    assert "s3://acme/events/" in _node_line(dot, "dataset:events")
    # Duplicate producers: both producing edges marked.
    marked = [li for li in dot.splitlines() if f"-> {datasets['report']}" in li]
    assert len(marked) == 2 and all(f'color="{duplicate}"' in li for li in marked)
    assert "3 problems" in dot


def test_problems_in_edges_mode(projects: dict[str, Project]) -> None:
    dot = render_dot(projects["problems"], datasets="edges", relative_to=REPO)
    start = _node_name(dot, "task:fixtures.problems.start")
    close = _node_name(dot, "task:fixtures.problems.close_loop")
    line = next(li for li in dot.splitlines() if li.strip().startswith(f"{close} -> {start}"))
    assert 'label="c"' in line and f'color="{style.WARNING}"' in line
    # Internal datasets are edge labels; inputs, missing and final outputs stay nodes.
    assert 'id="dataset:a"' not in dot
    for kept in ("events", "ghost", "report"):
        assert f'id="dataset:{kept}"' in dot


def _chain(count: int) -> Project:
    datasets = [Dataset(f"d{i}") for i in range(count + 1)]
    tasks = []
    for i in range(count):
        source, target = datasets[i], datasets[i + 1]

        def body(x: object) -> object:
            return x

        body.__annotations__ = {"x": source, "return": target}
        body.__name__ = body.__qualname__ = f"step_{i}"
        tasks.append(task(body))
    first = datasets[0]
    first.storage = S3(bucket="b", prefix="in/")
    return Pipeline(tasks, name="chain").to_project()


def test_large_graphs_switch_to_edge_labels_then_compact() -> None:
    small = render_dot(_chain(5))
    assert 'id="dataset:d2"' in small  # nodes below the threshold
    medium = render_dot(_chain(style.EDGES_THRESHOLD + 1))
    assert 'id="dataset:d2"' not in medium and 'label="d2"' in medium
    large = render_dot(_chain(style.COMPACT_THRESHOLD + 1))
    assert 'label="d2"' not in large and 'tooltip="d2"' in large
    assert "fontsize=9" in large
    forced = render_dot(_chain(style.EDGES_THRESHOLD + 1), datasets="nodes")
    assert 'id="dataset:d2"' in forced


def test_dot_quoting() -> None:
    assert quote('a "b" \\ c\nd') == '"a \\"b\\" \\\\ c\\nd"'


def test_awkward_names_render() -> None:
    odd = Dataset('odd <name> & "quotes" \\ #1 | end')
    out = Dataset("out")

    @task
    def make() -> odd:  # type: ignore[valid-type]
        return 1

    @task
    def use(x: odd) -> out:  # type: ignore[valid-type]
        return x

    project = Pipeline([make, use], name='<p "1" <x>>').to_project()
    svg = render_svg(project)
    root = ET.fromstring(svg)
    ids = {g.get("id") for g in root.iter(f"{SVG}g")}
    assert 'dataset:odd <name> & "quotes" \\ #1 | end' in ids
    mermaid = render_mermaid(project)
    assert '"' not in mermaid.split('["', 1)[1].split('"]', 1)[0]
    assert "odd #60;name#62; #38; #34;quotes#34; \\ #35;1 #124; end" in mermaid


def test_mermaid_is_a_flowchart_with_class_colours(projects: dict[str, Project]) -> None:
    text = render_mermaid(projects["analytics"])
    assert text.startswith("flowchart LR\n")
    assert "classDef serverless fill:#e3f2fd" in text
    label = "<b>extract_users</b><br/><small>serverless · 512 MB</small>"
    assert f'p0_t0("{label}"):::serverless' in text
    problems = render_mermaid(projects["problems"])
    assert "classDef missing" in problems and "stroke-dasharray" in problems
    assert "stroke:#d32f2f,stroke-width:2px" in problems.split("linkStyle default", 1)[1]


def test_mermaid_escape() -> None:
    assert escape('a"b') == "a#34;b"
    assert escape("x\ny") == "x y"


def test_json_is_the_project_dict(projects: dict[str, Project]) -> None:
    project = projects["analytics"]
    assert json.loads(render_json(project, relative_to=REPO)) == project.to_dict(relative_to=REPO)


def test_visualize_uses_render_ascii(projects: dict[str, Project]) -> None:
    from tests.outputs.conftest import runtime_project as load

    project = load(REPO / "examples" / "patterns" / "diamond.py", "patterns.diamond")
    drawing = render_ascii(project)
    assert drawing == render_ascii(projects["diamond"])
    assert "▼" in drawing and "│ merge │" in drawing


def test_visualize_is_the_ascii_drawing() -> None:
    raw, clean = Dataset("raw"), Dataset("clean")

    @task
    def extract() -> raw:  # type: ignore[valid-type]
        return 1

    @task
    def transform(data: raw) -> clean:  # type: ignore[valid-type]
        return data

    pipeline = Pipeline([transform, extract], name="tiny")
    assert pipeline.visualize() == render_ascii(pipeline.to_project())
    assert "│ extract │" in pipeline.visualize()


def test_ascii_is_width_aware(projects: dict[str, Project]) -> None:
    wide = render_ascii(projects["analytics"], width=200)
    assert "┌" in wide
    narrow = render_ascii(projects["analytics"], width=40)
    assert "too wide for 40 columns" in narrow
    assert all(len(line) <= 40 for line in narrow.splitlines())
    big = render_ascii(_chain(1000), width=100)
    assert "more than 150 tasks: tasks in execution order" in big
    assert big.count("\n") < 3100


def test_ascii_lists_problems(projects: dict[str, Project]) -> None:
    text = render_ascii(projects["problems"])
    assert "⟲ close_loop ─c→ start" in text
    assert "!! missing-producer" in text and "!! duplicate-producer" in text
    assert "┏" in text  # tasks in the cycle have heavy borders


def test_project_without_pipelines_draws_its_tasks(projects: dict[str, Project]) -> None:
    analytics = projects["analytics"]
    loose = Project(analytics.datasets, analytics.tasks, ())
    dot = render_dot(loose)
    assert "all tasks (no Pipeline)" in dot
    assert dot.count('id="task:') == len(analytics.tasks)
    assert render_ascii(Project((), (), ())) == "(no pipelines)\n"


def test_several_pipelines_are_clusters(projects: dict[str, Project]) -> None:
    both = Project(
        projects["fan_in"].datasets + projects["fan_out"].datasets,
        projects["fan_in"].tasks + projects["fan_out"].tasks,
        projects["fan_in"].pipelines + projects["fan_out"].pipelines,
    )
    dot = render_dot(both, relative_to=REPO)
    assert "subgraph cluster_0" in dot and "subgraph cluster_1" in dot
    # Equal titles are told apart by their location.
    assert "pipeline (tests" in dot or "pipeline (examples/patterns/fan_in.py:" in dot


def test_missing_dot_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GraphvizError) as caught:  # asked for `dot` alone: no fallback
        render_image("digraph { a }", "pdf", "dot")
    message = str(caught.value)
    assert "apt-get install graphviz" in message and "brew install graphviz" in message
    assert "`dot`, `mermaid`, `json` and `ascii` work without it" in message
    assert len(message.splitlines()) == 1  # one paragraph


def test_ascii_counts_terminal_columns() -> None:
    raw, out = Dataset("生データ"), Dataset("cafe\u0301")

    @task
    def fetch() -> raw:  # type: ignore[valid-type]
        return 1

    @task
    def total(x: raw) -> out:  # type: ignore[valid-type]
        return x

    drawing = render_ascii(Pipeline([fetch, total], name="wide").to_project())
    lines = drawing.splitlines()
    # Each box's lines span the same number of terminal columns as its borders.
    for top in (i for i, line in enumerate(lines) if "┌" in line):
        box = lines[top : top + 4]
        assert len({_columns(line.rstrip()) for line in box}) == 1, box
    assert "│ → 生データ │" in drawing and "│ → cafe\u0301 │" in drawing


def _columns(text: str) -> int:
    import unicodedata

    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in text
    )

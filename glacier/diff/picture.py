"""The head revision's graph with what a change added, removed or changed marked.

The picture is the ordinary graph (`glacier.outputs.graph.dot`) of the head revision with the
tasks and datasets that only the base revision has put back into their pipelines; the
status of each node and edge is then laid over the DOT source by node id (``task:<id>``,
``dataset:<name>``): added in green, removed dashed in red, changed in amber. Datasets are
always drawn as nodes so every produce and consume relation is its own edge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from glacier.diff.compare import ProjectDiff, pipeline_keys
from glacier.diff.render import describe_change
from glacier.diff.revision import Snapshot
from glacier.graph import TaskNode, build_pipeline_graph
from glacier.model import PipelineInfo, Project, Span, TaskInfo, display_path
from glacier.outputs.graph.dot import quote
from glacier.outputs.graph.style import FONT, drawn_pipelines

ADDED = "#2e7d32"
REMOVED = "#c62828"
CHANGED = "#ef8f00"
GHOST_TEXT = "#9e9e9e"

_NODE = re.compile(r'^\s+(p\d+_[td]\d+) \[id="((?:[^"\\]|\\.)*)", class="((?:[^"\\]|\\.)*)"')
_EDGE = re.compile(r"^(\s+)(p(\d+)_[td]\d+) -> (p\d+_[td]\d+)(?: \[(.*)\])?;$")


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


@dataclass
class _Marks:
    """Statuses within one drawn pipeline."""

    nodes: dict[str, str]
    #: ("task:<id>", "dataset:<name>") or the reverse, for produce and consume edges.
    edges: dict[tuple[str, str], str]
    tooltips: dict[str, str]


def _relocated(project: Project, root: Snapshot) -> Project:
    """``project`` with file names relative to the snapshot's top level (stable bytes)."""

    def move(span: Span | None) -> Span | None:
        if span is None:
            return None
        return replace(span, filename=display_path(span.filename, root.root))

    return Project(
        datasets=tuple(replace(d, span=move(d.span)) for d in project.datasets),
        tasks=tuple(replace(t, span=move(t.span)) for t in project.tasks),
        pipelines=tuple(replace(p, span=move(p.span)) for p in project.pipelines),
    )


def _relations(pipeline: PipelineInfo | None) -> set[tuple[str, str]]:
    if pipeline is None:
        return set()
    pairs: set[tuple[str, str]] = set()
    for node in pipeline.graph.tasks:
        if node.output is not None:
            pairs.add((f"task:{node.id}", f"dataset:{node.output}"))
        for item in node.inputs:
            pairs.add((f"dataset:{item.dataset}", f"task:{node.id}"))
    return pairs


def _nodes_of(pipeline: PipelineInfo | None) -> set[str]:
    if pipeline is None:
        return set()
    return {node for pair in _relations(pipeline) for node in pair} | {
        f"task:{node.id}" for node in pipeline.graph.tasks
    }


def diff_dot(base: Snapshot, head: Snapshot, diff: ProjectDiff) -> str:
    """The DOT source of the marked picture."""
    from glacier.outputs.graph.dot import render_dot

    old_project = _relocated(base.project, base)
    new_project = _relocated(head.project, head)
    before = pipeline_keys(old_project.pipelines, base)
    after = pipeline_keys(new_project.pipelines, head)
    storage = {d.name for d in (*old_project.datasets, *new_project.datasets) if d.storage}

    changed: dict[str, str] = {}
    for task in (*diff.tasks_changed, *diff.compute):
        text = "\n".join(describe_change(c) for c in task.changes)
        changed[f"task:{task.id}"] = "\n".join(filter(None, (changed.get(f"task:{task.id}"), text)))
    for dataset in (*diff.datasets_changed, *diff.storage):
        key = f"dataset:{dataset.name}"
        text = "\n".join(describe_change(c) for c in dataset.changes)
        changed[key] = "\n".join(filter(None, (changed.get(key), text)))

    pipelines: list[PipelineInfo] = []
    marks: list[_Marks] = []
    pairs: list[tuple[str, PipelineInfo | None, PipelineInfo | None]] = [
        (key, before.get(key), new) for key, new in after.items()
    ]
    pairs += [(key, old, None) for key, old in before.items() if key not in after]
    for _key, old, new in pairs:
        if new is None:
            assert old is not None
            drawn = old
        elif old is None:
            drawn = new
        else:
            present = {node.id for node in new.graph.tasks}
            nodes: list[TaskNode] = list(new.graph.tasks)
            nodes += [node for node in old.graph.tasks if node.id not in present]
            # The head's own problems: a removed task beside its replacement is no problem.
            graph = replace(build_pipeline_graph(nodes, storage), problems=new.graph.problems)
            drawn = replace(new, graph=graph)
        pipelines.append(drawn)
        old_nodes, new_nodes = _nodes_of(old), _nodes_of(new)
        old_edges, new_edges = _relations(old), _relations(new)
        node_marks: dict[str, str] = {}
        for node in old_nodes | new_nodes:
            if node not in old_nodes:
                node_marks[node] = "added"
            elif node not in new_nodes:
                node_marks[node] = "removed"
            elif node in changed:
                node_marks[node] = "changed"
        edge_marks = {pair: "added" for pair in new_edges - old_edges}
        edge_marks.update({pair: "removed" for pair in old_edges - new_edges})
        marks.append(_Marks(node_marks, edge_marks, changed))

    new_ids = {t.id for t in new_project.tasks}
    new_names = {d.name for d in new_project.datasets}
    project = Project(
        datasets=new_project.datasets
        + tuple(d for d in old_project.datasets if d.name not in new_names),
        tasks=new_project.tasks + tuple(t for t in old_project.tasks if t.id not in new_ids),
        pipelines=tuple(pipelines),
    )
    if not pipelines:
        # No pipeline on either side: draw every task, as `glacier graph` does.
        project = replace(project, pipelines=drawn_pipelines(project))
        marks = [_project_marks(old_project, new_project, changed)]
    source = render_dot(project, datasets="nodes")
    return _overlay(source, marks)


def _project_marks(old: Project, new: Project, changed: dict[str, str]) -> _Marks:
    def ids(project: Project) -> set[str]:
        return {f"task:{t.id}" for t in project.tasks} | {
            f"dataset:{name}"
            for t in project.tasks
            for name in (t.output, *(i.dataset for i in t.inputs))
            if name is not None
        }

    def relations(tasks: tuple[TaskInfo, ...]) -> set[tuple[str, str]]:
        pairs: set[tuple[str, str]] = set()
        for t in tasks:
            if t.output is not None:
                pairs.add((f"task:{t.id}", f"dataset:{t.output}"))
            pairs.update((f"dataset:{i.dataset}", f"task:{t.id}") for i in t.inputs)
        return pairs

    before, after = ids(old), ids(new)
    nodes = {n: "added" for n in after - before}
    nodes.update({n: "removed" for n in before - after})
    nodes.update({n: "changed" for n in before & after if n in changed})
    old_rel, new_rel = relations(old.tasks), relations(new.tasks)
    edges = {p: "added" for p in new_rel - old_rel}
    edges.update({p: "removed" for p in old_rel - new_rel})
    return _Marks(nodes, edges, changed)


def _node_style(status: str, node_id: str, classes: str, tooltip: str | None) -> str:
    task = node_id.startswith("task:")
    attrs: list[str] = [f"class={quote(classes + ' ' + status)}"]
    if status == "added":
        attrs += [f"color={quote(ADDED)}", "penwidth=2.5"]
    elif status == "removed":
        style = "rounded,dashed" if task else "dashed"
        attrs += [
            f"color={quote(REMOVED)}",
            f"style={quote(style)}",
            f"fontcolor={quote(GHOST_TEXT)}",
            "penwidth=1.5",
        ]
    else:
        attrs += [f"color={quote(CHANGED)}", "penwidth=2.5"]
    label = node_id.split(":", 1)[1]
    text = f"{label}\n{status}" + (f": {tooltip}" if tooltip else "")
    attrs.append(f"tooltip={quote(text)}")
    return "[" + ", ".join(attrs) + "]"


def _edge_style(status: str) -> str:
    if status == "added":
        return f'color={quote(ADDED)}, penwidth=2, class="added"'
    return f'color={quote(REMOVED)}, style="dashed", penwidth=1.5, class="removed"'


def _overlay(source: str, marks: list[_Marks]) -> str:
    names: dict[str, str] = {}  # DOT node name -> model id
    classes: dict[str, str] = {}
    for line in source.splitlines():
        match = _NODE.match(line)
        if match:
            names[match.group(1)] = _unquote(match.group(2))
            classes[match.group(1)] = _unquote(match.group(3))

    out: list[str] = []
    for line in source.splitlines():
        match = _EDGE.match(line)
        if match:
            indent, source_name, index, target_name, attrs = match.groups()
            pipeline_marks = marks[int(index)]
            pair = (names.get(source_name, ""), names.get(target_name, ""))
            status = pipeline_marks.edges.get(pair)
            if status is not None:
                inner = f"{attrs}, {_edge_style(status)}" if attrs else _edge_style(status)
                line = f"{indent}{source_name} -> {target_name} [{inner}];"
        out.append(line)
    assert out and out[-1] == "}", "render_dot ends the graph with a closing brace"
    closing = out.pop()
    for name in sorted(names, key=_natural):
        index = int(name[1 : name.index("_")])
        node_id = names[name]
        status = marks[index].nodes.get(node_id)
        if status is None:
            continue
        tooltip = marks[index].tooltips.get(node_id) if status == "changed" else None
        out.append(f"    {name} {_node_style(status, node_id, classes[name], tooltip)};")
    out.append(f"    graph [label=<{_legend()}>, fontname={quote(FONT)}];")
    out.append(closing)
    return "\n".join(out) + "\n"


def _natural(name: str) -> tuple[int, str, int]:
    pipeline, _, rest = name.partition("_")
    return (int(pipeline[1:]), rest[0], int(rest[1:]))


def _legend() -> str:
    cells = ['<td border="0"><font point-size="9">changes</font></td>']
    for colour, text in ((ADDED, "added"), (REMOVED, "removed"), (CHANGED, "changed")):
        cells.append(
            f'<td color="{colour}"><font point-size="9" color="{colour}">{text}</font></td>'
        )
    return (
        '<table border="0" cellborder="1" cellspacing="3" cellpadding="2">'
        f"<tr>{''.join(cells)}</tr></table>"
    )


def render_diff_svg(base: Snapshot, head: Snapshot, diff: ProjectDiff) -> str:
    """The marked picture as SVG (needs Graphviz's ``dot``).

    Raises:
        glacier.outputs.graph.svg.GraphvizError: if ``dot`` is missing or fails.
    """
    from glacier.outputs.graph.svg import render_image

    return render_image(diff_dot(base, head, diff), "svg").decode("utf-8")

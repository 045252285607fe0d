"""Mermaid ``flowchart LR`` source, which GitHub renders inside a ```` ```mermaid ```` block.

The same scene as the DOT picture: one subgraph per pipeline, tasks as rounded boxes
coloured by compute kind (``classDef``), datasets as parallelograms (external inputs as
cylinders with their URI), problems in the warning colour, and a legend subgraph. Every
label is quoted and escaped with Mermaid's entity codes (``#34;``), so any dataset name
is safe.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from glacier.model import Project
from glacier.outputs.graph.style import (
    DATASET_FILL,
    DATASET_LINE,
    DUPLICATE,
    EDGE_COLOUR,
    INPUT_FILL,
    INPUT_LINE,
    KIND_COLOURS,
    KIND_ORDER,
    TEXT_COLOUR,
    WARNING,
    WARNING_FILL,
    DatasetMode,
    DatasetView,
    PipelineScene,
    resolve_mode,
    scene,
)

#: ``link(source, target, label, style)`` adds one link.
_Link = Callable[[str, str, "str | None", "str | None"], None]

_ENTITIES = {
    '"': "#34;",
    "#": "#35;",
    "&": "#38;",
    "<": "#60;",
    ">": "#62;",
    "`": "#96;",
    "|": "#124;",
    "\n": " ",
    "\r": " ",
}


def escape(text: str) -> str:
    """``text`` safe inside a double-quoted Mermaid label.

    >>> escape('a "b" <c> #1')
    'a #34;b#34; #60;c#62; #35;1'
    """
    return "".join(_ENTITIES.get(char, char) for char in text)


def render_mermaid(
    project: Project, *, datasets: DatasetMode = "auto", relative_to: Path | None = None
) -> str:
    """Mermaid flowchart source for every pipeline of ``project``.

    Args:
        project: what to draw.
        datasets: as for `glacier.outputs.graph.dot.render_dot`.
        relative_to: unused in Mermaid (GitHub shows no tooltips); kept for symmetry.
    """
    mode = resolve_mode(project, datasets)
    scenes = scene(project, relative_to)
    lines = ["flowchart LR"]
    if not scenes:
        lines.append('    empty["no pipelines"]')
    #: Index of each link in definition order -> its linkStyle group.
    link_styles: dict[str, list[int]] = {"cycle": [], "duplicate": [], "missing": []}
    links = 0

    def link(source: str, target: str, label: str | None, style: str | None) -> None:
        nonlocal links
        text = f'|"{escape(label)}"|' if label else ""
        arrow = "-.->" if style == "missing" else "-->"
        lines.append(f"    {source} {arrow}{text} {target}")
        if style is not None:
            link_styles[style].append(links)
        links += 1

    used_classes: set[str] = set()
    for index, pipeline in enumerate(scenes):
        prefix = f"p{index}"
        task_ids = {task.id: f"{prefix}_t{i}" for i, task in enumerate(pipeline.tasks)}
        shown = [d for d in pipeline.datasets if mode == "nodes" or d.role != "internal"]
        dataset_ids = {d.name: f"{prefix}_d{i}" for i, d in enumerate(shown)}
        problems = len(pipeline.problems)
        title = pipeline.title + (f" ({problems} problem{'s' * (problems != 1)})" * bool(problems))
        lines.append(f'    subgraph {prefix}["{escape(title)}"]')
        lines.append("        direction LR")
        for task in pipeline.tasks:
            label = f"<b>{escape(task.name)}</b>"
            if task.summary:
                label += f"<br/><small>{escape(task.summary)}</small>"
            used_classes.add(_css(task.kind))
            lines.append(f'        {task_ids[task.id]}("{label}"):::{_css(task.kind)}')
            if task.in_cycle:
                used_classes.add("cycle")
                lines.append(f"        style {task_ids[task.id]} stroke:{WARNING},stroke-width:3px")
        for dataset in shown:
            lines.append(f"        {dataset_ids[dataset.name]}{_dataset_shape(dataset)}")
            used_classes.add(_dataset_class(dataset))
        if not pipeline.tasks and not shown:
            lines.append(f'        {prefix}_empty["no tasks"]')
        lines.append("    end")
        _links(pipeline, mode, task_ids, dataset_ids, link)

    if used_classes:
        lines.append('    subgraph legend["legend"]')
        lines.append("        direction LR")
        for css, text in _LEGEND:
            if css in used_classes:
                lines.append(f'        legend_{css}["{text}"]:::{css}')
        lines.append("    end")
    for css, definition in _CLASS_DEFS:
        if css in used_classes:
            lines.append(f"    classDef {css} {definition}")
    lines.append(f"    linkStyle default stroke:{EDGE_COLOUR}")
    styles = {
        "cycle": f"stroke:{WARNING},stroke-width:2px",
        "duplicate": f"stroke:{DUPLICATE},stroke-width:2px",
        "missing": f"stroke:{WARNING}",
    }
    for name, indexes in link_styles.items():
        if indexes:
            lines.append(f"    linkStyle {','.join(map(str, indexes))} {styles[name]}")
    return "\n".join(lines) + "\n"


def _css(kind: str) -> str:
    """The Mermaid class of a compute kind (``none`` is spelled out, to avoid any clash)."""
    return "nocompute" if kind == "none" else kind


def _dataset_class(dataset: DatasetView) -> str:
    if dataset.role == "missing":
        return "missing"
    if dataset.duplicate:
        return "duplicate"
    if dataset.role == "input":
        return "input"
    return "dataset"


def _dataset_shape(dataset: DatasetView) -> str:
    label = escape(dataset.name)
    if dataset.uri:
        label += f"<br/><small>{escape(dataset.uri)}</small>"
    if dataset.role == "missing":
        label += "<br/><small>no producer</small>"
    if dataset.duplicate:
        label += "<br/><small>several producers</small>"
    css = _dataset_class(dataset)
    if dataset.role == "input":
        return f'[("{label}")]:::{css}'
    return f'[/"{label}"/]:::{css}'


def _links(
    pipeline: PipelineScene,
    mode: str,
    task_ids: dict[str, str],
    dataset_ids: dict[str, str],
    link: _Link,
) -> None:
    for dataset in pipeline.datasets:
        node = dataset_ids.get(dataset.name)
        if node is None:
            continue
        for producer in pipeline.producers(dataset.name):
            cyclic = pipeline.cyclic_output(producer, dataset.name)
            style = "cycle" if cyclic else "duplicate" if dataset.duplicate else None
            link(task_ids[producer], node, None, style)
        for consumer in pipeline.consumers(dataset.name):
            cyclic = pipeline.cyclic_input(dataset.name, consumer)
            style = "cycle" if cyclic else "missing" if dataset.role == "missing" else None
            link(node, task_ids[consumer], None, style)
    if mode == "edges":
        for edge in pipeline.edges:
            if edge.dataset in dataset_ids:
                continue
            style = "cycle" if edge.in_cycle else "duplicate" if edge.duplicate else None
            link(task_ids[edge.source], task_ids[edge.target], edge.dataset, style)


_LEGEND: tuple[tuple[str, str], ...] = (
    *((_css(kind), KIND_COLOURS[kind][2]) for kind in KIND_ORDER),
    ("dataset", "dataset"),
    ("input", "external input"),
    ("missing", "missing producer"),
    ("cycle", "cycle"),
    ("duplicate", "duplicate producer"),
)

_CLASS_DEFS: tuple[tuple[str, str], ...] = (
    *(
        (
            _css(kind),
            f"fill:{KIND_COLOURS[kind][0]},stroke:{KIND_COLOURS[kind][1]},color:{TEXT_COLOUR}",
        )
        for kind in KIND_ORDER
    ),
    ("dataset", f"fill:{DATASET_FILL},stroke:{DATASET_LINE},color:{TEXT_COLOUR}"),
    ("input", f"fill:{INPUT_FILL},stroke:{INPUT_LINE},color:{TEXT_COLOUR}"),
    (
        "missing",
        f"fill:{WARNING_FILL},stroke:{WARNING},stroke-width:2px,stroke-dasharray:5 5,"
        f"color:{WARNING}",
    ),
    ("cycle", f"fill:{WARNING_FILL},stroke:{WARNING},stroke-width:2px,color:{TEXT_COLOUR}"),
    ("duplicate", f"fill:{DATASET_FILL},stroke:{DUPLICATE},stroke-width:2px,color:{TEXT_COLOUR}"),
)

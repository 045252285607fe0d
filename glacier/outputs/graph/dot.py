"""Graphviz DOT source for a project: one cluster per pipeline, left to right.

The source is written by hand (not through ``graphviz.Digraph``) so quoting is exact and
the bytes depend only on the project: no timestamps, every list in model order.

Node ids (the ``id`` attribute, which becomes the SVG element id) are ``task:<task id>`` and
``dataset:<dataset name>``; the VS Code graph view maps clicks back to the model with them.
Nodes also get SVG classes for styling: ``task <local|serverless|container|none> [cycle]`` and
``dataset <internal|output|input|missing> [duplicate]``.
A task or dataset that appears in several drawn pipelines has the same id in each cluster.
"""

from __future__ import annotations

import html
from pathlib import Path

from glacier.model import Project
from glacier.outputs.graph.style import (
    COMPACT_THRESHOLD,
    DATASET_FILL,
    DATASET_LINE,
    DUPLICATE,
    EDGE_COLOUR,
    FONT,
    INPUT_FILL,
    INPUT_LINE,
    KIND_COLOURS,
    KIND_ORDER,
    MUTED_TEXT,
    TEXT_COLOUR,
    WARNING,
    WARNING_FILL,
    DatasetMode,
    DatasetView,
    PipelineScene,
    TaskView,
    resolve_mode,
    scene,
    total_tasks,
)

#: Graphviz rejects a quoted string longer than 16,384 bytes (a tooltip listing a cycle of
#: thousands of tasks): longer texts are cut, leaving room for escapes and UTF-8.
MAX_QUOTED = 4_000


def quote(text: str) -> str:
    """A DOT double-quoted string holding ``text`` literally (newlines become ``\\n``);
    texts longer than `MAX_QUOTED` characters end in ``…``."""
    if len(text) > MAX_QUOTED:
        text = text[: MAX_QUOTED - 1] + "…"
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _attrs(**values: str | float) -> str:
    parts = []
    for key, value in values.items():
        if isinstance(value, _Html):
            parts.append(f"{key}=<{value}>")  # an HTML-like label, written raw
        elif isinstance(value, str):
            parts.append(f"{key}={quote(value)}")
        else:
            parts.append(f"{key}={value:g}")
    return "[" + ", ".join(parts) + "]"


class _Html(str):
    """The inside of an HTML-like label ``<...>``; every other string is quoted."""


def _html(text: str) -> str:
    return html.escape(text, quote=True)


def render_dot(
    project: Project,
    *,
    datasets: DatasetMode = "auto",
    relative_to: Path | None = None,
) -> str:
    """The DOT source of every pipeline of ``project``.

    Args:
        project: what to draw.
        datasets: ``nodes`` draws each dataset as a small note between its producer and
            consumers; ``edges`` writes dataset names on task-to-task edges (inputs,
            missing datasets and final outputs stay nodes); ``auto`` picks ``edges`` above
            `glacier.outputs.graph.style.EDGES_THRESHOLD` tasks.
        relative_to: tooltips show ``file:line`` relative to this directory.
    """
    mode = resolve_mode(project, datasets)
    compact = total_tasks(project) > COMPACT_THRESHOLD
    scenes = scene(project, relative_to)
    writer = _Writer(mode, compact)
    return writer.document(scenes)


class _Writer:
    def __init__(self, mode: str, compact: bool) -> None:
        self.mode = mode
        self.compact = compact
        self.lines: list[str] = []

    def emit(self, line: str, depth: int = 1) -> None:
        self.lines.append("    " * depth + line)

    def document(self, scenes: tuple[PipelineScene, ...]) -> str:
        size = 9 if self.compact else 11
        self.lines.append("digraph glacier {")
        self.emit(
            "graph "
            + _attrs(
                rankdir="LR",
                fontname=FONT,
                fontsize=size + 1,
                fontcolor=TEXT_COLOUR,
                nodesep=0.15 if self.compact else 0.3,
                ranksep=0.3 if self.compact else 0.45,
                newrank="true",
                labelloc="b",
                labeljust="l",
                label=self.legend(scenes),
            )
            + ";"
        )
        self.emit(
            "node "
            + _attrs(
                fontname=FONT,
                fontsize=size,
                fontcolor=TEXT_COLOUR,
                margin="0.12,0.05" if not self.compact else "0.06,0.03",
                height=0.3,
            )
            + ";"
        )
        self.emit(
            "edge "
            + _attrs(
                fontname=FONT,
                fontsize=size - 2,
                fontcolor=MUTED_TEXT,
                color=EDGE_COLOUR,
                arrowsize=0.7,
            )
            + ";"
        )
        # Written last-first: with rankdir=LR Graphviz stacks clusters bottom-up, so this
        # puts the first pipeline on top.
        for index, pipeline in reversed(list(enumerate(scenes))):
            self.cluster(index, pipeline)
        if not scenes:  # something to see rather than a blank page
            self.emit(
                f"empty {_attrs(label='no pipelines', shape='plaintext', fontcolor=MUTED_TEXT)};"
            )
        self.lines.append("}")
        return "\n".join(self.lines) + "\n"

    # -- pieces ------------------------------------------------------------------------

    def legend(self, scenes: tuple[PipelineScene, ...]) -> str:
        """An HTML table under the picture naming only what the picture uses."""
        kinds = {task.kind for pipeline in scenes for task in pipeline.tasks}
        roles = {d.role for pipeline in scenes for d in pipeline.datasets}
        cyclic = any(e.in_cycle for pipeline in scenes for e in pipeline.edges)
        duplicate = any(d.duplicate for pipeline in scenes for d in pipeline.datasets)
        #: (fill, outline, text colour, text); no fill for line styles.
        cells: list[tuple[str, str, str, str]] = []
        for kind in KIND_ORDER:
            if kind in kinds:
                fill, line, label = KIND_COLOURS[kind]
                cells.append((fill, line, TEXT_COLOUR, label))
        if "output" in roles or (self.mode == "nodes" and "internal" in roles):
            cells.append((DATASET_FILL, DATASET_LINE, TEXT_COLOUR, "dataset"))
        if "input" in roles:
            cells.append((INPUT_FILL, INPUT_LINE, TEXT_COLOUR, "external input"))
        if "missing" in roles:
            cells.append((WARNING_FILL, WARNING, WARNING, "missing producer"))
        if cyclic:
            cells.append(("", WARNING, WARNING, "cycle"))
        if duplicate:
            cells.append(("", DUPLICATE, DUPLICATE, "duplicate producer"))
        if not cells:
            return ""
        size = 8 if self.compact else 9
        row = [f'<td border="0"><font point-size="{size}">legend</font></td>']
        for fill, line, colour, text in cells:
            background = f' bgcolor="{fill}"' if fill else ""
            row.append(
                f'<td{background} color="{line}">'
                f'<font point-size="{size}" color="{colour}">{text}</font></td>'
            )
        return _Html(
            '<table border="0" cellborder="1" cellspacing="3" cellpadding="2">'
            f"<tr>{''.join(row)}</tr></table>"
        )

    def cluster(self, index: int, pipeline: PipelineScene) -> None:
        prefix = f"p{index}"
        task_names = {task.id: f"{prefix}_t{i}" for i, task in enumerate(pipeline.tasks)}
        shown = [d for d in pipeline.datasets if self.mode == "nodes" or d.role != "internal"]
        dataset_names = {d.name: f"{prefix}_d{i}" for i, d in enumerate(shown)}

        self.emit(f"subgraph cluster_{index} {{")
        problems = len(pipeline.problems)
        title = pipeline.title + (f"  ({problems} problem{'s' * (problems != 1)})" * bool(problems))
        hidden = self.hidden_back_edges(pipeline, set(dataset_names))
        if hidden:
            title += f"  ({hidden} edge{'s' * (hidden != 1)} closing a cycle not drawn)"
        self.emit(
            "graph "
            + _attrs(
                id=f"pipeline:{pipeline.title}",
                label=title,
                labeljust="l",
                labelloc="t",
                style="rounded,dashed" if problems else "rounded",
                color=WARNING if problems else "#b0bec5",
                fontcolor=WARNING if problems else TEXT_COLOUR,
                tooltip="\n".join(pipeline.problems) or pipeline.title,
            )
            + ";",
            2,
        )
        for task in pipeline.tasks:
            self.emit(f"{task_names[task.id]} {self.task_attrs(task)};", 2)
        for dataset in shown:
            self.emit(f"{dataset_names[dataset.name]} {self.dataset_attrs(dataset)};", 2)
        for line in self.edges(pipeline, task_names, dataset_names):
            self.emit(line, 2)
        if not pipeline.tasks and not shown:  # Graphviz does not draw an empty cluster
            placeholder = _attrs(label="no tasks", shape="plaintext", fontcolor=MUTED_TEXT)
            self.emit(f"{prefix}_empty {placeholder};", 2)
        self.emit("}")

    def hidden_back_edges(self, pipeline: PipelineScene, shown: set[str]) -> int:
        """How many cycle-closing edges `edges` leaves out (compact pictures only)."""
        if not (self.compact and self.mode == "edges"):
            return 0
        position = {task.id: index for index, task in enumerate(pipeline.tasks)}
        return sum(
            1
            for edge in pipeline.edges
            if edge.in_cycle
            and edge.dataset not in shown
            and position[edge.target] <= position[edge.source]
        )

    def task_attrs(self, task: TaskView) -> str:
        fill, line, _ = KIND_COLOURS[task.kind]
        size = 9 if self.compact else 11
        small = 7 if self.compact else 9
        label = f'<font point-size="{size}"><b>{_html(task.name)}</b></font>'
        if task.summary:
            label += f'<br/><font point-size="{small}" color="{MUTED_TEXT}">'
            label += f"{_html(task.summary)}</font>"
        tooltip = "\n".join(part for part in (task.id, task.location, task.summary) if part)
        classes = f"task {task.kind}" + (" cycle" if task.in_cycle else "")
        return _attrs(
            id=f"task:{task.id}",
            **{"class": classes},
            label=_Html(label),
            shape="box",
            style="rounded,filled,bold" if task.in_cycle else "rounded,filled",
            fillcolor=fill,
            color=WARNING if task.in_cycle else line,
            tooltip=tooltip,
        )

    def dataset_attrs(self, dataset: DatasetView) -> str:
        size = 8 if self.compact else 9
        small = 7 if self.compact else 8
        label = f'<font point-size="{size}">{_html(dataset.name)}</font>'
        notes: list[str] = []
        if dataset.uri:
            notes.append(dataset.uri)
        if dataset.role == "missing":
            notes.append("no producer")
        if dataset.duplicate:
            notes.append("several producers")
        for note in notes:
            label += f'<br/><font point-size="{small}" color="{MUTED_TEXT}">{_html(note)}</font>'

        tooltip = "\n".join(
            part
            for part in (f"dataset {dataset.name}", dataset.location, dataset.uri, *notes[1:])
            if part
        )
        attrs: dict[str, str | float] = {
            "id": f"dataset:{dataset.name}",
            "class": f"dataset {dataset.role}" + (" duplicate" if dataset.duplicate else ""),
            "label": _Html(label),
            "tooltip": tooltip,
            "margin": "0.08,0.03",
            "height": 0.25,
        }
        if dataset.role == "missing":
            attrs.update(
                shape="note",
                style="filled,dashed",
                fillcolor=WARNING_FILL,
                color=WARNING,
                penwidth=1.5,
            )
        elif dataset.role == "input":
            attrs.update(shape="cylinder", style="filled", fillcolor=INPUT_FILL, color=INPUT_LINE)
        else:
            attrs.update(shape="note", style="filled", fillcolor=DATASET_FILL, color=DATASET_LINE)
        if dataset.duplicate:
            attrs.update(color=DUPLICATE, penwidth=1.5)
        return _attrs(**attrs)

    def edges(
        self,
        pipeline: PipelineScene,
        task_names: dict[str, str],
        dataset_names: dict[str, str],
    ) -> list[str]:
        lines: list[str] = []
        cycle_style: dict[str, str | float] = {
            "color": WARNING,
            "penwidth": 2.0,
            "fontcolor": WARNING,
        }
        duplicate_style: dict[str, str | float] = {
            "color": DUPLICATE,
            "penwidth": 2.0,
            "fontcolor": DUPLICATE,
        }
        # Producers into dataset nodes (every shown dataset that has producers).
        for dataset in pipeline.datasets:
            name = dataset.name
            node = dataset_names.get(name)
            if node is None:
                continue
            for producer in pipeline.producers(dataset.name):
                attrs: dict[str, str | float] = {}
                if pipeline.cyclic_output(producer, name):
                    attrs.update(cycle_style, tooltip="part of a cycle")
                elif dataset.duplicate:
                    attrs.update(duplicate_style, tooltip=f"one of several producers of {name}")
                lines.append(f"{task_names[producer]} -> {node}" + self._tail(attrs))
            # Dataset nodes into their consumers; for produced datasets one edge per
            # consumer, whatever the number of producers.
            for consumer in pipeline.consumers(dataset.name):
                attrs = {}
                if pipeline.cyclic_input(name, consumer):
                    attrs.update(cycle_style, tooltip="part of a cycle")
                elif dataset.role == "missing":
                    attrs.update(color=WARNING, style="dashed")
                lines.append(f"{node} -> {task_names[consumer]}" + self._tail(attrs))
        if self.mode == "edges":
            position = {task.id: index for index, task in enumerate(pipeline.tasks)}
            for edge in pipeline.edges:
                if edge.dataset in dataset_names:
                    continue
                attrs = {"tooltip": f"{edge.dataset}"}
                if not self.compact:
                    attrs["label"] = edge.dataset
                if edge.in_cycle:
                    attrs.update(cycle_style, tooltip=f"{edge.dataset} (part of a cycle)")
                    if position[edge.target] <= position[edge.source]:
                        if self.compact:
                            # Routing an edge back across thousands of ranks took Graphviz
                            # minutes; the cluster's title says it is not drawn.
                            continue
                        attrs["constraint"] = "false"  # the loop's closing edge ranks nothing
                elif edge.duplicate:
                    attrs.update(duplicate_style, tooltip=f"{edge.dataset} (several producers)")
                lines.append(
                    f"{task_names[edge.source]} -> {task_names[edge.target]}" + self._tail(attrs)
                )
        return lines

    @staticmethod
    def _tail(attrs: dict[str, str | float]) -> str:
        return (" " + _attrs(**attrs) + ";") if attrs else ";"

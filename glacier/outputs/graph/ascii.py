"""Text drawings of pipelines for terminals (`pipeline.visualize()`, ``--format ascii``).

Each pipeline is drawn top-down in layers, as the design document sketches its diamond::

    ┌───────────────┐
    │ source        │
    │ → a           │
    └───────┬───────┘
        ┌───┴──────────┐
        ▼              ▼
    ┌────────┐    ┌─────────┐
    │ left   │    │ right   │
    ...

A task's box holds its name, its compute summary and the dataset it produces (``→ name``).
External inputs are rounded boxes with their storage URI, a dataset nobody produces is a
dashed box, tasks in a cycle have heavy borders and the edges that close a loop are listed
under the drawing. Every problem is listed too.

The drawing depends only on the project and ``width``: layers come from the longest path,
order within a layer from the pipeline's task list (then the mean position of the
predecessors). A pipeline too wide for ``width`` columns, or with more than `MAX_DRAWN_TASKS`
tasks, is listed in execution order instead.
"""

from __future__ import annotations

import textwrap
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from glacier.model import Project
from glacier.outputs.graph.style import DatasetView, PipelineScene, TaskView, scene

#: Larger pipelines are listed in execution order rather than drawn.
MAX_DRAWN_TASKS = 150
#: Columns between boxes of one layer.
GAP = 3

#: Border characters: top-left, top, top-right, side, bottom-left, bottom-right.
_BORDERS = {
    "task": ("┌", "─", "┐", "│", "└", "┘"),
    "cycle": ("┏", "━", "┓", "┃", "┗", "┛"),
    "input": ("╭", "─", "╮", "│", "╰", "╯"),
    "missing": ("┌", "╌", "┐", "╎", "└", "┘"),
}
#: Where edges leave a box's bottom border.
_TEE = {"task": "┬", "cycle": "┳", "input": "┬", "missing": "┬"}
_LEGEND = {
    "task": "┌┐ task",
    "cycle": "┏┓ task in a cycle",
    "input": "╭╮ external input",
    "missing": "┌╌┐ dataset with no producer",
}

_UP, _DOWN, _LEFT, _RIGHT = 1, 2, 4, 8
_LINES = {
    _UP: "│",
    _DOWN: "│",
    _UP | _DOWN: "│",
    _LEFT: "─",
    _RIGHT: "─",
    _LEFT | _RIGHT: "─",
    _DOWN | _RIGHT: "┌",
    _DOWN | _LEFT: "┐",
    _UP | _RIGHT: "└",
    _UP | _LEFT: "┘",
    _UP | _DOWN | _RIGHT: "├",
    _UP | _DOWN | _LEFT: "┤",
    _DOWN | _LEFT | _RIGHT: "┬",
    _UP | _LEFT | _RIGHT: "┴",
    _UP | _DOWN | _LEFT | _RIGHT: "┼",
}


def render_ascii(project: Project, *, width: int = 100) -> str:
    """Every pipeline of ``project`` as a text drawing at most ``width`` columns wide."""
    parts = [_render_scene(pipeline, width) for pipeline in scene(project)]
    return "\n".join(parts) if parts else "(no pipelines)\n"


# -- layout ---------------------------------------------------------------------------


@dataclass
class _Node:
    key: str
    #: "task", "cycle", "input", "missing" or "dummy" (a long edge passing a layer).
    style: str
    lines: list[str]
    order: int
    layer: int = 0
    x: int = 0
    successors: list[str] = field(default_factory=list)
    predecessors: list[str] = field(default_factory=list)

    @property
    def width(self) -> int:
        if self.style == "dummy":
            return 1
        return max(_cells(line) for line in self.lines) + 4

    @property
    def height(self) -> int:
        return 1 if self.style == "dummy" else len(self.lines) + 2

    @property
    def centre(self) -> int:
        return self.x + self.width // 2


def _task_lines(task: TaskView, duplicate: bool) -> list[str]:
    lines = [task.name]
    if task.summary:
        lines.append(task.summary)
    if task.output is not None:
        lines.append(f"→ {task.output}" + (" (!! several producers)" if duplicate else ""))
    return lines


def _dataset_lines(dataset: DatasetView) -> list[str]:
    lines = [dataset.name]
    if dataset.uri:
        lines.append(dataset.uri)
    if dataset.role == "missing":
        lines.append("!! no producer")
    return lines


def _render_scene(pipeline: PipelineScene, width: int) -> str:
    problems = len(pipeline.problems)
    header = f"Pipeline {pipeline.title}: {len(pipeline.tasks)} task" + "s" * (
        len(pipeline.tasks) != 1
    )
    if problems:
        header += f", {problems} problem" + "s" * (problems != 1)
    lines = [_clip(header, width), "═" * min(_cells(header), width)]

    nodes: dict[str, _Node] = {}
    back_edges: list[str] = []
    if len(pipeline.tasks) > MAX_DRAWN_TASKS:
        drawing = _listing(pipeline, width, f"more than {MAX_DRAWN_TASKS} tasks")
    else:
        nodes, back_edges = _build(pipeline)
        drawing = _draw(nodes) if nodes else ["(no tasks)"]
        if any(_cells(line) > width for line in drawing):
            drawing = _listing(pipeline, width, f"too wide for {width} columns")
    lines.extend(drawing)

    styles = {node.style for node in nodes.values() if node.style != "dummy"}
    legend = "  ".join(text for key, text in _LEGEND.items() if key in styles and key != "task")
    if back_edges:
        lines.append("")
        lines.append("Edges that close a cycle (not drawn):")
        lines.extend(_wrap(f"  ⟲ {edge}", width) for edge in back_edges)
    if pipeline.problems:
        lines.append("")
        lines.append("Problems:")
        lines.extend(_wrap(f"  !! {problem}", width) for problem in pipeline.problems)
    if legend:
        lines.append("")
        lines.append(_wrap(legend, width, indent=""))
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _build(pipeline: PipelineScene) -> tuple[dict[str, _Node], list[str]]:
    """Nodes (tasks, inputs, missing datasets, dummies) placed in layers and columns."""
    nodes: dict[str, _Node] = {}
    position = 0
    for dataset in pipeline.datasets:
        if dataset.role in ("input", "missing"):
            nodes[f"d:{dataset.name}"] = _Node(
                f"d:{dataset.name}", dataset.role, _dataset_lines(dataset), position
            )
            position += 1
    duplicated = {d.name for d in pipeline.datasets if d.duplicate}
    for task in pipeline.tasks:
        style = "cycle" if task.in_cycle else "task"
        lines = _task_lines(task, task.output in duplicated)
        nodes[f"t:{task.id}"] = _Node(f"t:{task.id}", style, lines, position)
        position += 1

    links: list[tuple[str, str]] = []
    for dataset in pipeline.datasets:
        if f"d:{dataset.name}" in nodes:
            links.extend(
                (f"d:{dataset.name}", f"t:{consumer}")
                for consumer in pipeline.consumers(dataset.name)
            )
    back_edges: list[str] = []
    for edge in pipeline.edges:
        source, target = f"t:{edge.source}", f"t:{edge.target}"
        if edge.in_cycle and nodes[target].order <= nodes[source].order:
            names = pipeline.task(edge.source).name, pipeline.task(edge.target).name
            back_edges.append(f"{names[0]} ─{edge.dataset}→ {names[1]}")
            continue
        if (source, target) not in links:
            links.append((source, target))

    # Layers by longest path; list order is a topological order of the kept links
    # except where a later task feeds an earlier one, so relax until stable.
    for source, target in links:
        nodes[source].successors.append(target)
        nodes[target].predecessors.append(source)
    ordered = sorted(nodes.values(), key=lambda node: node.order)
    changed = True
    while changed:
        changed = False
        for node in ordered:
            for successor in node.successors:
                if nodes[successor].layer <= node.layer:
                    nodes[successor].layer = node.layer + 1
                    changed = True

    # Long links pass through one dummy node per layer they skip.
    dummies = 0
    for source, target in links:
        if nodes[target].layer - nodes[source].layer <= 1:
            continue
        nodes[source].successors.remove(target)
        nodes[target].predecessors.remove(source)
        previous = source
        for layer in range(nodes[source].layer + 1, nodes[target].layer):
            key = f"dummy:{dummies}"
            dummies += 1
            nodes[key] = _Node(key, "dummy", [], nodes[source].order, layer)
            nodes[previous].successors.append(key)
            nodes[key].predecessors.append(previous)
            previous = key
        nodes[previous].successors.append(target)
        nodes[target].predecessors.append(previous)

    _place(nodes)
    return nodes, back_edges


def _place(nodes: dict[str, _Node]) -> None:
    """Order each layer by its predecessors' mean position, then pack it left to right."""
    if not nodes:
        return
    layers: dict[int, list[_Node]] = {}
    for node in nodes.values():
        layers.setdefault(node.layer, []).append(node)
    rank: dict[str, float] = {}
    for layer in sorted(layers):
        members = layers[layer]

        def key(node: _Node) -> tuple[float, int]:
            if node.predecessors:
                mean = sum(rank[p] for p in node.predecessors) / len(node.predecessors)
                return (mean, node.order)
            return (float(node.order), node.order)

        members.sort(key=key if layer else (lambda node: (0.0, node.order)))
        for index, node in enumerate(members):
            rank[node.key] = index
        right: int | None = None
        for node in members:
            if node.predecessors:
                centres = [nodes[p].centre for p in node.predecessors]
                wanted = sum(centres) // len(centres) - node.width // 2
            else:
                wanted = 0
            node.x = wanted if right is None else max(wanted, right)
            right = node.x + node.width + GAP
    # Then centre fanning parents over their children where there is room to the right.
    for layer in sorted(layers, reverse=True):
        members = layers[layer]
        for index in range(len(members) - 1, -1, -1):
            node = members[index]
            if len(node.successors) < 2 or node.style == "dummy":
                continue
            centres = [nodes[s].centre for s in node.successors]
            wanted = sum(centres) // len(centres) - node.width // 2
            limit = members[index + 1].x - GAP - node.width if index + 1 < len(members) else wanted
            node.x = max(node.x, min(wanted, limit))
    # Centring under a predecessor may have pushed boxes left of the margin.
    shift = -min(node.x for node in nodes.values())
    for node in nodes.values():
        node.x += shift


# -- drawing --------------------------------------------------------------------------


class _Canvas:
    def __init__(self) -> None:
        self.text: dict[tuple[int, int], str] = {}
        #: Line cells: owner -> direction bits, so crossings can be told from joins.
        self.wires: dict[tuple[int, int], dict[str, int]] = {}

    def put(self, row: int, column: int, text: str) -> None:
        for char in text:
            if unicodedata.combining(char) and (row, column - 1) in self.text:
                self.text[(row, column - 1)] += char  # an accent joins the previous cell
                continue
            self.text[(row, column)] = char
            if _cells(char) == 2:  # a wide character also covers the next column
                column += 1
                self.text[(row, column)] = ""
            column += 1

    def wire(self, row: int, column: int, bits: int, owner: str) -> None:
        cell = self.wires.setdefault((row, column), {})
        cell[owner] = cell.get(owner, 0) | bits

    def vertical(self, column: int, top: int, bottom: int, owner: str) -> None:
        """A line from row ``top`` down to row ``bottom`` (inclusive)."""
        for row in range(top, bottom + 1):
            bits = (_UP if row > top else 0) | (_DOWN if row < bottom else 0)
            self.wire(row, column, bits or (_UP | _DOWN), owner)

    def horizontal(self, row: int, left: int, right: int, owner: str) -> None:
        for column in range(left, right + 1):
            bits = (_LEFT if column > left else 0) | (_RIGHT if column < right else 0)
            self.wire(row, column, bits, owner)

    def lines(self) -> list[str]:
        cells = set(self.text) | set(self.wires)
        if not cells:
            return []
        height = max(row for row, _ in cells) + 1
        rows: list[list[str]] = [[] for _ in range(height)]
        for row, column in sorted(cells):
            line = rows[row]
            line.extend(" " * (column - len(line)))
            line.append(self._char(row, column))
        return ["".join(line).rstrip() for line in rows]

    def _char(self, row: int, column: int) -> str:
        if (row, column) in self.text:
            return self.text[(row, column)]
        owners = self.wires[(row, column)]
        values = list(owners.values())
        vertical = [b for b in values if b & (_LEFT | _RIGHT) == 0]
        horizontal = [b for b in values if b & (_UP | _DOWN) == 0]
        if (
            len(owners) > 1
            and vertical
            and horizontal
            and len(vertical) + len(horizontal) == len(values)
        ):
            return "│"  # a crossing, not a join: the vertical line passes over
        bits = 0
        for value in values:
            bits |= value
        return _LINES.get(bits, "┼")


def _draw(nodes: dict[str, _Node]) -> list[str]:
    canvas = _Canvas()
    layers: dict[int, list[_Node]] = {}
    for node in nodes.values():
        layers.setdefault(node.layer, []).append(node)
    row = 0
    layer_top: dict[int, int] = {}
    layer_bottom: dict[int, int] = {}
    for layer in sorted(layers):
        members = layers[layer]
        height = max(node.height for node in members)
        layer_top[layer] = row
        layer_bottom[layer] = row + height - 1
        for node in members:
            if node.style == "dummy":
                canvas.vertical(node.centre, row, row + height - 1, node.key)
                continue
            _box(canvas, node, row)
            if node.successors:
                canvas.put(row + node.height - 1, node.centre, _TEE[node.style])
                if node.height < height:
                    canvas.vertical(node.centre, row + node.height, row + height - 1, node.key)
        row += height
        following = [node for node in members if node.successors]
        if layer + 1 not in layers:
            continue
        # The band to the next layer: one horizontal track per fanning source.
        fanning = [
            node
            for node in following
            if len(node.successors) > 1 or nodes[node.successors[0]].centre != node.centre
        ]
        tracks = _tracks(fanning, nodes)
        band = max(tracks.values(), default=0) + 2
        arrow_row = row + band - 1
        for node in following:
            owner = node.key
            track = tracks.get(owner)
            if track is None:
                target = nodes[node.successors[0]]
                canvas.vertical(node.centre, row, arrow_row, owner)
                _arrive(canvas, target, arrow_row, owner)
                continue
            canvas.vertical(node.centre, row, row + track, owner)
            centres = [nodes[s].centre for s in node.successors]
            canvas.horizontal(
                row + track, min(*centres, node.centre), max(*centres, node.centre), owner
            )
            for successor in node.successors:
                target = nodes[successor]
                canvas.vertical(target.centre, row + track, arrow_row, owner)
                _arrive(canvas, target, arrow_row, owner)
        row += band
    return canvas.lines()


def _tracks(fanning: list[_Node], nodes: dict[str, _Node]) -> dict[str, int]:
    """A band row (from 1) per fanning source; sources share a row when their lines
    do not overlap, or meet only above a target they both feed (a fan-in join)."""
    rows: list[list[tuple[int, int, set[int]]]] = []
    result: dict[str, int] = {}
    for node in sorted(fanning, key=lambda n: (n.centre, n.order)):
        targets = {nodes[s].centre for s in node.successors}
        left, right = min(*targets, node.centre), max(*targets, node.centre)
        for index, taken in enumerate(rows):
            if all(
                right < other_left
                or left > other_right
                or (
                    (right == other_left or left == other_right)
                    and (right if right == other_left else left) in targets & other_targets
                )
                for other_left, other_right, other_targets in taken
            ):
                taken.append((left, right, targets))
                result[node.key] = index + 1
                break
        else:
            rows.append([(left, right, targets)])
            result[node.key] = len(rows)
    return result


def _arrive(canvas: _Canvas, target: _Node, arrow_row: int, owner: str) -> None:
    if target.style != "dummy":
        canvas.put(arrow_row, target.centre, "▼")


def _box(canvas: _Canvas, node: _Node, row: int) -> None:
    top_left, top, top_right, side, bottom_left, bottom_right = _BORDERS[node.style]
    inner = node.width - 2
    canvas.put(row, node.x, top_left + top * inner + top_right)
    for offset, text in enumerate(node.lines, start=1):
        padding = " " * (inner - 2 - _cells(text))
        canvas.put(row + offset, node.x, f"{side} {text}{padding} {side}")
    canvas.put(row + node.height - 1, node.x, bottom_left + top * inner + bottom_right)


# -- fallback -------------------------------------------------------------------------


def _listing(pipeline: PipelineScene, width: int, reason: str) -> list[str]:
    """Tasks in execution order with what they read and write, for very large pipelines."""
    lines = [_clip(f"({reason}: tasks in execution order)", width)]
    for dataset in pipeline.datasets:
        if dataset.role == "input":
            lines.append(f"  input {dataset.name}" + (f" ← {dataset.uri}" if dataset.uri else ""))
        elif dataset.role == "missing":
            lines.append(f"  !! {dataset.name}: no producer")
    order: Sequence[str] = pipeline.graph.order or tuple(task.id for task in pipeline.tasks)
    if not pipeline.graph.order:
        lines.append("  (cycle: no execution order; tasks in list order)")
    names = {task.id: task.name for task in pipeline.tasks}
    for task_id in order:
        task = pipeline.task(task_id)
        compute = f"  [{task.summary}]" if task.summary else ""
        lines.append(_clip(f"  {task.name}{compute}", width))
        inputs = [item.dataset for item in pipeline.graph.task(task_id).inputs]
        if inputs:
            lines.append(_clip(f"    ← {', '.join(inputs)}", width))
        if task.output is not None:
            consumers = [names[c] for c in pipeline.graph.consumers(task_id)]
            target = ", ".join(consumers) if consumers else "(final output)"
            lines.append(_clip(f"    → {task.output} → {target}", width))
    return lines


def _wrap(text: str, width: int, indent: str = "     ") -> str:
    return textwrap.fill(
        text, width, subsequent_indent=indent, break_on_hyphens=False, break_long_words=True
    )


def _cells(text: str) -> int:
    """Terminal columns of ``text``: East Asian wide and full-width characters take two."""
    if text.isascii():
        return len(text)
    return sum(
        0 if unicodedata.combining(char) else 2 if unicodedata.east_asian_width(char) in "WF" else 1
        for char in text
    )


def _clip(text: str, width: int) -> str:
    if _cells(text) <= width:
        return text
    while text and _cells(text) > width - 1:
        text = text[:-1]
    return text + "…"

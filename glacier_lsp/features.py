"""Read-only features over an `AnalysisResult`: hover, definition, references, rename targets,
symbols and completion.

Positions here are Glacier's (1-based line, code-point column); `glacier_lsp.convert` does the
LSP side. Everything is computed from the project model and the analyzer's references; nothing
here parses Python.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from lsprotocol import types

from glacier.analysis import AnalysisResult, Reference
from glacier.compute import summarize_compute
from glacier.model import DatasetInfo, PipelineInfo, Project, Span, TaskInfo
from glacier_lsp.convert import LineIndex, contains, path_key

DATASET, TASK, PIPELINE = "dataset", "task", "pipeline"


# --- what is at a position ---------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """The model element a position refers to."""

    kind: str
    #: Dataset name, task id, or pipeline label.
    key: str
    #: The span the position is in (the reference, or the declaration itself).
    span: Span
    #: An annotation that names a task, standing for the task's output dataset.
    via_task: bool = False


def _in_file(span: Span | None, key: str) -> bool:
    return span is not None and path_key(span.filename) == key


def _size(span: Span) -> tuple[int, int]:
    return (span.end_line - span.line, span.end_column - span.column)


def target_at(result: AnalysisResult, path: str, line: int, column: int) -> Target | None:
    """The dataset, task or pipeline at a position: a reference first, else a declaration."""
    key = path_key(path)
    hits = [
        ref
        for ref in result.references
        if _in_file(ref.span, key) and contains(ref.span, line, column)
    ]
    if hits:
        ref = min(hits, key=lambda r: _size(r.span))
        if ref.kind == TASK and ref.role in ("input", "output"):
            # A task used as an annotation stands for the dataset it produces.
            task = result.project.task(ref.target)
            if task is not None and task.output is not None:
                return Target(DATASET, task.output, ref.span, via_task=True)
        return Target(ref.kind, ref.target, ref.span)
    project = result.project
    declared: list[Target] = [
        Target(DATASET, d.name, d.span)
        for d in project.datasets
        if d.span and _in_file(d.span, key) and contains(d.span, line, column)
    ]
    declared += [
        Target(TASK, t.id, t.span)
        for t in project.tasks
        if t.span and _in_file(t.span, key) and contains(t.span, line, column)
    ]
    declared += [
        Target(PIPELINE, pipeline_key(p), p.span)
        for p in project.pipelines
        if p.span and _in_file(p.span, key) and contains(_assignment(p, p.span), line, column)
    ]
    return min(declared, key=lambda t: _size(t.span)) if declared else None


def _assignment(pipeline: PipelineInfo, span: Span) -> Span:
    """``pipeline = Pipeline(``: the variable on the call's line counts as the pipeline too."""
    return replace(span, column=1) if pipeline.variable else span


def pipeline_key(pipeline: PipelineInfo) -> str:
    return pipeline.name or pipeline.variable or "pipeline"


def find_pipeline(project: Project, key: str) -> PipelineInfo | None:
    return next((p for p in project.pipelines if key in (p.name, p.variable)), None) or next(
        (p for p in project.pipelines if pipeline_key(p) == key), None
    )


# --- hover -------------------------------------------------------------------------------------


def producers(project: Project, dataset: str) -> list[TaskInfo]:
    return [task for task in project.tasks if task.output == dataset]


def consumers(project: Project, dataset: str) -> list[TaskInfo]:
    return [task for task in project.tasks if any(i.dataset == dataset for i in task.inputs)]


def _names(tasks: Iterable[TaskInfo]) -> str:
    return ", ".join(f"`{task.name}`" for task in tasks)


def hover_dataset(project: Project, dataset: DatasetInfo) -> str:
    lines = [f"**Dataset** `{dataset.name}`"]
    if dataset.variable and dataset.variable != dataset.name:
        lines[0] += f" (variable `{dataset.variable}`)"
    storage = dataset.storage
    if storage:
        where = storage.get("uri") or storage.get("kind")
        lines.append(f"Storage: `{where}` ({storage.get('kind')})")
    else:
        lines.append("Storage: none (in memory between tasks)")
    if dataset.schema:
        lines.append(f"Schema: `{dataset.schema}`")
    made = producers(project, dataset.name)
    lines.append(f"Produced by {_names(made)}" if made else "Produced by no task")
    used = consumers(project, dataset.name)
    lines.append(f"Consumed by {_names(used)}" if used else "Consumed by no task")
    return "\n\n".join(lines)


def hover_task(project: Project, task: TaskInfo) -> str:
    lines = [f"**Task** `{task.name}` (`{task.id}`)"]
    compute = summarize_compute(dict(task.compute)) if task.compute else "default (local)"
    lines.append(f"Compute: {compute}")
    inputs = ", ".join(f"`{i.parameter}`: `{i.dataset}`" for i in task.inputs)
    lines.append(f"Inputs: {inputs or 'none (a source)'}")
    lines.append(f"Output: `{task.output}`" if task.output else "Output: none (a sink)")
    pipelines = [p for p in project.pipelines if any(n.id == task.id for n in p.graph.tasks)]
    if pipelines:
        lines.append("In " + ", ".join(f"`{pipeline_key(p)}`" for p in pipelines))
    return "\n\n".join(lines)


def hover_pipeline(project: Project, pipeline: PipelineInfo) -> str:
    graph = pipeline.graph
    title = f"**Pipeline** `{pipeline_key(pipeline)}`"
    if pipeline.name and pipeline.variable:
        title += f" (variable `{pipeline.variable}`)"
    names = {node.id: node.name for node in graph.tasks}
    if graph.is_acyclic:
        steps = [f"{n}. `{names[task_id]}`" for n, task_id in enumerate(graph.order, 1)]
        body = "Tasks in execution order:\n\n" + "\n".join(steps)
    else:
        steps = [f"- `{node.name}`" for node in graph.tasks]
        body = "Has a cycle, so no execution order. Tasks:\n\n" + "\n".join(steps)
    if graph.inputs:
        body += "\n\nExternal inputs: " + ", ".join(f"`{d}`" for d in graph.inputs)
    return f"{title}\n\n{body}"


def hover(result: AnalysisResult, path: str, line: int, column: int) -> str | None:
    """Markdown for the element at a position, or ``None``."""
    target = target_at(result, path, line, column)
    if target is None:
        return None
    project = result.project
    if target.kind == DATASET and (dataset := project.dataset(target.key)) is not None:
        return hover_dataset(project, dataset)
    if target.kind == TASK and (task := project.task(target.key)) is not None:
        return hover_task(project, task)
    if target.kind == PIPELINE and (pipeline := find_pipeline(project, target.key)) is not None:
        return hover_pipeline(project, pipeline)
    return None


# --- definition, references, rename ------------------------------------------------------------


def declaration(result: AnalysisResult, target: Target) -> Span | None:
    """Where the target is declared: the name it is bound to, else its model span."""
    for ref in result.references:
        if ref.role == "declaration" and (ref.kind, ref.target) == (target.kind, target.key):
            return ref.span
    project = result.project
    if target.kind == DATASET:
        dataset = project.dataset(target.key)
        return dataset.span if dataset else None
    if target.kind == TASK:
        task = project.task(target.key)
        return task.span if task else None
    pipeline = find_pipeline(project, target.key)
    return pipeline.span if pipeline else None


def definition(result: AnalysisResult, path: str, line: int, column: int) -> Span | None:
    """Where the element at a position is declared."""
    target = target_at(result, path, line, column)
    return declaration(result, target) if target else None


def references_of(result: AnalysisResult, target: Target) -> list[Reference]:
    return [ref for ref in result.references if (ref.kind, ref.target) == (target.kind, target.key)]


def references(
    result: AnalysisResult, path: str, line: int, column: int, include_declaration: bool
) -> list[Span]:
    """Every use of the element at a position across the workspace (producers and consumers of a
    dataset; pipeline entries of a task)."""
    target = target_at(result, path, line, column)
    if target is None:
        return []
    declared = declaration(result, target)
    spans = [ref.span for ref in references_of(result, target) if ref.span != declared]
    if include_declaration and declared is not None:
        spans.insert(0, declared)
    return sorted(set(spans), key=spans.index)


@dataclass(frozen=True)
class RenameTarget:
    dataset: DatasetInfo
    variable: str
    span: Span


def rename_target(result: AnalysisResult, path: str, line: int, column: int) -> RenameTarget | None:
    """The dataset variable at a position, if it can be renamed."""
    target = target_at(result, path, line, column)
    if target is None or target.kind != DATASET or target.via_task:
        return None
    dataset = result.project.dataset(target.key)
    if dataset is None or not dataset.variable:
        return None
    return RenameTarget(dataset, dataset.variable, target.span)


def rename_spans(
    result: AnalysisResult, path: str, line: int, column: int, text_of: Callable[[Span], str]
) -> list[Span]:
    """The spans that spell the dataset variable at a position, across the workspace: plain
    names, string annotations (``"raw"``), attributes (``ds.raw``) and imports (``raw as r``).

    ``text_of`` gives the current source text of a one-line span.
    """
    found = rename_target(result, path, line, column)
    if found is None:
        raise ValueError("only a dataset variable can be renamed here")
    variable = found.variable
    spans: list[Span] = []
    for ref in references_of(result, Target(DATASET, found.dataset.name, found.span)):
        span = ref.span
        if span.line != span.end_line:
            continue
        text = text_of(span)
        if text in (f'"{variable}"', f"'{variable}'"):
            span = replace(span, column=span.column + 1, end_column=span.end_column - 1)
        elif text.endswith(f".{variable}"):
            span = replace(span, column=span.end_column - len(variable))
        elif text.startswith(f"{variable} as "):
            span = replace(span, end_column=span.column + len(variable))
        elif text != variable:
            continue
        spans.append(span)
    return sorted(set(spans))


# --- symbols -----------------------------------------------------------------------------------


def _symbol(
    name: str,
    detail: str,
    kind: types.SymbolKind,
    range_: types.Range,
    children: list[types.DocumentSymbol] | None = None,
) -> types.DocumentSymbol:
    return types.DocumentSymbol(
        name=name, kind=kind, range=range_, selection_range=range_, detail=detail, children=children
    )


def document_symbols(
    result: AnalysisResult, path: str, lines: LineIndex
) -> list[types.DocumentSymbol]:
    """Datasets, tasks and pipelines of one file; a pipeline's children are its task entries."""
    project, key = result.project, path_key(path)
    symbols: list[tuple[Span, types.DocumentSymbol]] = []
    for d in project.datasets:
        if d.span and _in_file(d.span, key):
            symbols.append(
                (
                    d.span,
                    _symbol(
                        d.variable or d.name,
                        f'Dataset("{d.name}")',
                        types.SymbolKind.Variable,
                        lines.range(d.span),
                    ),
                )
            )
    for t in project.tasks:
        if t.span and _in_file(t.span, key):
            detail = f"task → {t.output}" if t.output else "task"
            symbols.append(
                (t.span, _symbol(t.name, detail, types.SymbolKind.Function, lines.range(t.span)))
            )
    for p in project.pipelines:
        if p.span and _in_file(p.span, key):
            elements = pipeline_elements(result, p)
            entries = [
                _symbol(
                    _task_name(project, ref.target),
                    "task",
                    types.SymbolKind.Function,
                    lines.range(ref.span),
                )
                for ref in elements
            ]
            last = elements[-1].span if elements else p.span
            whole = Span(
                p.span.filename, p.span.line, p.span.column, last.end_line, last.end_column
            )
            detail = f"pipeline, {len(p.graph.tasks)} tasks"
            symbol = _symbol(
                pipeline_key(p), detail, types.SymbolKind.Module, lines.range(whole), entries
            )
            symbol.selection_range = lines.range(p.span)
            symbols.append((p.span, symbol))
    return [symbol for _, symbol in sorted(symbols, key=lambda pair: pair[0])]


def pipeline_elements(result: AnalysisResult, pipeline: PipelineInfo) -> list[Reference]:
    """The task-list entries of ``pipeline``: the analyzer's ``pipeline-element`` references
    after its ``Pipeline(`` and before the next pipeline of the same file."""
    span = pipeline.span
    if span is None:
        return []
    key = path_key(span.filename)
    later = [
        (p.span.line, p.span.column)
        for p in result.project.pipelines
        if p.span
        and _in_file(p.span, key)
        and (p.span.line, p.span.column) > (span.line, span.column)
    ]
    stop = min(later, default=(1 << 30, 0))
    return sorted(
        (
            ref
            for ref in result.references
            if ref.role == "pipeline-element"
            and _in_file(ref.span, key)
            and (span.line, span.column) <= (ref.span.line, ref.span.column) < stop
        ),
        key=lambda ref: ref.span,
    )


def _task_name(project: Project, task_id: str) -> str:
    task = project.task(task_id)
    return task.name if task else task_id.rsplit(".", 1)[-1]


def _within(inner: Span, outer: Span) -> bool:
    return (outer.line, outer.column) <= (inner.line, inner.column) and (
        inner.end_line,
        inner.end_column,
    ) <= (outer.end_line, outer.end_column)


def workspace_symbols(
    project: Project, query: str, location: Callable[[Span], types.Location]
) -> list[types.WorkspaceSymbol]:
    """Every dataset, task and pipeline whose name contains the query (case-insensitive)."""
    wanted = query.lower()
    found: list[types.WorkspaceSymbol] = []

    def add(name: str, kind: types.SymbolKind, span: Span | None, container: str | None) -> None:
        if span is not None and wanted in name.lower():
            found.append(
                types.WorkspaceSymbol(
                    name=name, kind=kind, location=location(span), container_name=container
                )
            )

    for d in project.datasets:
        add(d.variable or d.name, types.SymbolKind.Variable, d.span, d.module)
    for t in project.tasks:
        add(t.name, types.SymbolKind.Function, t.span, t.module)
    for p in project.pipelines:
        add(pipeline_key(p), types.SymbolKind.Module, p.span, None)
    return found


# --- completion --------------------------------------------------------------------------------

_WORD = re.compile(r"[^\W\d]\w*$")
_DEF = re.compile(r"\bdef\s+\w+\s*\(")
_PIPELINE = re.compile(r"\bPipeline\s*\(")
#: How far back (in lines) completion looks for the enclosing ``def`` or ``Pipeline(``.
LOOKBACK = 40


def completion_context(lines: LineIndex, position: types.Position) -> str | None:
    """``"dataset"`` in an annotation, ``"task"`` in a ``Pipeline([...])`` list, else ``None``."""
    _, column = lines.point(position)
    current = lines.line(position.line)[: column - 1]
    first = max(0, position.line - LOOKBACK)
    before = "\n".join([*lines.lines[first : position.line], current])
    word = _WORD.search(before)
    head = before[: word.start()] if word else before
    stripped = head.rstrip()
    if stripped.endswith("->") and _in_def_header(stripped[:-2], closed=True):
        return DATASET
    if stripped.endswith(":") and _in_def_header(stripped[:-1], closed=False):
        return DATASET
    if _in_pipeline_list(head):
        return TASK
    return None


def _depths(text: str) -> tuple[int, int]:
    """Open ``(`` and ``[`` left at the end of ``text`` (strings and comments are not skipped:
    good enough for the few lines completion looks at)."""
    paren = square = 0
    for char in text:
        if char == "(":
            paren += 1
        elif char == ")":
            paren -= 1
        elif char == "[":
            square += 1
        elif char == "]":
            square -= 1
    return paren, square


def _last(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    found = None
    for found in pattern.finditer(text):  # noqa: B007 - we want the last match
        pass
    return found


def _in_def_header(text: str, closed: bool) -> bool:
    match = _last(_DEF, text)
    if match is None:
        return False
    rest = text[match.end() :]
    paren, square = _depths(rest)
    if closed:
        return paren == -1 and rest.rstrip().endswith(")")
    return paren == 0 and square == 0 and "\n\n" not in rest


def _in_pipeline_list(text: str) -> bool:
    match = _last(_PIPELINE, text)
    if match is None:
        return False
    paren, square = _depths(text[match.end() :])
    return paren >= 0 and square >= 1


def completion(
    project: Project, lines: LineIndex, position: types.Position
) -> list[types.CompletionItem]:
    """Dataset variables in annotations; task names in pipeline lists."""
    context = completion_context(lines, position)
    if context == DATASET:
        return [
            types.CompletionItem(
                label=d.variable,
                kind=types.CompletionItemKind.Variable,
                detail=f'Dataset("{d.name}")',
                documentation=types.MarkupContent(
                    types.MarkupKind.Markdown, hover_dataset(project, d)
                ),
            )
            for d in project.datasets
            if d.variable
        ]
    if context == TASK:
        return [
            types.CompletionItem(
                label=t.name,
                kind=types.CompletionItemKind.Function,
                detail=f"task → {t.output}" if t.output else "task",
                documentation=types.MarkupContent(
                    types.MarkupKind.Markdown, hover_task(project, t)
                ),
            )
            for t in project.tasks
        ]
    return []

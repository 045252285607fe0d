"""Code actions (quick fixes) and code lenses.

Quick fixes: "did you mean" for unknown names (GLC012), a stub producer for a missing producer
(GLC002), adding an orphan task to a pipeline (GLC009), and a ``# glacier: ignore[...]`` comment
for any diagnostic. What a fix is about (the suggestion, the dataset, the task) comes from the
data the finding carries (``Diagnostic.data``), never from its message. Edits are built from the
model's spans and the analyzer's references; the only text inspected is the line being edited
(imports are added after the last import line).
"""

from __future__ import annotations

import difflib
import re
from typing import TYPE_CHECKING

from lsprotocol import types

from glacier.analysis import AnalysisResult
from glacier.model import PipelineInfo, Project, Span
from glacier.rules import MISSING_PRODUCER, ORPHAN_TASK, UNKNOWN_NAME
from glacier_lsp.convert import LineIndex, contains, finding_data, path_key
from glacier_lsp.features import consumers, pipeline_elements, pipeline_key

if TYPE_CHECKING:
    from glacier_lsp.state import AnalysisState

#: As the analyzer reads suppression comments: case-insensitive.
_IGNORE = re.compile(r"#\s*glacier:\s*ignore(?:\[([^\]]*)\])?", re.IGNORECASE)
_IMPORT = re.compile(r"^(?:from\s+\S+\s+import\b|import\s)")
Edits = list[tuple[Span, str]]


def code_actions(
    state: AnalysisState, result: AnalysisResult, path: str, params: types.CodeActionParams
) -> list[types.CodeAction]:
    """The quick fixes for the Glacier diagnostics in the request's context."""
    found: list[types.CodeAction] = []
    lines = state.lines(path)
    for diagnostic in params.context.diagnostics:
        if diagnostic.source != "glacier" or not isinstance(diagnostic.code, str):
            continue
        fixes: list[tuple[str, Edits]] = []
        if diagnostic.code == UNKNOWN_NAME.code:
            fixes += did_you_mean(result.project, path, lines, diagnostic)
        elif diagnostic.code == MISSING_PRODUCER.code:
            fixes += stub_producer(state, result, path, lines, diagnostic)
        elif diagnostic.code == ORPHAN_TASK.code:
            fixes += add_to_pipeline(state, result, path, lines, diagnostic)
        fixes.append(suppress(path, lines, diagnostic))
        for title, edits in fixes:
            found.append(
                types.CodeAction(
                    title=title,
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    edit=state.workspace_edit(edits),
                    is_preferred=not title.startswith("Suppress"),
                )
            )
    return found


def _point(path: str, line: int, column: int) -> Span:
    """An empty span (an insertion point), 1-based."""
    return Span(path, line, column, line, column)


def _range_span(path: str, lines: LineIndex, range_: types.Range) -> Span:
    start, end = lines.point(range_.start), lines.point(range_.end)
    return Span(path, start[0], start[1], end[0], end[1])


# --- GLC012 --------------------------------------------------------------------------------------


def did_you_mean(
    project: Project, path: str, lines: LineIndex, diagnostic: types.Diagnostic
) -> list[tuple[str, Edits]]:
    data = finding_data(diagnostic)
    suggestion = data.get("suggestion")
    unknown = data.get("name")
    if isinstance(suggestion, str) and suggestion:
        names = [suggestion]
    elif isinstance(unknown, str) and unknown:
        known = [d.variable for d in project.datasets if d.variable] + [
            t.name for t in project.tasks
        ]
        names = difflib.get_close_matches(unknown, known, n=3)
    else:
        return []
    span = _range_span(path, lines, diagnostic.range)
    return [(f"Replace with `{name}`", [(span, name)]) for name in names]


# --- GLC002 --------------------------------------------------------------------------------------


def stub_producer(
    state: AnalysisState,
    result: AnalysisResult,
    path: str,
    lines: LineIndex,
    diagnostic: types.Diagnostic,
) -> list[tuple[str, Edits]]:
    wanted = finding_data(diagnostic).get("dataset")
    project = result.project
    dataset = project.dataset(wanted) if isinstance(wanted, str) else None
    line, column = lines.point(diagnostic.range.start)
    pipeline = _pipeline_at(project, path, line, column)
    if dataset is None or not dataset.variable or pipeline is None or pipeline.span is None:
        return []
    name = (
        f"produce_{dataset.name}" if dataset.name.isidentifier() else f"produce_{dataset.variable}"
    )
    stub = f"@task\ndef {name}() -> {dataset.variable}:\n    ...\n\n\n"
    edits: Edits = _imports(lines, path, [("glacier", "task"), (dataset.module, dataset.variable)])
    edits.append((_point(path, pipeline.span.line, 1), stub))
    edits += _append_to_list(result, pipeline, name)
    return [(f"Add a task that produces `{dataset.name}`", edits)]


def _pipeline_at(project: Project, path: str, line: int, column: int) -> PipelineInfo | None:
    key = path_key(path)
    for pipeline in project.pipelines:
        span = pipeline.span
        if span and path_key(span.filename) == key and contains(span, line, column):
            return pipeline
    return None


def _append_to_list(result: AnalysisResult, pipeline: PipelineInfo, name: str) -> Edits:
    """Insert ``name`` after the last task entry of the pipeline's list."""
    entries = [ref.span for ref in pipeline_elements(result, pipeline)]
    if not entries:
        return []
    last = entries[-1]
    return [(_point(last.filename, last.end_line, last.end_column), f", {name}")]


def _imports(lines: LineIndex, path: str, wanted: list[tuple[str | None, str]]) -> Edits:
    """``from module import name`` lines for the names the file does not mention yet."""
    text = lines.text
    missing = [
        f"from {module} import {name}\n"
        for module, name in wanted
        if module and not re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", text)
    ]
    if not missing:
        return []
    after = 0
    for number, line in enumerate(lines.lines):
        if _IMPORT.match(line):
            after = number + 1
        elif line and not line.startswith(("#", '"', "'", " ", ")")) and after:
            break
    return [(_point(path, after + 1, 1), "".join(missing))]


# --- GLC009 --------------------------------------------------------------------------------------


def add_to_pipeline(
    state: AnalysisState,
    result: AnalysisResult,
    path: str,
    lines: LineIndex,
    diagnostic: types.Diagnostic,
) -> list[tuple[str, Edits]]:
    task_id = finding_data(diagnostic).get("task_id")
    task = result.project.task(task_id) if isinstance(task_id, str) else None
    if task is None:
        return []
    fixes: list[tuple[str, Edits]] = []
    for pipeline in result.project.pipelines:
        if pipeline.span is None:
            continue
        edits = _append_to_list(result, pipeline, task.name)
        if not edits:
            continue
        target = pipeline.span.filename
        if path_key(target) != path_key(path):
            edits += _imports(state.lines(target), target, [(task.module, task.name)])
        fixes.append((f"Add `{task.name}` to pipeline `{pipeline_key(pipeline)}`", edits))
    return fixes


# --- suppression ---------------------------------------------------------------------------


def suppress(path: str, lines: LineIndex, diagnostic: types.Diagnostic) -> tuple[str, Edits]:
    """Add the diagnostic's code to the line's ``# glacier: ignore[...]`` comment."""
    code = str(diagnostic.code)
    number = diagnostic.range.start.line + 1
    text = lines.line(number - 1)
    title = f"Suppress {code} on this line"
    existing = _IGNORE.search(text)
    if existing and existing.group(1) is not None:
        codes = [c.strip() for c in existing.group(1).split(",") if c.strip()]
        start, end = existing.span(1)
        replacement = ", ".join([*codes, code])
        return title, [(Span(path, number, start + 1, number, end + 1), replacement)]
    if existing:
        return title, []
    return title, [(_point(path, number, len(text) + 1), f"  # glacier: ignore[{code}]")]


# --- code lenses ---------------------------------------------------------------------------------


def code_lenses(project: Project, path: str, lines: LineIndex, uri: str) -> list[types.CodeLens]:
    """ "produces X · used by N tasks" above each task; "Show graph" above each pipeline."""
    key = path_key(path)
    lenses: list[types.CodeLens] = []
    for task in project.tasks:
        if task.span is None or path_key(task.span.filename) != key:
            continue
        if task.output:
            used = len(consumers(project, task.output))
            title = f"produces {task.output} · used by {used} task{'s' if used != 1 else ''}"
        else:
            title = "produces nothing (a sink)"
        lenses.append(_lens(lines, task.span, types.Command(title=title, command="")))
    for pipeline in project.pipelines:
        if pipeline.span is None or path_key(pipeline.span.filename) != key:
            continue
        command = types.Command(
            title="Show graph",
            command="glacier.showGraph",
            arguments=[uri, pipeline.name or pipeline.variable],
        )
        lenses.append(_lens(lines, pipeline.span, command))
    return lenses


def _lens(lines: LineIndex, span: Span, command: types.Command) -> types.CodeLens:
    start = lines.position(span.line, span.column)
    return types.CodeLens(range=types.Range(start, start), command=command)

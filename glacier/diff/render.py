"""A `ProjectDiff` as text (terminal), Markdown (a pull-request comment) or JSON."""

from __future__ import annotations

import json
from typing import Any

from glacier.compute import summarize_compute
from glacier.diff.compare import (
    DatasetChange,
    DiagnosticRef,
    EdgeRef,
    FieldChange,
    ItemRef,
    PipelineChange,
    ProjectDiff,
    TaskChange,
)

#: The first line of the Markdown, so a CI job can find and update its own comment.
MARKDOWN_MARKER = "<!-- glacier-diff -->"


def _revision(label: str, commit: str | None) -> str:
    return f"{label} ({commit[:12]})" if commit else label


def _where(item: ItemRef) -> str:
    return f"{item.filename}:{item.line}" if item.filename else ""


def describe_value(field: str, value: Any) -> str:
    """One field's value in words: compute as a summary, storage as its URI."""
    if value is None:
        return "none"
    if field == "compute":
        return summarize_compute(dict(value))
    if field == "storage":
        return str(value.get("uri") or value.get("kind"))
    if field == "inputs":
        return "(" + ", ".join(f"{i['parameter']}: {i['dataset']}" for i in value) + ")"
    return str(value)


def describe_change(change: FieldChange) -> str:
    before = describe_value(change.field, change.before)
    after = describe_value(change.field, change.after)
    return f"{change.field}: {before} -> {after}"


def _edge(edge: EdgeRef) -> str:
    return f"{edge.source} -> {edge.target} ({edge.dataset})"


def _diagnostic(ref: DiagnosticRef) -> str:
    return f"{ref.filename}:{ref.line}:{ref.column}: {ref.code} [{ref.name}] {ref.message}"


def _pipeline_summary(change: PipelineChange) -> str:
    parts: list[str] = []

    def count(number: int, noun: str, sign: str) -> None:
        if number:
            parts.append(f"{sign}{number} {noun}{'s' * (number != 1)}")

    count(len(change.tasks_added), "task", "+")
    count(len(change.tasks_removed), "task", "-")
    count(len(change.edges_added), "edge", "+")
    count(len(change.edges_removed), "edge", "-")
    if change.order_changed:
        parts.append("order changed")
    return ", ".join(parts) or "order changed"


# -- text ------------------------------------------------------------------------------


def render_text(diff: ProjectDiff) -> str:
    base = _revision(diff.base_label, diff.base_commit)
    head = _revision(diff.head_label, diff.head_commit)
    lines = [f"glacier diff {base} -> {head}"]
    for side, errors in (("base", diff.syntax_errors_base), ("head", diff.syntax_errors_head)):
        for ref in errors:
            lines.append(f"syntax error in {side}: {_diagnostic(ref)}")
    for side, failures in (("base", diff.failures_base), ("head", diff.failures_head)):
        for failure in failures:
            lines.append(f"not analysed in {side}: {failure}")
    if diff.is_empty:
        lines.append("no pipeline changes")
        return "\n".join(lines) + "\n"

    def section(title: str, body: list[str]) -> None:
        if body:
            lines.append("")
            lines.append(title)
            lines.extend(f"  {line}" for line in body)

    section(
        "Tasks",
        [f"+ {t.name}  {_where(t)}".rstrip() for t in diff.tasks_added]
        + [f"- {t.name}  {_where(t)}".rstrip() for t in diff.tasks_removed]
        + [f"~ {t.id}: {describe_change(c)}" for t in diff.tasks_changed for c in t.changes],
    )
    section(
        "Datasets",
        [f"+ {d.name}  {_where(d)}".rstrip() for d in diff.datasets_added]
        + [f"- {d.name}  {_where(d)}".rstrip() for d in diff.datasets_removed]
        + [f"~ {d.name}: {describe_change(c)}" for d in diff.datasets_changed for c in d.changes],
    )
    section("Compute", [f"~ {t.id}: {_values(t)}" for t in diff.compute])
    section("Storage", [f"~ {d.name}: {_values(d)}" for d in diff.storage])
    pipeline_lines: list[str] = []
    for change in diff.pipelines:
        sign = {"added": "+", "removed": "-"}.get(change.status, "~")
        pipeline_lines.append(f"{sign} {change.pipeline}: {_pipeline_summary(change)}")
        pipeline_lines.extend(f"    + edge {_edge(e)}" for e in change.edges_added)
        pipeline_lines.extend(f"    - edge {_edge(e)}" for e in change.edges_removed)
        if change.order_changed:
            pipeline_lines.append(f"    order before: {', '.join(change.order_before)}")
            pipeline_lines.append(f"    order after:  {', '.join(change.order_after)}")
    section("Pipelines", pipeline_lines)
    section("New diagnostics", [_diagnostic(d) for d in diff.diagnostics_new])
    section("Fixed diagnostics", [_diagnostic(d) for d in diff.diagnostics_fixed])
    return "\n".join(lines) + "\n"


def _values(change: TaskChange | DatasetChange) -> str:
    only = change.changes[0]
    return f"{describe_value(only.field, only.before)} -> {describe_value(only.field, only.after)}"


# -- markdown --------------------------------------------------------------------------


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return f"`{_cell(text)}`" if "`" not in text else _cell(text)


def render_markdown(diff: ProjectDiff) -> str:
    base = _revision(diff.base_label, diff.base_commit)
    head = _revision(diff.head_label, diff.head_commit)
    out = [MARKDOWN_MARKER, "### Glacier: pipeline changes", ""]
    out.append(f"Comparing {_code(base)} with {_code(head)}, from source.")
    out.append("")
    syntax = [("base", r) for r in diff.syntax_errors_base]
    syntax += [("head", r) for r in diff.syntax_errors_head]
    if syntax:
        out.append("> [!WARNING]")
        for side, ref in syntax:
            out.append(f"> Syntax error in {side}: {_code(_diagnostic(ref))}")
        out.append("")
    if diff.is_empty:
        out.append("No changes to tasks, datasets, pipelines or diagnostics.")
        return "\n".join(out) + "\n"

    counts = [
        (len(diff.tasks_added), "task added", "tasks added"),
        (len(diff.tasks_removed), "task removed", "tasks removed"),
        (len(diff.datasets_added), "dataset added", "datasets added"),
        (len(diff.datasets_removed), "dataset removed", "datasets removed"),
        (len(diff.compute), "compute change", "compute changes"),
        (len(diff.storage), "storage change", "storage changes"),
        (len(diff.pipelines), "pipeline changed", "pipelines changed"),
        (len(diff.diagnostics_new), "new diagnostic", "new diagnostics"),
    ]
    out.append(" · ".join(f"**{n}** {one if n == 1 else many}" for n, one, many in counts if n))
    out.append("")

    rows: list[tuple[str, ...]] = []
    rows += [("added", _code(t.name), _code(_where(t))) for t in diff.tasks_added]
    rows += [("removed", _code(t.name), _code(_where(t))) for t in diff.tasks_removed]
    rows += [
        ("changed", _code(t.id), _cell(describe_change(c)))
        for t in diff.tasks_changed
        for c in t.changes
    ]
    _table(out, "Tasks", ("", "task", "where / change"), rows)

    rows = [("added", _code(d.name), _code(_where(d))) for d in diff.datasets_added]
    rows += [("removed", _code(d.name), _code(_where(d))) for d in diff.datasets_removed]
    rows += [
        ("changed", _code(d.name), _cell(describe_change(c)))
        for d in diff.datasets_changed
        for c in d.changes
    ]
    _table(out, "Datasets", ("", "dataset", "where / change"), rows)

    rows = [
        (
            _code(t.id),
            _cell(describe_value("compute", t.changes[0].before)),
            _cell(describe_value("compute", t.changes[0].after)),
        )
        for t in diff.compute
    ]
    _table(out, "Compute", ("task", "before", "after"), rows)
    rows = [
        (
            _code(d.name),
            _code(describe_value("storage", d.changes[0].before)),
            _code(describe_value("storage", d.changes[0].after)),
        )
        for d in diff.storage
    ]
    _table(out, "Storage", ("dataset", "before", "after"), rows)

    if diff.pipelines:
        out.append("#### Pipelines")
        out.append("")
        for change in diff.pipelines:
            title = f"**{_cell(change.pipeline)}** ({change.status})"
            out.append(f"- {title}: {_pipeline_summary(change)}")
            out.extend(f"  - added edge {_code(_edge(e))}" for e in change.edges_added)
            out.extend(f"  - removed edge {_code(_edge(e))}" for e in change.edges_removed)
            if change.order_changed:
                out.append(f"  - order before: {_code(' → '.join(change.order_before))}")
                out.append(f"  - order after: {_code(' → '.join(change.order_after))}")
        out.append("")

    rows = [
        (d.severity, _code(d.code), _code(f"{d.filename}:{d.line}"), _cell(d.message))
        for d in diff.diagnostics_new
    ]
    _table(out, "New diagnostics", ("severity", "code", "where", "message"), rows)
    if diff.diagnostics_fixed:
        out.append(f"{len(diff.diagnostics_fixed)} diagnostic(s) fixed.")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _table(out: list[str], title: str, header: tuple[str, ...], rows: list[Any]) -> None:
    if not rows:
        return
    out.append(f"#### {title}")
    out.append("")
    out.append("| " + " | ".join(header) + " |")
    out.append("|" + "---|" * len(header))
    out.extend("| " + " | ".join(row) + " |" for row in rows)
    out.append("")


# -- json ------------------------------------------------------------------------------


def diff_to_dict(diff: ProjectDiff) -> dict[str, Any]:
    """The JSON shape of `docs/diff.md`."""

    def item(ref: ItemRef) -> dict[str, Any]:
        return {"name": ref.name, "filename": ref.filename, "line": ref.line}

    def fields(changes: tuple[FieldChange, ...]) -> list[dict[str, Any]]:
        return [{"field": c.field, "before": c.before, "after": c.after} for c in changes]

    def edge(ref: EdgeRef) -> dict[str, str]:
        return {"source": ref.source, "target": ref.target, "dataset": ref.dataset}

    def diagnostic(ref: DiagnosticRef) -> dict[str, Any]:
        return {
            "code": ref.code,
            "name": ref.name,
            "severity": ref.severity,
            "message": ref.message,
            "filename": ref.filename,
            "location": {"row": ref.line, "column": ref.column},
        }

    return {
        "base": {"revision": diff.base_label, "commit": diff.base_commit},
        "head": {"revision": diff.head_label, "commit": diff.head_commit},
        "tasks": {
            "added": [item(t) for t in diff.tasks_added],
            "removed": [item(t) for t in diff.tasks_removed],
            "changed": [{"id": t.id, "changes": fields(t.changes)} for t in diff.tasks_changed],
        },
        "datasets": {
            "added": [item(d) for d in diff.datasets_added],
            "removed": [item(d) for d in diff.datasets_removed],
            "changed": [
                {"name": d.name, "changes": fields(d.changes)} for d in diff.datasets_changed
            ],
        },
        "compute": [
            {"task": t.id, "before": t.changes[0].before, "after": t.changes[0].after}
            for t in diff.compute
        ],
        "storage": [
            {"dataset": d.name, "before": d.changes[0].before, "after": d.changes[0].after}
            for d in diff.storage
        ],
        "pipelines": [
            {
                "pipeline": p.pipeline,
                "status": p.status,
                "tasks_added": list(p.tasks_added),
                "tasks_removed": list(p.tasks_removed),
                "edges_added": [edge(e) for e in p.edges_added],
                "edges_removed": [edge(e) for e in p.edges_removed],
                "order_changed": p.order_changed,
                "order_before": list(p.order_before),
                "order_after": list(p.order_after),
            }
            for p in diff.pipelines
        ],
        "diagnostics": {
            "new": [diagnostic(d) for d in diff.diagnostics_new],
            "fixed": [diagnostic(d) for d in diff.diagnostics_fixed],
        },
        "syntax_errors": {
            "base": [diagnostic(d) for d in diff.syntax_errors_base],
            "head": [diagnostic(d) for d in diff.syntax_errors_head],
        },
        "failures": {"base": list(diff.failures_base), "head": list(diff.failures_head)},
    }


def render_json(diff: ProjectDiff) -> str:
    return json.dumps(diff_to_dict(diff), indent=2, sort_keys=False, ensure_ascii=False) + "\n"

"""Quick fixes read the data the finding carries (``Diagnostic.data``), not its message."""

from __future__ import annotations

from pathlib import Path

from attrs import evolve
from lsprotocol import types

from glacier.analysis import analyze_paths
from glacier.config import Settings
from glacier_lsp.actions import did_you_mean, suppress
from glacier_lsp.convert import LineIndex, finding_data, to_lsp_diagnostic

SOURCE = """\
from glacier import Dataset, Pipeline, task

raw_orders = Dataset("raw_orders")
clean = Dataset("clean")
unused = Dataset("unused")


@task
def tidy(x: raw_ordres) -> clean: ...


@task
def lonely(x: clean) -> None: ...


@task
def consume(x: raw_orders) -> None: ...


flow = Pipeline([tidy, consume], name="flow")
"""


def lsp_diagnostics(tmp_path: Path) -> tuple[LineIndex, str, dict[str, types.Diagnostic]]:
    path = tmp_path / "flow.py"
    path.write_text(SOURCE)
    result = analyze_paths([tmp_path], Settings(root=tmp_path), cache=False)
    index = LineIndex(SOURCE)
    found = {d.code: to_lsp_diagnostic(d, index) for d in result.diagnostics}
    return index, str(path), found


def test_findings_carry_what_they_are_about(tmp_path: Path) -> None:
    _, _, found = lsp_diagnostics(tmp_path)
    assert finding_data(found["GLC012"])["name"] == "raw_ordres"
    assert finding_data(found["GLC012"])["suggestion"] == "raw_orders"
    missing = finding_data(found["GLC002"])
    assert missing["dataset"] == "raw_orders" and missing["pipeline"] == "flow"
    assert missing["tasks"] == ["flow.consume"]
    assert finding_data(found["GLC009"])["task_id"] == "flow.lonely"
    assert finding_data(found["GLC008"])["dataset"] == "unused"
    assert found["GLC012"].data["name"] == "unknown-name"  # the rule, as before


def test_did_you_mean_does_not_read_the_message(tmp_path: Path) -> None:
    index, path, found = lsp_diagnostics(tmp_path)
    reworded = evolve(found["GLC012"], message="something else entirely, `wrong`")
    analysis = analyze_paths([tmp_path], Settings(root=tmp_path), cache=False)
    fixes = did_you_mean(analysis.project, path, index, reworded)
    assert [title for title, _ in fixes] == ["Replace with `raw_orders`"]
    # Without the data (a client that drops it) there is no guess from the text.
    assert did_you_mean(analysis.project, path, index, evolve(reworded, data=None)) == []


def test_suppression_comments_are_case_insensitive_as_in_the_analyzer() -> None:
    text = "x = Dataset('x')  # GLACIER: IGNORE[GLC008]\n"
    lines = LineIndex(text)
    diagnostic = types.Diagnostic(
        range=types.Range(types.Position(0, 0), types.Position(0, 1)),
        message="",
        code="GLC012",
        source="glacier",
    )
    _, edits = suppress("/f.py", lines, diagnostic)
    ((span, new_text),) = edits
    assert new_text == "GLC008, GLC012"
    assert lines.line(0)[span.column - 1 : span.end_column - 1] == "GLC008"

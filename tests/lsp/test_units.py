"""Unit tests of the pure helpers: completion contexts, suppression comments, settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from glacier.rules import Severity
from glacier_lsp.actions import suppress
from glacier_lsp.convert import LineIndex
from glacier_lsp.features import DATASET, TASK, completion_context
from glacier_lsp.settings import build, from_initialization_options, from_notification


def context(text: str) -> str | None:
    """The completion context at ``|``."""
    before, _, _ = text.partition("|")
    lines = before.split("\n")
    index = LineIndex(text.replace("|", ""))
    return completion_context(index, types.Position(len(lines) - 1, len(lines[-1])))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@task\ndef f(x: |", DATASET),
        ("@task\ndef f(x: ra|", DATASET),
        ("@task\ndef f(a: raw, b: cl|", DATASET),
        ("@task\ndef f(\n    a: raw,\n    b: |", DATASET),
        ("@task\ndef f(a: raw) -> |", DATASET),
        ("@task\ndef f(a: raw) -> me|", DATASET),
        ("p = Pipeline([|", TASK),
        ("p = Pipeline([a, b, |", TASK),
        ("p = Pipeline(\n    tasks=[\n        a,\n        |", TASK),
        ("p = g.Pipeline([a, c|", TASK),
        ("x = |", None),
        ("def f(x: raw):\n    y = |", None),
        ("d = {'a': |", None),
        ("p = Pipeline([a], name=|", None),
        ("@task\ndef f(x: raw = |", None),
    ],
)
def test_completion_context(text: str, expected: str | None) -> None:
    assert context(text) == expected


def diagnostic(line: int, code: str) -> types.Diagnostic:
    start = types.Position(line, 0)
    return types.Diagnostic(types.Range(start, start), "m", code=code, source="glacier")


def test_suppression_appends_or_extends_the_comment() -> None:
    text = "def audit():\nx = 1  # glacier: ignore[GLC008]\ny = 2  # glacier: ignore\n"
    lines = LineIndex(text)
    title, edits = suppress("/f.py", lines, diagnostic(0, "GLC009"))
    assert title == "Suppress GLC009 on this line"
    ((span, new_text),) = edits
    assert (span.line, span.column, new_text) == (1, 13, "  # glacier: ignore[GLC009]")
    _, edits = suppress("/f.py", lines, diagnostic(1, "GLC002"))
    ((span, new_text),) = edits
    assert new_text == "GLC008, GLC002"
    assert lines.line(1)[span.column - 1 : span.end_column - 1] == "GLC008"
    _, edits = suppress("/f.py", lines, diagnostic(2, "GLC002"))
    assert edits == []  # a bare ignore already covers every code


def test_settings_from_the_client(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.glacier]\nignore = ["GLC008"]\n')
    assert from_initialization_options({"settings": {"select": [], "ignore": ["GLC009"]}}) == {
        "ignore": ["GLC009"]
    }
    assert from_initialization_options(None) == {}
    assert from_notification({"glacier": {"severity": {"GLC009": "error"}}}) == {
        "severity": {"GLC009": "error"}
    }
    assert from_notification(None) is None
    logged: list[str] = []
    settings = build(tmp_path, {"severity": {"orphan-task": "Error"}}, logged.append)
    assert settings.ignore == ("GLC008",)
    assert settings.severity["GLC009"] == Severity.ERROR
    assert build(tmp_path, {}, logged.append).severity == {}
    assert logged == []
    fallback = build(tmp_path, {"select": ["GLC999"]}, logged.append)
    assert fallback.select == () and "GLC999" in logged[0]  # bad editor settings are skipped
    (tmp_path / "pyproject.toml").write_text("[tool.glacier]\nselect = 3\n")
    assert build(tmp_path, {}, logged.append).select == ()
    assert "Ignoring [tool.glacier]" in logged[-1]

"""The design document's examples: no errors, and the same graph as the runtime."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from glacier.analysis import analyze_paths
from glacier.config import Settings
from glacier.rules import Severity
from tests.conftest import EXAMPLES

FILES = [EXAMPLES / "analytics" / "pipeline.py", *sorted((EXAMPLES / "patterns").glob("*.py"))]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_example_matches_runtime(path: Path, load_module: Callable[..., ModuleType]) -> None:
    result = analyze_paths([path], Settings(root=path.parent), cache=False)
    assert [d for d in result.diagnostics if d.severity is Severity.ERROR] == []
    (static,) = result.project.pipelines
    module = load_module(path, path.stem)
    assert static.to_dict() == module.pipeline.to_dict()


def test_complete_example_shadowing_is_a_warning_at_the_def() -> None:
    path = EXAMPLES / "analytics" / "pipeline.py"
    result = analyze_paths([path], Settings(root=path.parent), cache=False)
    warnings = [(d.code, d.span.line) for d in result.diagnostics]
    source = path.read_text().splitlines()
    assert [c for c, _ in warnings] == ["GLC010", "GLC010"]
    assert all(source[line - 1].startswith("def clean_") for _, line in warnings)

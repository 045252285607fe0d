"""Each fixture's ``# error: GLCnnn`` comments are exactly the diagnostics it gets."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from glacier.rules import RULES
from tests.analysis.helpers import analyze, expectations, located

FIXTURES = Path(__file__).parents[1] / "projects" / "rules"
#: Settings a fixture assumes (its first line says so).
_SETTINGS: dict[str, dict[str, object]] = {"target_limit": {"target": "aws"}}


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("*.py")), ids=lambda p: p.stem)
def test_fixture(fixture: Path, tmp_path: Path) -> None:
    shutil.copy(fixture, tmp_path / fixture.name)
    result = analyze(tmp_path, **_SETTINGS.get(fixture.stem, {}))
    assert located(result) == expectations(fixture), [
        (d.code, d.span.line, d.message) for d in result.diagnostics
    ]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_every_rule_has_a_fixture(rule: object) -> None:
    name = rule.name.replace("-", "_")  # type: ignore[attr-defined]
    path = FIXTURES / f"{name}.py"
    assert path.exists()
    assert any(code == rule.code for _, _, code in expectations(path))  # type: ignore[attr-defined]

"""The rule table matches the spec row by row, and its codes are written nowhere else."""

from __future__ import annotations

import ast
import re

import pytest

from glacier.rules import RULES, Severity, get_rule
from tests.conftest import REPO

SPEC_TABLE = [
    ("GLC000", "syntax-error", "error"),
    ("GLC001", "cycle", "error"),
    ("GLC002", "missing-producer", "error"),
    ("GLC003", "duplicate-producer", "error"),
    ("GLC004", "not-a-dataset", "error"),
    ("GLC005", "not-a-task", "error"),
    ("GLC006", "duplicate-dataset-name", "error"),
    ("GLC007", "invalid-compute", "error"),
    ("GLC008", "unused-dataset", "warning"),
    ("GLC009", "orphan-task", "warning"),
    ("GLC010", "shadowed-dataset", "warning"),
    ("GLC011", "dynamic-construct", "info"),
    ("GLC012", "unknown-name", "error"),
    ("GLC013", "overlapping-storage", "error"),
    ("GLC014", "invalid-format", "error"),
    ("GLC015", "target-limit", "error"),
    ("GLC016", "schema-mismatch", "error"),
    ("GLC017", "return-contradicts-schema", "error"),
]


def test_table_matches_the_spec() -> None:
    assert [(r.code, r.name, r.severity.value) for r in RULES] == SPEC_TABLE
    spec = REPO.parent / "shared" / "spec" / "interfaces.md"
    if spec.exists():  # the shared spec sits beside the repository in every checkout we run
        rows = re.findall(r"^\| (GLC\d{3}) \| ([a-z-]+) \| (\w+) \|", spec.read_text(), re.M)
        # The spec's table is the base; rules added since (GLC013 on) extend it after its rows.
        assert rows == SPEC_TABLE[: len(rows)]


def test_codes_and_names_are_unique_and_messages_styled() -> None:
    assert len({r.code for r in RULES}) == len(RULES) == len({r.name for r in RULES})
    for rule in RULES:
        assert rule.message[0].isupper() or rule.message[0] in "`{", rule
        assert not rule.message.endswith("."), rule
        assert rule.mypy_code == f"glacier-{rule.name}"


def test_lookup_by_code_or_name() -> None:
    assert get_rule("glc002") is get_rule("missing-producer") is RULES[2]
    assert get_rule("GLC011").severity is Severity.INFO
    with pytest.raises(KeyError):
        get_rule("GLC999")


def test_codes_are_written_only_in_the_table() -> None:
    """No library module but the table spells a code as a string value (prose may mention one)."""
    offenders = []
    for package in ("glacier", "glacier_mypy", "glacier_lsp"):
        for path in sorted((REPO / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    if re.fullmatch(r"GLC\d{3}", node.value):
                        offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert all(place.startswith("glacier/rules/registry.py") for place in offenders), offenders

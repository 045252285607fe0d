"""Every rule's documentation has the sections, and its examples do what they say."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from glacier.rules import RULES, Rule
from tests.analysis.helpers import analyze, codes

_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)
#: Settings a rule's examples assume (their first comment line says so).
_SETTINGS: dict[str, dict[str, object]] = {"GLC015": {"target": "aws"}}


def _examples(rule: Rule) -> tuple[str, str]:
    doc = rule.doc
    example = doc.split("## Example", 1)[1].split("Use instead:", 1)
    bad = _BLOCK.search(example[0])
    good = _BLOCK.search(example[1])
    assert bad is not None and good is not None, rule.code
    return bad.group(1), good.group(1)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_doc_has_the_sections(rule: Rule) -> None:
    doc = rule.doc
    for section in ("## What it does", "## Why is this bad?", "## Example", "Use instead:"):
        assert section in doc, f"{rule.module_name} lacks {section!r}"
    assert doc.index("## What it does") < doc.index("## Why is this bad?") < doc.index("## Example")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_example_triggers_exactly_its_rule(rule: Rule, tmp_path: Path) -> None:
    bad, _ = _examples(rule)
    result = analyze(tmp_path, {"example.py": bad}, **_SETTINGS.get(rule.code, {}))
    found = set(codes(result))
    assert found == {rule.code}, [(d.code, d.message) for d in result.diagnostics]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_use_instead_triggers_nothing(rule: Rule, tmp_path: Path) -> None:
    _, good = _examples(rule)
    result = analyze(tmp_path, {"example.py": good}, **_SETTINGS.get(rule.code, {}))
    assert codes(result) == [], [(d.code, d.message) for d in result.diagnostics]


def test_docs_rules_md_is_up_to_date() -> None:
    from glacier.checks._docs import DOCS, render_rules_markdown

    assert DOCS.read_text(encoding="utf-8") == render_rules_markdown(), (
        "docs/rules.md is stale: run `python -m glacier.checks._docs`"
    )

"""Docs and help texts speak of what users have, not of the documents Glacier was built from."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from glacier.cli import build_parser

REPO = Path(__file__).resolve().parents[2]
#: The architecture notes are for Glacier's developers.
DOCUMENTS = sorted(p for p in (REPO / "docs").glob("*.md") if p.name != "architecture.md")
INTERNAL = re.compile(
    r"spec\s*§|§\s*\d|\bthe spec\b|the brief|design document|interfaces\.md", re.IGNORECASE
)


def help_texts() -> list[str]:
    parser = build_parser()
    texts = [parser.format_help()]
    for action in parser._subparsers._group_actions if parser._subparsers else ():
        for sub in getattr(action, "choices", {}).values():
            texts.append(sub.format_help())
    return texts


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_docs_do_not_refer_to_internal_documents(document: Path) -> None:
    found = [
        f"{document.name}:{number}: {line.strip()}"
        for number, line in enumerate(document.read_text(encoding="utf-8").splitlines(), 1)
        if INTERNAL.search(line)
    ]
    assert found == []


def test_help_texts_do_not_refer_to_internal_documents() -> None:
    texts = help_texts()
    assert len(texts) >= 5  # glacier and its subcommands
    assert [t for t in texts if INTERNAL.search(t)] == []

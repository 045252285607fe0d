"""Helpers for analyzer tests: write small projects and analyse them."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping
from pathlib import Path

from glacier.analysis import AnalysisResult, analyze_paths
from glacier.config import Settings

_EXPECT = re.compile(r"#\s*error:\s*([A-Z0-9, ]+)")


def write_project(root: Path, files: Mapping[str, str]) -> Path:
    """Write ``{relative path: source}`` under ``root`` (sources are dedented)."""
    for relative, source in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source), encoding="utf-8")
    return root


def analyze(
    root: Path, files: Mapping[str, str] | None = None, **settings: object
) -> AnalysisResult:
    """Analyse ``root`` (after writing ``files``) with default settings rooted there."""
    if files is not None:
        write_project(root, files)
    return analyze_paths([root], Settings(root=root, **settings), cache=False)  # type: ignore[arg-type]


def codes(result: AnalysisResult) -> list[str]:
    return sorted(d.code for d in result.diagnostics)


def located(result: AnalysisResult) -> set[tuple[str, int, str]]:
    """``{(file name, line, code)}`` of every diagnostic."""
    return {(Path(d.span.filename).name, d.span.line, d.code) for d in result.diagnostics}


def expectations(path: Path) -> set[tuple[str, int, str]]:
    """``# error: GLC002, GLC010`` comments: the diagnostics a fixture expects, by line."""
    found: set[tuple[str, int, str]] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = _EXPECT.search(line)
        if match:
            for code in match.group(1).replace(",", " ").split():
                found.add((path.name, number, code))
    return found

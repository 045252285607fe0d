"""`glacier diagrams` keeps configured pictures up to date, like a formatter."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from glacier.cli import main
from glacier.config import ConfigError, settings_from_table
from tests.conftest import EXAMPLES


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    shutil.copy(EXAMPLES / "patterns" / "diamond.py", tmp_path / "diamond.py")
    (tmp_path / "pyproject.toml").write_text(
        "[[tool.glacier.diagrams]]\n"
        'output = "docs/dag.dot"\n'
        "[[tool.glacier.diagrams]]\n"
        'output = "docs/dag.md"\n'
        'pipeline = "pipeline"\n'
        'datasets = "edges"\n'
    )
    previous = Path.cwd()
    os.chdir(tmp_path)
    yield tmp_path
    os.chdir(previous)


def test_rewrites_stale_diagrams_then_passes(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diagrams"]) == 1
    assert "updated docs/dag.dot" in capsys.readouterr().err
    dot = (project / "docs" / "dag.dot").read_text()
    assert 'id="task:diamond.merge"' in dot
    markdown = (project / "docs" / "dag.md").read_text()
    assert markdown.startswith("```mermaid\nflowchart LR")
    assert main(["diagrams"]) == 0
    assert "2 diagrams up to date" in capsys.readouterr().err

    source = project / "diamond.py"
    source.write_text(source.read_text().replace("[source, left, right, merge]", "[source, left]"))
    assert main(["diagrams", "--check"]) == 1
    assert "docs/dag.dot is out of date" in capsys.readouterr().err
    assert (project / "docs" / "dag.dot").read_text() == dot  # --check writes nothing
    assert main(["diagrams"]) == 1
    assert "diamond.merge" not in (project / "docs" / "dag.dot").read_text()


def test_without_configuration_it_says_how(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.glacier]\n")
    previous = Path.cwd()
    os.chdir(tmp_path)
    try:
        assert main(["diagrams"]) == 0
    finally:
        os.chdir(previous)
    assert "[[tool.glacier.diagrams]]" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"diagrams": [{"paths": ["."]}]}, "`output` must be a file path"),
        ({"diagrams": [{"output": "a.svg", "colour": 1}]}, "unknown key `colour`"),
        ({"diagrams": [{"output": "a.svg", "datasets": "both"}]}, "`datasets` must be one of"),
        ({"diagrams": {"output": "a.svg"}}, "must be an array of tables"),
    ],
)
def test_bad_diagram_tables(table: dict[str, object], message: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=message):
        settings_from_table(table, tmp_path, "pyproject.toml")

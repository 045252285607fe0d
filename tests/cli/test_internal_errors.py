"""A bug in Glacier never passes as a clean check: exit 2 and one message saying what failed,
where, and how to report it (never a traceback, never an empty result that exits 0)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.faults import EXTRACT_MARKER, RESOLVE_MARKER

REPO = Path(__file__).resolve().parents[2]

#: Only a warning (unused dataset): exit 0 when nothing fails.
WARNING_ONLY = """\
from glacier import Dataset

spare = Dataset("spare")
"""
FLOW = """\
from glacier import Dataset, Pipeline, task
from glacier.storage import S3

raw = Dataset("raw", storage=S3(bucket="b"))
clean = Dataset("clean")


@task
def tidy(x: raw) -> clean: ...


pipeline = Pipeline([tidy], name="shop")
"""


def _run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "GLACIER_STRICT"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "tests.cli.faults", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.glacier]\n")
    (tmp_path / "flow.py").write_text(FLOW)
    (tmp_path / "spare.py").write_text(WARNING_ONLY)
    return tmp_path


COMMANDS = [
    ("glacier", "check", "--no-cache", "."),
    ("glacier", "check", "."),
    ("glacier", "check", "--whole-project", "flow.py"),
    ("glacier", "graph", "--format", "ascii", "."),
    ("glacier", "graph", "--format", "json", "flow.py"),
]


def test_without_a_fault_the_project_passes(project: Path) -> None:
    for command in COMMANDS:
        done = _run(project, *command)
        assert done.returncode == 0, (command, done.stderr)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[1:]))
def test_a_resolver_crash_exits_2_with_one_message(project: Path, command: tuple[str, ...]) -> None:
    (project / "flow.py").write_text(FLOW + f"\n{RESOLVE_MARKER} = 1\n")
    done = _run(project, *command)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if "internal error" in line]
    assert len(lines) == 1, done.stderr
    assert "resolving the project" in lines[0]
    assert f"(in {project / 'flow.py'})" in lines[0]
    assert "RuntimeError: injected resolver bug" in lines[0]
    assert "report it at https://github.com/glacier-dev/glacier/issues" in lines[0]


@pytest.mark.parametrize(
    "command",
    [c for c in COMMANDS if c[-1] == "." or "--whole-project" in c],
    ids=lambda c: " ".join(c[1:]),
)
def test_an_extractor_crash_on_one_file_exits_2(project: Path, command: tuple[str, ...]) -> None:
    (project / "spare.py").write_text(WARNING_ONLY + f"# {EXTRACT_MARKER.decode()}\n")
    done = _run(project, *command)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert f"{project / 'spare.py'}: internal error: RuntimeError: injected extractor bug" in (
        done.stderr
    )
    assert "bug in Glacier" in done.stderr


def test_glacier_diagrams_exits_2_on_a_resolver_crash(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.glacier]\n\n[[tool.glacier.diagrams]]\npaths = ["flow.py"]\noutput = "dag.svg"\n'
    )
    (project / "flow.py").write_text(FLOW + f"\n{RESOLVE_MARKER} = 1\n")
    done = _run(project, "glacier", "diagrams")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "internal error while resolving the project" in done.stderr

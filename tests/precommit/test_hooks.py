"""The pre-commit hooks, run by the real `pre-commit` from this repository at HEAD.

pre-commit clones this repository at the committed revision and installs Glacier alone in an
isolated virtualenv (from PyPI), exactly as it would for a user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

PRE_COMMIT = [sys.executable, "-m", "pre_commit"]

DATASETS = """\
from glacier import Dataset

raw = Dataset("raw")
clean = Dataset("clean")
report = Dataset("report")
"""

TASKS = """\
from glacier import task

from shop.datasets import clean, raw, report


@task
def extract() -> raw:
    return [1, 2, 3]


@task
def summarize(data: clean) -> report:
    return sum(data)
"""

PIPELINE_FIXED = """\
from glacier import Pipeline

from shop.tasks import extract, summarize, tidy

pipeline = Pipeline([extract, tidy, summarize], name="shop")
"""

CLEAN_TASK = """

@task
def tidy(data: raw) -> clean:
    return sorted(data)
"""

PIPELINE = """\
from glacier import Pipeline

from shop.tasks import extract, summarize

pipeline = Pipeline([extract, summarize], name="shop")
"""

PYPROJECT = """\
[project]
name = "shop"
version = "0"

[tool.glacier]
[[tool.glacier.diagrams]]
output = "docs/dag.svg"
paths = ["shop"]
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    # One hook environment for the whole module: installing it is the slow part.
    yield tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def project(tmp_path: Path, pre_commit_home: Path) -> Path:
    if subprocess.run(
        ["git", "status", "--porcelain", "--", "glacier", ".pre-commit-hooks.yaml"],
        cwd=REPO,
        capture_output=True,
        text=True,
    ).stdout.strip() and os.environ.get("CI"):
        pytest.fail("the hooks are tested at HEAD; commit the working tree first")
    rev = git(REPO, "rev-parse", "HEAD").strip()
    repo = tmp_path / "shop-repo"
    (repo / "shop").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "dev@example.com")
    git(repo, "config", "user.name", "Dev")
    (repo / "shop" / "__init__.py").write_text("")
    (repo / "shop" / "datasets.py").write_text(DATASETS)
    (repo / "shop" / "tasks.py").write_text(TASKS)
    (repo / "shop" / "pipeline.py").write_text(PIPELINE)
    (repo / "pyproject.toml").write_text(PYPROJECT)
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {REPO}\n    rev: {rev}\n    hooks:\n"
        "      - id: glacier-check\n      - id: glacier-graph\n"
    )
    return repo


def run_hooks(repo: Path, home: Path, *hook: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run(
        [*PRE_COMMIT, "run", *hook],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_check_hook_fails_on_a_missing_producer_then_passes(
    project: Path, pre_commit_home: Path
) -> None:
    git(project, "add", "-A")
    broken = run_hooks(project, pre_commit_home, "glacier-check")
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "GLC002" in broken.stdout
    assert "Dataset `clean` is consumed by `summarize`" in broken.stdout

    with (project / "shop" / "tasks.py").open("a") as handle:
        handle.write(CLEAN_TASK)
    (project / "shop" / "pipeline.py").write_text(PIPELINE_FIXED)
    git(project, "add", "-A")
    fixed = run_hooks(project, pre_commit_home, "glacier-check")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "Passed" in fixed.stdout


def test_check_hook_sees_across_modules_from_a_single_staged_file(
    project: Path, pre_commit_home: Path
) -> None:
    # Commit the broken project without hooks, then stage a change to tasks.py only: the
    # pipeline's error names a consumer in tasks.py, so the hook reports it although
    # pipeline.py is not part of the commit.
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "start", "--no-verify")
    with (project / "shop" / "tasks.py").open("a") as handle:
        handle.write("\n# touched\n")
    git(project, "add", "shop/tasks.py")
    result = run_hooks(project, pre_commit_home, "glacier-check")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "GLC002" in result.stdout


def test_graph_hook_rewrites_a_stale_diagram_then_passes(
    project: Path, pre_commit_home: Path
) -> None:
    if shutil.which("dot") is None:
        pytest.fail("Graphviz `dot` is required; scripts/setup.sh installs it")
    git(project, "add", "-A")
    first = run_hooks(project, pre_commit_home, "glacier-graph")
    assert first.returncode == 1, first.stdout + first.stderr
    diagram = project / "docs" / "dag.svg"
    assert "updated docs/dag.svg" in first.stdout
    assert 'id="task:shop.tasks.extract"' in diagram.read_text()

    git(project, "add", "-A")
    second = run_hooks(project, pre_commit_home, "glacier-graph")
    assert second.returncode == 0, second.stdout + second.stderr

    # The pipeline changes: the committed picture is stale again.
    with (project / "shop" / "tasks.py").open("a") as handle:
        handle.write(CLEAN_TASK)
    (project / "shop" / "pipeline.py").write_text(PIPELINE_FIXED)
    git(project, "add", "-A")
    stale = run_hooks(project, pre_commit_home, "glacier-graph")
    assert stale.returncode == 1
    assert 'id="task:shop.tasks.tidy"' in diagram.read_text()
    git(project, "add", "-A")
    assert run_hooks(project, pre_commit_home, "glacier-graph").returncode == 0


def test_a_real_commit_is_blocked_then_allowed(project: Path, pre_commit_home: Path) -> None:
    env = {**os.environ, "PRE_COMMIT_HOME": str(pre_commit_home)}
    subprocess.run([*PRE_COMMIT, "install"], cwd=project, env=env, check=True, capture_output=True)
    git(project, "add", "-A")
    blocked = subprocess.run(
        ["git", "commit", "-m", "broken pipeline"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    assert blocked.returncode != 0
    assert "GLC002" in blocked.stdout + blocked.stderr
    with (project / "shop" / "tasks.py").open("a") as handle:
        handle.write(CLEAN_TASK)
    (project / "shop" / "pipeline.py").write_text(PIPELINE_FIXED)
    git(project, "add", "-A")
    # The graph hook writes docs/dag.svg on the first try; stage it and commit again.
    first = subprocess.run(
        ["git", "commit", "-m", "fixed"], cwd=project, env=env, capture_output=True, text=True
    )
    if first.returncode != 0:
        assert "updated docs/dag.svg" in first.stdout + first.stderr
        git(project, "add", "-A")
        second = subprocess.run(
            ["git", "commit", "-m", "fixed"], cwd=project, env=env, capture_output=True, text=True
        )
        assert second.returncode == 0, second.stdout + second.stderr
    assert "fixed" in git(project, "log", "--oneline")

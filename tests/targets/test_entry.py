"""The cloud entry point and the Lambda handler: setup errors, parameters, secrets' names."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from glacier import Dataset
from glacier.cloud.aws_lambda import handler
from glacier.cloud.entry import EntryError, TaskCall, run_task
from glacier.cloud.locations import intermediate_location
from glacier.cloud.secrets import secret_variable
from glacier.storage import read_dataset, write_dataset
from tests.compile.helpers import ROOT

SOURCE = """\
from glacier import Dataset, Pipeline, task

numbers = Dataset("numbers")
scaled = Dataset("scaled")


@task
def scale(values: numbers, factor: int = 1) -> scaled:
    return [v * factor for v in values]


pipeline = Pipeline([scale])
pipeline.run()  # unguarded, as in the design document: skipped while Glacier imports it
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'entry'\n")
    (tmp_path / "entry_flow.py").write_text(SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "entry_flow", raising=False)
    return tmp_path


def test_a_task_reads_its_input_gets_params_and_commits_its_output(project: Path) -> None:
    base = (project / "bucket").as_uri() + "/"
    numbers = Dataset("numbers")
    write_dataset(
        numbers, [1, 2], location=intermediate_location(base, "numbers", "r1"), run_id="r0"
    )
    call = TaskCall("entry_flow.scale", "r1", params={"factor": 3}, deployment_uri=base)
    assert run_task(call) == [3, 6]
    stored = read_dataset(Dataset("scaled"), location=intermediate_location(base, "scaled", "r1"))
    assert stored == [3, 6]


def test_an_unknown_task_is_a_setup_error(project: Path) -> None:
    with pytest.raises(EntryError, match=r"has no task `entry_flow\.nothing`"):
        run_task(TaskCall("entry_flow.nothing", "r1", deployment_uri="file:///x/"))


def test_the_handler_needs_its_task_and_a_run_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GLACIER_TASK", raising=False)
    with pytest.raises(EntryError, match="GLACIER_TASK"):
        handler({"run_id": "r1"})
    monkeypatch.setenv("GLACIER_TASK", "entry_flow.scale")
    with pytest.raises(EntryError, match="run_id"):
        handler({})


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--task", "entry_flow.scale"], "no run id"),
        (["--task", "entry_flow.scale", "--run-id", "r", "--param", "factor"], "NAME=VALUE"),
        (["--task", "nowhere.scale", "--run-id", "r"], "no module named `nowhere`"),
    ],
)
def test_command_line_setup_errors_exit_2_without_a_traceback(
    project: Path, arguments: list[str], message: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "glacier.cloud.run", *arguments],
        cwd=project,
        env={"PYTHONPATH": f"{project}:{ROOT}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_secret_variables_are_named_by_the_secrets_last_part() -> None:
    assert secret_variable("prod/db-password") == "DB_PASSWORD"
    assert secret_variable("arn:aws:secretsmanager:eu-west-1:1:secret:api_key-AbC") == "API_KEY_ABC"

"""`glacier run TARGET --executor dask [--address ...]` in a subprocess, Ctrl-C included."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.dask_cluster import REPO, DaskProcesses

GLACIER = [sys.executable, "-m", "glacier"]

SCRIPT = """
import time
from pathlib import Path

from glacier import Dataset, Pipeline, task

words = Dataset("words")
counts = Dataset("counts")


def shout(word):  # a helper of the script: it travels to the workers with the tasks
    return word.upper()


@task
def make_words(fail: bool = False) -> words:
    if fail:
        raise ValueError("no words today")
    return [shout(word) for word in ["a", "bb", "ccc"]]


@task
def count(values: words, pause: str = "") -> counts:
    if pause:
        Path(pause).write_text("started")
        time.sleep(6)
    return {value: len(value) for value in values}


pipeline = Pipeline([make_words, count], name="words")
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "words"\n')
    (tmp_path / "words.py").write_text(SCRIPT)
    return tmp_path


def glacier(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [*GLACIER, *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=180
    )


def test_run_on_an_existing_cluster(dask_processes: DaskProcesses, project: Path) -> None:
    done = glacier(
        "run",
        "words.py",
        "--executor",
        "dask",
        "--address",
        dask_processes.address,
        "--output-format",
        "json",
        "--keep",
        "words",
        cwd=project,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["status"] == "succeeded"
    assert [task["status"] for task in summary["tasks"]] == ["succeeded", "succeeded"]


def test_a_failed_task_exits_1(dask_processes: DaskProcesses, project: Path) -> None:
    done = glacier(
        "run",
        "words.py",
        "--executor",
        "dask",
        "--address",
        dask_processes.address,
        "--param",
        "fail=true",
        "--no-progress",
        cwd=project,
    )
    assert done.returncode == 1
    assert "make_words" in done.stderr + done.stdout
    assert "no words today" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr.split("no words today")[0].split("make_words")[0]


@pytest.mark.slow
def test_without_address_a_local_cluster_runs_it(project: Path) -> None:
    done = glacier(
        "run",
        "words.py",
        "--executor",
        "dask",
        "--workers",
        "2",
        "--output-format",
        "json",
        cwd=project,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "succeeded"


@pytest.mark.parametrize(
    "arguments",
    [
        ["--address", "tcp://127.0.0.1:1"],
        ["--executor", "dask", "--address", "tcp://127.0.0.1:1", "--workers", "2"],
        ["--executor", "dask", "--processes"],
    ],
)
def test_usage_errors_exit_2(project: Path, arguments: list[str]) -> None:
    done = glacier("run", "words.py", *arguments, cwd=project)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_ctrl_c_cancels_records_and_exits_130(
    fresh_dask_processes: DaskProcesses, project: Path
) -> None:
    pause = project / "paused"
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    running = subprocess.Popen(
        [
            *GLACIER,
            "run",
            "words.py",
            "--executor",
            "dask",
            "--address",
            fresh_dask_processes.address,
            "--param",
            f"pause={pause}",
            "--no-progress",
        ],
        cwd=project,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not pause.exists():
        assert running.poll() is None, running.communicate()
        assert time.monotonic() < deadline, "the slow task never started"
        time.sleep(0.05)
    started = time.monotonic()
    running.send_signal(signal.SIGINT)
    _, stderr = running.communicate(timeout=60)
    assert running.returncode == 130, stderr
    assert time.monotonic() - started < 5  # cancelled, not waited for (the task sleeps 6 s)
    assert "interrupted" in stderr
    runs = glacier("runs", "--output-format", "json", cwd=project)
    assert runs.returncode == 0, runs.stderr
    assert "interrupted" in runs.stdout

"""``glacier run`` and ``glacier runs``: real subprocesses, exit codes, messages, Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import Write, glacier_command, glacier_env

OK = """\
from glacier import Dataset, Pipeline, task
numbers = Dataset("numbers")
total = Dataset("total")


@task
def make(count: int = 3) -> numbers:
    print("making", count)
    return list(range(count))


@task
def add(values: numbers) -> total:
    return sum(values)


pipeline = Pipeline([make, add], name="sums")
"""


def glacier(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [glacier_command(), *args],
        capture_output=True,
        text=True,
        env=glacier_env(),
        cwd=project,
        check=False,
    )


def test_run_json_summary_and_params(project: Path, write: Write) -> None:
    write("sums.py", OK)
    out = glacier(project, "run", "sums.py", "--param", "count=5", "--output-format", "json")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["status"] == "succeeded"
    assert [(t["name"], t["status"]) for t in summary["tasks"]] == [
        ("make", "succeeded"),
        ("add", "succeeded"),
    ]
    assert "glacier: [2/2] add succeeded" in out.stderr  # plain progress lines off a terminal


def test_runs_lists_and_shows_with_captured_log(project: Path, write: Write) -> None:
    write("sums.py", OK)
    glacier(project, "run", "sums.py:pipeline", "--param", "count=4")
    listed = glacier(project, "runs", "--output-format", "json")
    runs = json.loads(listed.stdout)
    assert runs[0]["status"] == "succeeded" and runs[0]["pipeline"] == "sums"
    shown = glacier(project, "runs", "show", runs[0]["run_id"])
    assert shown.returncode == 0
    assert "succeeded make" in shown.stdout
    assert "| making 4" in shown.stdout


@pytest.mark.parametrize(
    ("source", "target", "message"),
    [
        ("x = 1\n", "nothing.py", "defines no pipeline; create one with Pipeline([...])"),
        (
            OK + "other = Pipeline([make])\n",
            "several.py",
            "defines several pipelines (pipeline, other); choose one with several.py:pipeline",
        ),
        (OK, "missing_var.py:nope", "has no variable `nope`; its pipelines: pipeline"),
        ("import not_a_module_anywhere\n", "broken_import.py", "No module named"),
        ("raise ValueError('bad config')\n", "raises.py", "ValueError: bad config"),
    ],
)
def test_bad_targets_exit_2_without_glacier_frames(
    project: Path, write: Write, source: str, target: str, message: str
) -> None:
    write(target.split(":")[0], source)
    out = glacier(project, "run", target)
    assert out.returncode == 2, out.stderr
    assert message in out.stderr
    assert "glacier/run/" not in out.stderr and "glacier/cli/" not in out.stderr


def test_missing_file_and_bad_options(project: Path) -> None:
    out = glacier(project, "run", "nope.py")
    assert out.returncode == 2 and "nope.py: no such file" in out.stderr
    out = glacier(project, "run", "nope.py", "--param", "novalue")
    assert out.returncode == 2 and "--param takes NAME=VALUE" in out.stderr
    out = glacier(project, "run", "nope.py", "--executor", "dask")
    assert out.returncode == 2


def test_failing_task_exit_1_names_it_with_the_users_traceback(project: Path, write: Write) -> None:
    write("fails.py", OK.replace("return sum(values)", "return sum(values) / 0"))
    out = glacier(project, "run", "fails.py")
    assert out.returncode == 1
    assert "add: ZeroDivisionError: division by zero" in out.stderr
    assert "fails.py" in out.stderr and "return sum(values) / 0" in out.stderr
    assert "glacier/run/" not in out.stderr
    traceback = glacier(project, "run", "fails.py", "--traceback")
    assert traceback.returncode == 1


def test_invalid_pipeline_and_unknown_param_exit_1(project: Path, write: Write) -> None:
    write(
        "invalid.py",
        "from glacier import Dataset, Pipeline, task\n"
        "a = Dataset('a')\nb = Dataset('b')\n\n@task\ndef use(x: a) -> b:\n    return x\n\n"
        "pipeline = Pipeline([use])\n",
    )
    out = glacier(project, "run", "invalid.py")
    assert out.returncode == 1
    assert "GLC002" in out.stderr and "`a`" in out.stderr
    write("sums.py", OK)
    out = glacier(project, "run", "sums.py", "--param", "cont=2")
    assert out.returncode == 1 and "`cont`" in out.stderr


def test_input_from_a_file_and_a_missing_external_input(project: Path, write: Write) -> None:
    write(
        "external.py",
        """\
        from glacier import Dataset, Pipeline, task
        from glacier.storage import LocalPath
        rows = Dataset("rows", storage=LocalPath("landing/rows"))
        total = Dataset("total")

        @task
        def add(values: rows) -> total:
            return sum(values.column("n").to_pylist())  # external JSON rows: an Arrow table

        pipeline = Pipeline([add])
        """,
    )
    out = glacier(project, "run", "external.py")
    assert out.returncode == 1
    assert "external input `rows` is missing" in out.stderr and "landing/rows" in out.stderr
    (project / "given.json").write_text(json.dumps([{"n": 2}, {"n": 5}]))
    out = glacier(
        project,
        "run",
        "external.py",
        "--input",
        "rows=given.json",
        "--keep",
        "total",
        "--output-format",
        "json",
    )
    assert out.returncode == 0, out.stderr
    (project / "landing" / "rows").mkdir(parents=True)
    (project / "landing" / "rows" / "part.json").write_text(json.dumps([{"n": 1}]))
    assert glacier(project, "run", "external.py").returncode == 0


SLOW = """\
import time
from pathlib import Path
from glacier import Dataset, Pipeline, task
first = Dataset("first")
second = Dataset("second")


@task
def quick() -> first:
    return 1


@task
def slow(x: first) -> second:
    Path(__file__).with_name("started").write_text("yes")
    time.sleep(1.5)
    return x


@task
def never(y: second) -> None:
    Path(__file__).with_name("never-ran").write_text("oops")


pipeline = Pipeline([quick, slow, never])
"""


@pytest.mark.slow
def test_ctrl_c_stops_scheduling_records_the_run_and_exits_130(project: Path, write: Write) -> None:
    write("slow.py", SLOW)
    process = subprocess.Popen(
        [glacier_command(), "run", "slow.py"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=glacier_env(),
        cwd=project,
    )
    deadline = time.monotonic() + 30
    while not (project / "started").exists():
        assert time.monotonic() < deadline, "the slow task never started"
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr
    assert not (project / "never-ran").exists()
    runs = json.loads(glacier(project, "runs", "--output-format", "json").stdout)
    assert runs[0]["status"] == "interrupted"
    shown = glacier(project, "runs", "show", runs[0]["run_id"], "--output-format", "json")
    statuses = {t["name"]: t["status"] for t in json.loads(shown.stdout)["tasks"]}
    assert statuses["quick"] == "succeeded" and statuses["never"] == "skipped"


def test_two_runs_of_one_pipeline_at_once_are_both_recorded(project: Path, write: Write) -> None:
    write("sums.py", OK)
    processes = [
        subprocess.Popen(
            [glacier_command(), "run", "sums.py", "--cache"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=glacier_env(),
            cwd=project,
        )
        for _ in range(3)
    ]
    for process in processes:
        process.communicate(timeout=60)
        assert process.returncode == 0
    runs = json.loads(glacier(project, "runs", "--output-format", "json").stdout)
    assert len(runs) == 3 and {r["status"] for r in runs} == {"succeeded"}
    for record in runs:
        shown = json.loads(
            glacier(project, "runs", "show", record["run_id"], "--output-format", "json").stdout
        )
        assert len(shown["tasks"]) == 2

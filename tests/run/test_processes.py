"""``LocalExecutor(processes=True)``: real worker processes, cloudpickle, the import guard."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from glacier import Dataset, LocalExecutor, Pipeline, RunSetupError, task

from .conftest import Write

MODULE = """\
import os

from glacier import Dataset, LocalExecutor, Pipeline, task

numbers = Dataset("numbers")
squares = Dataset("squares")
total = Dataset("total")
pids = Dataset("pids")


def square(n):
    return n * n


@task
def make() -> numbers:
    return list(range(10))


@task
def work(values: numbers) -> squares:
    return [square(v) for v in values]


@task
def add(values: squares) -> total:
    return sum(values)


@task
def where(values: squares) -> pids:
    return os.getpid()


pipeline = Pipeline([make, work, add, where], name="squares")
pipeline.run(executor=LocalExecutor(processes=True))  # unguarded, as in the design document
"""


def test_values_flow_through_worker_processes(
    write: Write, load: Callable[[str], Pipeline]
) -> None:
    import os

    write("squares_flow.py", MODULE)
    pipeline = load("squares_flow.py")
    result = pipeline.run(executor=LocalExecutor(workers=2, processes=True), progress=False)
    assert result["total"] == sum(v * v for v in range(10))
    assert result["pids"] != os.getpid()


def test_script_functions_are_sent_by_value(tmp_path: Path, project: Path) -> None:
    import subprocess
    import sys

    from .conftest import glacier_env

    script = project / "script_flow.py"
    script.write_text(
        MODULE.replace(
            "pipeline.run(executor=LocalExecutor(processes=True))",
            "print(pipeline.run(executor=LocalExecutor(processes=True), progress=False)['total'])",
        )
    )
    out = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env=glacier_env(),
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "285"


def test_tasks_that_cannot_be_sent_are_reported_together_before_running() -> None:
    a, b = Dataset("a"), Dataset("b")
    lock = threading.Lock()
    ran: list[int] = []

    @task
    def first() -> a:
        ran.append(1)
        with lock:
            return 1

    @task
    def second(x: a) -> b:
        ran.append(2)
        with lock:
            return x

    with pytest.raises(RunSetupError) as caught:
        Pipeline([first, second]).run(executor=LocalExecutor(processes=True), progress=False)
    message = str(caught.value)
    assert "task `first`" in message and "task `second`" in message
    assert "cannot be sent to a worker process" in message
    assert ran == []


def test_a_failing_task_in_a_process_fails_with_its_exception(
    write: Write, load: Callable[[str], Pipeline]
) -> None:
    write(
        "failing_flow.py",
        """\
        from glacier import Dataset, Pipeline, task
        out = Dataset("out")

        @task
        def boom() -> out:
            print("about to fail")
            raise KeyError("missing column")

        pipeline = Pipeline([boom])
        """,
    )
    pipeline = load("failing_flow.py")
    result = pipeline.run(
        executor=LocalExecutor(processes=True), progress=False, raise_on_error=False
    )
    run = result.tasks["boom"]
    assert run.status == "failed"
    assert isinstance(run.error, KeyError)
    assert "about to fail" in run.log


def test_complete_example_in_worker_processes() -> None:
    """Container and serverless computes travel to the workers (they unpickle without recursion)."""
    from glacier.run.loading import load_pipeline

    root = Path(__file__).resolve().parents[2]
    pipeline = load_pipeline(str(root / "examples" / "analytics" / "pipeline.py"))
    result = pipeline.run(executor=LocalExecutor(workers=2, processes=True), progress=False)
    assert result["metrics"] == {"Ada": 37.5, "Grace": 12.5}
    assert {run.status for run in result.tasks.values()} == {"succeeded"}

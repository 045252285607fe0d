"""A worker dies mid-run: Dask reruns its work elsewhere; the run completes, commits stay."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from glacier import Dataset, Pipeline, task
from glacier.executors import DaskExecutor
from glacier.run.result import RunResult
from glacier.run.runner import run_pipeline
from glacier.storage import LocalPath, read_dataset, read_manifest
from tests.dask.dask_executor.pipelines import _mark
from tests.support.dask_cluster import DaskProcesses


def _wait_for(folder: Path, pattern: str, timeout: float = 60) -> list[Path]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = sorted(folder.glob(pattern))
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"nothing matched {pattern} in {folder} within {timeout} s")


@pytest.mark.slow
def test_the_run_survives_a_killed_worker(
    fresh_dask_processes: DaskProcesses, tmp_path: Path
) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    lake = tmp_path / "lake"
    first = Dataset("first", storage=LocalPath(str(lake / "first")))
    second = Dataset("second", storage=LocalPath(str(lake / "second")))
    third = Dataset("third")

    @task
    def start(folder: str = "") -> first:
        _mark(folder, "start")
        return list(range(10))

    @task
    def slow(values: first, folder: str = "") -> second:
        _mark(folder, "slow")
        time.sleep(3)
        return [value + 1 for value in values]

    @task
    def finish(values: second, folder: str = "") -> third:
        _mark(folder, "finish")
        return sum(values)

    pipeline = Pipeline([start, slow, finish], name="survivor")
    outcome: dict[str, Any] = {}

    def run() -> None:
        outcome["result"] = run_pipeline(
            pipeline,
            DaskExecutor(address=fresh_dask_processes.address),
            params={"folder": str(markers)},
            progress=False,
            raise_on_error=False,
            project_root=str(tmp_path),
        )

    runner = threading.Thread(target=run)
    runner.start()
    [started] = _wait_for(markers, "slow.*.started")
    victim = int(started.name.split(".")[1])
    committed = read_manifest(first)
    assert committed is not None  # `start` committed before `slow` began
    fresh_dask_processes.kill_worker(victim)
    runner.join(timeout=120)
    assert not runner.is_alive()

    result: RunResult = outcome["result"]
    assert result.succeeded, result.summary()
    assert result["third"] == sum(range(1, 11))
    [survivor] = fresh_dask_processes.worker_pids()
    slow_runs = {int(path.name.split(".")[1]) for path in markers.glob("slow.*.started")}
    assert slow_runs == {victim, survivor}  # the lost task reran on the other worker
    assert result.tasks["slow"].status == "succeeded"
    # What was committed stays readable; the version written before the kill is still there.
    assert read_dataset(first) == list(range(10))
    assert read_dataset(second) == list(range(1, 11))
    version_folders = [p for p in (lake / "first").iterdir() if p.name.startswith("_")]
    assert any(committed.version in p.name for p in version_folders)

"""DaskExecutor on real dask scheduler and worker processes: results, statuses, events, storage."""

from __future__ import annotations

import os
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from distributed import Client

from glacier import Dataset, Pipeline, task
from glacier.executors import DaskExecutor, LocalExecutor
from glacier.run.events import RunEvent, TaskEvent
from glacier.run.result import PipelineRunError, RunResult
from glacier.run.runner import run_pipeline
from glacier.storage import LocalPath, read_dataset, read_manifest
from tests.dask.dask_executor import pipelines
from tests.support.dask_cluster import DaskProcesses


def run(
    pipeline: Pipeline, executor: Any, tmp_path: Path, **options: Any
) -> tuple[RunResult, list[RunEvent]]:
    events: list[RunEvent] = []
    options.setdefault("raise_on_error", False)
    result = run_pipeline(
        pipeline,
        executor,
        progress=False,
        listeners=[events.append],
        project_root=str(tmp_path),
        **options,
    )
    return result, events


def per_task(events: list[RunEvent]) -> dict[str, list[str]]:
    """Each task's events, in order (tasks run concurrently, so only each task's order is fixed)."""
    seen: dict[str, list[str]] = defaultdict(list)
    for event in events:
        if isinstance(event, TaskEvent):
            seen[event.task].append(type(event).__name__)
    return dict(seen)


def statuses(result: RunResult) -> dict[str, str]:
    return {name: task_run.status for name, task_run in result.tasks.items()}


def test_outputs_and_events_are_those_of_the_local_executor(
    dask_client: Client, tmp_path: Path
) -> None:
    local, local_events = run(pipelines.diamond, LocalExecutor(), tmp_path)
    on_dask, dask_events = run(pipelines.diamond, DaskExecutor(client=dask_client), tmp_path)
    assert on_dask.succeeded
    assert (
        dict(on_dask.outputs)
        == dict(local.outputs)
        == {
            "total": 50,
            "labels": ["n0", "n1", "n2", "n3", "n4"],
        }
    )
    assert per_task(dask_events) == per_task(local_events)
    assert [type(e).__name__ for e in (dask_events[0], dask_events[-1])] == [
        "RunStarted",
        "RunFinished",
    ]
    assert all(task_run.attempts == 1 for task_run in on_dask.tasks.values())


def test_a_failure_skips_only_its_dependents(dask_client: Client, tmp_path: Path) -> None:
    result, events = run(pipelines.failing, DaskExecutor(client=dask_client), tmp_path)
    assert statuses(result) == {
        "make_numbers": "succeeded",
        "fail": "failed",
        "use_broken": "skipped",
        "beside_the_failure": "succeeded",
    }
    error = result.tasks["fail"].error
    assert isinstance(error, pipelines.CustomProblem)
    assert str(error) == "cannot handle 5 numbers"
    assert result.tasks["use_broken"].skipped_because == pipelines.fail.id
    assert per_task(events)["use_broken"] == ["TaskSkipped"]
    local, _ = run(pipelines.failing, LocalExecutor(), tmp_path)
    assert dict(result.outputs) == dict(local.outputs)


def test_a_failed_run_raises_naming_the_task(dask_client: Client, tmp_path: Path) -> None:
    with pytest.raises(PipelineRunError) as raised:
        run(pipelines.failing, DaskExecutor(client=dask_client), tmp_path, raise_on_error=True)
    assert "fail: CustomProblem: cannot handle 5 numbers" in str(raised.value)
    assert isinstance(raised.value.__cause__, pipelines.CustomProblem)


def test_retries_run_on_the_worker_and_are_reported(dask_client: Client, tmp_path: Path) -> None:
    result, events = run(
        pipelines.retrying,
        DaskExecutor(client=dask_client),
        tmp_path,
        params={"folder": str(tmp_path)},
    )
    assert result.succeeded
    assert result.tasks["flaky"].attempts == 3
    assert result["flaky_out"] == 10
    assert per_task(events)["flaky"] == [
        "TaskStarted",
        "TaskRetried",
        "TaskRetried",
        "TaskSucceeded",
    ]
    retried = [e for e in events if type(e).__name__ == "TaskRetried"]
    assert all(isinstance(e.error, ConnectionError) for e in retried)  # type: ignore[attr-defined]


class WorkerOnly:
    """A value that refuses to be unpickled in the test's own process (the client)."""

    def __init__(self, client_pid: int) -> None:
        self.client_pid = client_pid

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.client_pid,))


def _rebuild(client_pid: int) -> WorkerOnly:
    if os.getpid() == client_pid:
        raise AssertionError("an intermediate value came back to the client")
    return WorkerOnly(client_pid)


def test_only_the_outputs_come_back_to_the_client(dask_client: Client, tmp_path: Path) -> None:
    big = Dataset("big")
    small = Dataset("small")
    client_pid = os.getpid()

    @task
    def make_big() -> big:
        return WorkerOnly(client_pid)

    @task
    def summarize(value: big) -> small:
        return type(value).__name__

    result, _ = run(
        Pipeline([make_big, summarize], name="stays"), DaskExecutor(client=dask_client), tmp_path
    )
    assert statuses(result) == {"make_big": "succeeded", "summarize": "succeeded"}
    assert dict(result.outputs) == {"small": "WorkerOnly"}


def test_keep_brings_back_more(dask_client: Client, tmp_path: Path) -> None:
    result, _ = run(pipelines.diamond, DaskExecutor(client=dask_client), tmp_path, keep=["doubled"])
    assert result["doubled"] == [0, 2, 4, 6, 8]
    assert set(result.outputs) == {"total", "labels", "doubled"}


def _scheduler_view(dask_scheduler: Any) -> tuple[list[str], list[str]]:
    """The task prefixes the scheduler has seen, and the keys it holds now."""
    return sorted(dask_scheduler.task_prefixes), [str(key) for key in dask_scheduler.tasks]


def test_tasks_share_one_dask_prefix_and_nothing_is_left_on_the_scheduler(
    dask_client: Client, tmp_path: Path
) -> None:
    # A prefix per task would cost every worker time per task it holds at each state change.
    result, _ = run(pipelines.diamond, DaskExecutor(client=dask_client), tmp_path)
    assert result.succeeded
    prefixes, held = dask_client.run_on_scheduler(_scheduler_view)
    assert "glacier" in prefixes
    assert not {"make_numbers", "double", "square", "add_up", "label"} & set(prefixes)
    deadline = time.monotonic() + 10
    while held and time.monotonic() < deadline:  # releases reach the scheduler asynchronously
        time.sleep(0.05)
        prefixes, held = dask_client.run_on_scheduler(_scheduler_view)
    assert held == []


def test_given_inputs_are_sent_to_the_cluster(dask_client: Client, tmp_path: Path) -> None:
    result, _ = run(
        pipelines.diamond,
        DaskExecutor(client=dask_client),
        tmp_path,
        inputs={"numbers": [1, 2]},
    )
    assert result["total"] == 2 * 3 + 1 + 4
    assert result["labels"] == ["n1", "n2"]


def test_stored_datasets_are_written_by_the_workers(
    dask_processes: DaskProcesses, dask_client: Client, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    rows = Dataset("rows", storage=LocalPath(str(lake / "rows")))
    where = Dataset("where", storage=LocalPath(str(lake / "where")))

    @task
    def make_rows() -> rows:
        return [{"id": 1, "pid": os.getpid()}]

    @task
    def note_worker(values: rows) -> where:
        return {"pid": os.getpid()}

    result, _ = run(
        Pipeline([make_rows, note_worker], name="stored"),
        DaskExecutor(client=dask_client),
        tmp_path,
    )
    assert result.succeeded
    written = read_dataset(rows)
    assert written[0]["pid"] in dask_processes.worker_pids()
    manifest = read_manifest(rows)
    assert manifest is not None and manifest.run_id == result.run_id
    assert manifest.task_id == make_rows.id
    assert result.tasks["make_rows"].output_uri == rows.storage.uri  # type: ignore[union-attr]
    assert read_dataset(where)["pid"] in dask_processes.worker_pids()


def test_external_inputs_are_read_on_a_worker(dask_client: Client, tmp_path: Path) -> None:
    from glacier.storage import write_dataset

    source = Dataset("source", storage=LocalPath(str(tmp_path / "source")))
    counted = Dataset("counted")
    write_dataset(source, [3, 4, 5], run_id="setup")

    @task
    def count(values: source) -> counted:
        return len(values)

    result, _ = run(Pipeline([count], name="external"), DaskExecutor(client=dask_client), tmp_path)
    assert result["counted"] == 3


def test_cache_resumes_a_failed_run(dask_client: Client, tmp_path: Path) -> None:
    marker = tmp_path / "broken"
    marker.write_text("")
    calls = tmp_path / "calls"
    calls.mkdir()
    first = Dataset("first")
    second = Dataset("second")

    @task
    def step_one(folder: str = "") -> first:
        (Path(folder) / f"one-{len(list(Path(folder).iterdir()))}").write_text("")
        return 41

    @task
    def step_two(value: first, flag: str = "") -> second:
        if Path(flag).exists():
            raise RuntimeError("not yet")
        return value + 1

    pipeline = Pipeline([step_one, step_two], name="resumable")
    options = {
        "cache": str(tmp_path / "cache"),
        "params": {"folder": str(calls), "flag": str(marker)},
    }
    executor = DaskExecutor(client=dask_client)
    failed, _ = run(pipeline, executor, tmp_path, **options)
    assert statuses(failed) == {"step_one": "succeeded", "step_two": "failed"}
    marker.unlink()
    resumed, events = run(pipeline, executor, tmp_path, **options)
    assert statuses(resumed) == {"step_one": "cached", "step_two": "succeeded"}
    assert resumed["second"] == 42
    assert len(list(calls.iterdir())) == 1  # step_one ran once
    assert per_task(events)["step_one"] == ["TaskStarted", "TaskCached"]


def test_an_existing_cluster_is_left_running(dask_processes: DaskProcesses, tmp_path: Path) -> None:
    result, _ = run(pipelines.diamond, DaskExecutor(address=dask_processes.address), tmp_path)
    assert result.succeeded
    assert len(dask_processes.worker_pids()) == 2
    with Client(dask_processes.address) as client:
        assert len(client.scheduler_info()["workers"]) == 2


def test_executor_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="address= or client=, not both"):
        DaskExecutor(address="tcp://127.0.0.1:1", client=object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n_workers configure the LocalCluster"):
        DaskExecutor(address="tcp://127.0.0.1:1", n_workers=2)


def test_what_tasks_print_and_log_is_kept_as_on_the_local_executor(
    dask_client: Client, tmp_path: Path
) -> None:
    import logging

    said = Dataset("said")
    told = Dataset("told")

    @task
    def talk() -> said:
        print("hello from the task")
        logging.getLogger("talker").warning("careful: %s", 3)
        return 1

    @task
    def quiet(value: said) -> told:
        return value + 1

    pipeline = Pipeline([talk, quiet], name="talkative")
    local, _ = run(pipeline, LocalExecutor(), tmp_path)
    on_dask, _ = run(pipeline, DaskExecutor(client=dask_client), tmp_path)
    assert on_dask.tasks["talk"].log == local.tasks["talk"].log
    assert on_dask.tasks["talk"].log == ("hello from the task", "WARNING talker: careful: 3")
    assert on_dask.tasks["quiet"].log == ()

"""Which cluster a run uses, the resources tasks ask of it, and local folders its workers lack."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import psutil
import pytest
from distributed import Client

from glacier import Dataset, Pipeline, compute, task
from glacier.executors import DaskExecutor
from glacier.executors.dask_cluster import local_folder_problems
from glacier.run.runner import run_pipeline
from glacier.run.session import RunSetupError
from glacier.storage import LocalPath, write_dataset
from tests.dask.dask_executor import pipelines
from tests.support.dask_cluster import DaskProcesses, start_dask_processes

RESOURCE_WARNING = "no Dask worker declares"


@pytest.mark.slow
def test_container_cpu_and_memory_become_dask_resources(tmp_path: Path) -> None:
    declared = [{"CPU": 4, "MEMORY": 4e9}, None]
    with (
        start_dask_processes(2, resources=declared) as processes,
        Client(processes.address) as client,
    ):
        pids = client.run(os.getpid)
        resources = {
            address: info["resources"]
            for address, info in client.scheduler_info()["workers"].items()
        }
        [roomy] = [pids[address] for address, declared in resources.items() if declared]
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the workers declare both: nothing to warn about
            result = run_pipeline(
                pipelines.needs_resources,
                DaskExecutor(client=client),
                progress=False,
                project_root=str(tmp_path),
            )
        # Dask sets resources per graph: a run alternating between tasks with and without them
        # is several graphs, each reading what earlier ones made (an external input included).
        source = Dataset("sizes_source", storage=LocalPath(str(tmp_path / "source")))
        write_dataset(source, [1, 2, 3], run_id="setup")
        measured = Dataset("measured")
        doubled_pid = Dataset("doubled_pid")

        @task(compute=compute.container(image="python:3.11", cpu=2, memory=1024))
        def measure(values: source) -> measured:
            return [sum(values), os.getpid()]

        @task
        def double_it(value: measured) -> doubled_pid:
            return [value[0] * 2, value[1]]

        alternating = run_pipeline(
            Pipeline([measure, double_it], name="alternating"),
            DaskExecutor(client=client),
            progress=False,
            project_root=str(tmp_path),
        )
    assert result["heavy"] == roomy  # 2 CPU and 1024 MB: only the worker that declares them
    assert alternating["doubled_pid"] == [12, roomy]


def test_undeclared_resources_warn_once(dask_client: Client, tmp_path: Path) -> None:
    numbers = pipelines.numbers
    first = Dataset("first")
    second = Dataset("second")

    @task(compute=compute.container(image="python:3.11", cpu=2))
    def one(values: numbers) -> first:
        return len(values)

    @task(compute=compute.container(image="python:3.11", memory=512))
    def two(values: numbers) -> second:
        return len(values)

    with pytest.warns(RuntimeWarning) as caught:
        result = run_pipeline(
            Pipeline([pipelines.make_numbers, one, two], name="undeclared"),
            DaskExecutor(client=dask_client),
            progress=False,
            project_root=str(tmp_path),
        )
    assert result.succeeded
    messages = [str(w.message) for w in caught if RESOURCE_WARNING in str(w.message)]
    assert len(messages) == 1
    assert "Task `one` asks for 2 CPU" in messages[0]


@pytest.mark.slow
def test_a_task_larger_than_every_worker_stops_the_run(tmp_path: Path) -> None:
    with start_dask_processes(1, resources={"CPU": 1, "MEMORY": 8e9}) as processes:
        with pytest.raises(RunSetupError) as raised:
            run_pipeline(
                pipelines.needs_resources,
                DaskExecutor(address=processes.address),
                progress=False,
                project_root=str(tmp_path),
            )
    assert "Task `heavy_work` asks for CPU=2" in str(raised.value)
    assert "largest worker of the cluster has CPU=1" in str(raised.value)


@pytest.mark.slow
def test_local_folders_on_workers_of_another_machine(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    stored = Dataset("stored", storage=LocalPath(str(lake / "stored")))

    @task
    def write_here() -> stored:
        return [1, 2]

    pipeline = Pipeline([write_here], name="local_lake")
    with start_dask_processes(1, hostname="elsewhere") as processes:
        with pytest.raises(RunSetupError) as raised:
            run_pipeline(
                pipeline,
                DaskExecutor(address=processes.address),
                cache=str(tmp_path / "cache"),
                progress=False,
                project_root=str(tmp_path),
            )
        message = str(raised.value)
        assert f"Dataset `stored` is the local folder `{lake / 'stored'}`" in message
        assert f"The run cache is the local folder `{tmp_path / 'cache'}`" in message
        assert "shared_paths=" in message
        # Declared shared (here it truly is: the "other machine" is this one), the run goes on.
        result = run_pipeline(
            pipeline,
            DaskExecutor(address=processes.address, shared_paths=[tmp_path]),
            cache=str(tmp_path / "cache"),
            progress=False,
            project_root=str(tmp_path),
        )
    assert result.succeeded


def test_shared_paths_cover_folders_below_them(tmp_path: Path) -> None:
    folders = {"Dataset `a`": str(tmp_path / "lake" / "a"), "The run cache": "/elsewhere/cache"}
    assert local_folder_problems(folders, [tmp_path / "lake"]) == [
        local_folder_problems({"The run cache": "/elsewhere/cache"}, ())[0]
    ]
    assert local_folder_problems(folders, True) == []
    assert len(local_folder_problems(folders, ())) == 2


@pytest.mark.slow
def test_without_address_a_local_cluster_is_started_and_closed(tmp_path: Path) -> None:
    before = {child.pid for child in psutil.Process().children(recursive=True)}
    result = run_pipeline(
        pipelines.diamond,
        DaskExecutor(n_workers=2, threads_per_worker=1),
        progress=False,
        project_root=str(tmp_path),
    )
    assert result["total"] == 50
    workers = [
        child
        for child in psutil.Process().children(recursive=True)
        if child.pid not in before and "resource_tracker" not in " ".join(child.cmdline())
    ]
    assert workers == []  # only multiprocessing's resource tracker stays, as it always does


def test_existing_processes_fixture_is_untouched_by_a_local_run(
    dask_processes: DaskProcesses,
) -> None:
    assert len(dask_processes.worker_pids()) == 2


def test_missing_distributed_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['distributed'] = None\n"
        "from glacier.executors import DaskExecutor\n"
        "try:\n    DaskExecutor()\nexcept ImportError as error:\n    print(error)\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "pip install 'glacier-pipelines[dask]'" in output

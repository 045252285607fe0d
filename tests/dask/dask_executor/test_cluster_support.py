"""The test clusters themselves: real processes, declared resources, a worker that can be killed."""

from __future__ import annotations

import os

from distributed import Client, LocalCluster

from tests.support.dask_cluster import DaskProcesses, start_dask_processes


def test_two_worker_processes_join_one_scheduler(dask_processes: DaskProcesses) -> None:
    with Client(dask_processes.address) as client:
        pids = client.run(os.getpid)
    assert sorted(pids.values()) == sorted(dask_processes.worker_pids())
    assert os.getpid() not in pids.values()


def test_workers_declare_the_resources_asked_for() -> None:
    resources = [{"CPU": 2, "MEMORY": 2e9}, None]
    with (
        start_dask_processes(2, resources=resources) as processes,
        Client(processes.address) as client,
    ):
        declared = sorted(
            (info["resources"] for info in client.scheduler_info()["workers"].values()),
            key=len,
        )
    assert declared == [{}, {"CPU": 2.0, "MEMORY": 2e9}]
    assert processes.scheduler.poll() is not None  # stopped on leaving the block


def test_killing_a_worker_leaves_the_other(fresh_dask_processes: DaskProcesses) -> None:
    victim, survivor = fresh_dask_processes.worker_pids()
    fresh_dask_processes.kill_worker(victim)
    with Client(fresh_dask_processes.address) as client:
        client.wait_for_workers(1)
        assert client.submit(os.getpid, pure=False).result(timeout=30) == survivor
    assert fresh_dask_processes.worker_pids() == [survivor]


def test_local_cluster_runs_two_worker_processes(local_cluster: LocalCluster) -> None:
    with Client(local_cluster) as client:
        pids = set(client.run(os.getpid).values())
    assert len(pids) == 2 and os.getpid() not in pids

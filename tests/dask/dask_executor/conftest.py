"""Real Dask clusters for the DaskExecutor tests: worker subprocesses and a LocalCluster."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from distributed import Client, LocalCluster

from tests.support.dask_cluster import DaskProcesses, start_dask_processes


@pytest.fixture(scope="module")
def dask_processes() -> Iterator[DaskProcesses]:
    """A `dask scheduler` and two `dask worker` processes (one thread each), shared by a module."""
    with start_dask_processes(2) as processes:
        yield processes


@pytest.fixture
def fresh_dask_processes() -> Iterator[DaskProcesses]:
    """A cluster of its own, for a test that kills a worker."""
    with start_dask_processes(2) as processes:
        yield processes


@pytest.fixture(scope="module")
def dask_client(dask_processes: DaskProcesses) -> Iterator[Client]:
    with Client(dask_processes.address, timeout="30s") as client:
        yield client


@pytest.fixture(scope="module")
def local_cluster() -> Iterator[LocalCluster]:
    """`LocalCluster(n_workers=2, processes=True)`, as `DaskExecutor()` would start."""
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        scheduler_kwargs={"dashboard": False},
    ) as cluster:
        yield cluster

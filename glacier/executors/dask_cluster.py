"""What `DaskExecutor` asks of a cluster: its client, its workers' resources and file systems.

Kept apart from the scheduling in `glacier.executors.dask` so each rule reads on its own:
which cluster a run uses and who closes it, which Dask resources a task's `compute` asks for,
and which local folders a cluster's workers may use.
"""

from __future__ import annotations

import math
import os
import socket
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glacier.compute import Compute
from glacier.distribution import install_hint
from glacier.runtime.errors import GlacierError

if TYPE_CHECKING:
    from distributed import Client

#: The Dask resource names `compute.container(cpu=, memory=)` become (memory in bytes).
CPU = "CPU"
MEMORY = "MEMORY"
_MB = 2**20


class DaskClusterError(GlacierError):
    """The cluster cannot run this pipeline as asked (a local folder its workers cannot see)."""


def missing_dask_message() -> str:
    """What to install when dask.distributed is missing, naming this distribution's extra."""
    return (
        "DaskExecutor needs dask.distributed, which is not installed; "
        f"install it with: {install_hint('dask')}"
    )


@contextmanager
def open_client(
    address: str | None, client: Client | None, cluster_options: Mapping[str, Any]
) -> Iterator[Client]:
    """The run's client: the one given, one connected to `address`, or a new LocalCluster's.

    Only what this function started is closed on leaving; a given cluster keeps running.
    """
    from distributed import Client, LocalCluster

    if client is not None:
        yield client
        return
    if address is not None:
        with Client(address, set_as_default=False) as connected:
            yield connected
        return
    options: dict[str, Any] = {
        "processes": True,
        # Its HTTP server (health, metrics) on a free port, never a fixed one that may be taken.
        "dashboard_address": "127.0.0.1:0",
        "scheduler_kwargs": {"dashboard": False},
        "host": "127.0.0.1",
    }
    options.update(cluster_options)
    with LocalCluster(**options) as cluster, Client(cluster, set_as_default=False) as started:
        yield started


def declared_resources(client: Client) -> dict[str, list[float]]:
    """Resource name -> what each worker that declares it has."""
    declared: dict[str, list[float]] = {}
    for info in client.scheduler_info(n_workers=-1)["workers"].values():
        for name, amount in (info.get("resources") or {}).items():
            declared.setdefault(name, []).append(float(amount))
    return declared


class ResourceRequests:
    """Turns each task's `compute` into Dask resource requirements, warning once when it cannot."""

    def __init__(self, declared: Mapping[str, Sequence[float]], *, warn: bool = True) -> None:
        self._declared = declared
        self._warned = not warn

    def for_compute(self, task_name: str, compute: Compute | None) -> dict[str, float] | None:
        """``{"CPU": c, "MEMORY": bytes}`` for the names the workers declare; None: no limits."""
        if compute is None or compute.kind != "container":
            return None
        wanted: dict[str, float] = {}
        if compute.cpu is not None:
            wanted[CPU] = float(compute.cpu)
        if compute.memory is not None:
            wanted[MEMORY] = float(compute.memory * _MB)
        requests = {name: amount for name, amount in wanted.items() if name in self._declared}
        missing = sorted(set(wanted) - set(requests))
        if missing and not self._warned:
            self._warned = True
            warnings.warn(
                f"Task `{task_name}` asks for {_describe(wanted, missing)} but no Dask worker "
                f"declares {' or '.join(missing)}; Dask places such tasks without that limit. "
                f'Start workers with e.g. `dask worker ADDRESS --resources "CPU=4 '
                f'MEMORY=16e9"` to have it respected',
                RuntimeWarning,
                stacklevel=2,
            )
        for name, amount in requests.items():
            largest = max(self._declared[name])
            if amount > largest:
                raise DaskClusterError(
                    f"Task `{task_name}` asks for {name}={amount:g} but the largest worker of "
                    f"the cluster has {name}={largest:g}, so it could never start; give the task "
                    f"less or add a larger worker"
                )
        return requests or None


def _describe(wanted: Mapping[str, float], names: Iterable[str]) -> str:
    parts = []
    for name in names:
        amount = wanted[name]
        parts.append(
            f"{math.ceil(amount / _MB)} MB of memory" if name == MEMORY else f"{amount:g} CPU"
        )
    return " and ".join(parts)


def this_host() -> str:
    """This machine's name, as a worker reports its own (run on workers through `client.run`)."""
    return socket.gethostname()


def workers_share_this_machine(client: Client, *, started_here: bool) -> bool:
    """Whether every worker runs on this machine (so it sees this machine's file system)."""
    if started_here:
        return True
    hosts = set(client.run(this_host).values())
    return hosts <= {this_host()}


def local_folder_problems(
    folders: Mapping[str, str], shared_paths: Sequence[str | os.PathLike[str]] | bool
) -> list[str]:
    """A message per local folder (label -> path) that is not under a declared shared path.

    Called only for a cluster whose workers run elsewhere: there each worker would write its own
    disk, and no other worker, nor the client, would see what it wrote.
    """
    if shared_paths is True:
        return []
    roots = [Path(path).resolve() for path in (shared_paths or ())]
    problems = []
    for label, folder in folders.items():
        resolved = Path(folder).resolve()
        if any(resolved == root or root in resolved.parents for root in roots):
            continue
        problems.append(
            f"{label} is the local folder `{resolved}`, but the Dask cluster's workers run on "
            f"other machines and would each write their own disk; store it in object storage "
            f"(S3, GCS, AzureBlob), or, if every worker mounts it at the same path, declare it: "
            f'DaskExecutor(..., shared_paths=["{resolved}"])'
        )
    return problems

"""Real Dask clusters for tests and benchmarks: a `dask scheduler` and `dask worker` subprocesses.

Every process binds 127.0.0.1 on a port the OS picks, runs without a dashboard and is stopped by
`DaskProcesses.stop()` (or the context manager). Workers run without a nanny, so killing one (by its
process id, `kill_worker`) removes it for good: the scheduler must reschedule its work elsewhere.
Workers import the repository (`glacier`, `tests`) and this process's own import folders
through `PYTHONPATH`, as a LocalCluster's worker processes inherit them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

REPO = Path(__file__).resolve().parents[2]
_DASK = Path(sys.executable).with_name("dask")
_START_TIMEOUT = 60.0


class ClusterStartError(RuntimeError):
    """A scheduler or worker process did not come up in time."""


@dataclass
class DaskProcesses:
    """A running scheduler and its worker processes."""

    address: str
    scheduler: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]]
    #: Where the processes write their logs and the scheduler file.
    directory: Path
    _temporary: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)

    def worker_pids(self) -> list[int]:
        """Process ids of the workers still running."""
        return [worker.pid for worker in self.workers if worker.poll() is None]

    def kill_worker(self, pid: int) -> None:
        """Kill one of these workers at once (SIGKILL), as a crashed machine would vanish."""
        for worker in self.workers:
            if worker.pid == pid:
                worker.send_signal(signal.SIGKILL)
                worker.wait(timeout=10)
                return
        raise ValueError(f"process {pid} is not one of this cluster's workers")

    def logs(self) -> str:
        """Everything the processes wrote, for a failing test's report."""
        parts = []
        for path in sorted(self.directory.glob("*.log")):
            parts.append(f"--- {path.name}\n{path.read_text(errors='replace')}")
        return "\n".join(parts)

    def stop(self) -> None:
        """Stop the workers, then the scheduler; kill what does not stop within 10 s."""
        for process in [*self.workers, self.scheduler]:
            if process.poll() is None:
                process.terminate()
        for process in [*self.workers, self.scheduler]:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if self._temporary is not None:
            self._temporary.cleanup()
            self._temporary = None

    def __enter__(self) -> DaskProcesses:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def start_dask_processes(
    workers: int = 2,
    *,
    nthreads: int = 1,
    resources: Mapping[str, float] | Sequence[Mapping[str, float] | None] | None = None,
    memory_limit: str = "0",
    env: Mapping[str, str] | None = None,
    hostname: str | None = None,
) -> DaskProcesses:
    """Start a scheduler and `workers` worker processes on 127.0.0.1 and wait until all joined.

    Args:
        workers: how many worker processes.
        nthreads: threads per worker.
        resources: resources every worker declares (``{"CPU": 2, "MEMORY": 4e9}``), or one mapping
            (or ``None``) per worker.
        memory_limit: each worker's memory limit (``"0"``: none, so tests are not paused by it).
        env: extra environment variables for every process.
        hostname: run the workers under this host name (in their own UTS namespace, through
            `unshare`, which needs root), so they look like workers on another machine.
    """
    temporary = tempfile.TemporaryDirectory(prefix="glacier-dask-")
    directory = Path(temporary.name)
    scheduler_file = directory / "scheduler.json"
    environment = _environment(env)
    scheduler = _spawn(
        [
            str(_DASK),
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--no-dashboard",
            # The scheduler's HTTP server (health, metrics) still starts: on a free port.
            "--dashboard-address",
            "127.0.0.1:0",
            "--scheduler-file",
            str(scheduler_file),
        ],
        directory / "scheduler.log",
        environment,
    )
    processes = DaskProcesses("", scheduler, [], directory, temporary)
    try:
        processes.address = _wait_for_scheduler(scheduler, scheduler_file)
        per_worker = _per_worker_resources(resources, workers)
        for index, worker_resources in enumerate(per_worker):
            command = [
                str(_DASK),
                "worker",
                processes.address,
                "--host",
                "127.0.0.1",
                "--no-dashboard",
                "--no-nanny",
                "--nthreads",
                str(nthreads),
                "--memory-limit",
                memory_limit,
                "--name",
                f"worker-{index}",
                "--local-directory",
                str(directory / f"w{index}"),
                "--death-timeout",
                "60",
            ]
            if worker_resources:
                declared = " ".join(f"{name}={value:g}" for name, value in worker_resources.items())
                command += ["--resources", declared]
            if hostname is not None:
                # unshare and sh exec in place, so the process id stays the worker's.
                rename = 'hostname "$0" && exec "$@"'
                command = ["unshare", "--uts", "sh", "-c", rename, hostname, *command]
            processes.workers.append(
                _spawn(command, directory / f"worker-{index}.log", environment)
            )
        _wait_for_workers(processes, workers)
    except BaseException:
        processes.stop()
        raise
    return processes


def _environment(extra: Mapping[str, str] | None) -> dict[str, str]:
    environment = dict(os.environ)
    # The workers import what this process imports: the repository, and the folders pytest put
    # on the path for test packages (so classes and tasks defined in tests unpickle there).
    installed = (sys.prefix, sys.base_prefix)
    own = [p for p in sys.path if p and os.path.isdir(p) and not p.startswith(installed)]
    paths = [str(REPO), *own, *filter(None, environment.get("PYTHONPATH", "").split(os.pathsep))]
    environment["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    # One thread per numeric library, so two workers on two cores measure what they should.
    environment.setdefault("OMP_NUM_THREADS", "1")
    environment.update(extra or {})
    return environment


def _spawn(command: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=str(REPO),
            start_new_session=True,
        )


def _wait_for_scheduler(scheduler: subprocess.Popen[bytes], scheduler_file: Path) -> str:
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if scheduler.poll() is not None:
            raise ClusterStartError(f"dask scheduler exited with code {scheduler.returncode}")
        try:
            address = json.loads(scheduler_file.read_text())["address"]
        except (OSError, ValueError, KeyError):
            time.sleep(0.05)
            continue
        return str(address)
    raise ClusterStartError(f"dask scheduler did not start within {_START_TIMEOUT:g} s")


def _wait_for_workers(processes: DaskProcesses, count: int) -> None:
    from distributed import Client

    with Client(processes.address, timeout="30s") as client:
        deadline = time.monotonic() + _START_TIMEOUT
        while len(client.scheduler_info(n_workers=-1)["workers"]) < count:
            for worker in processes.workers:
                if worker.poll() is not None:
                    raise ClusterStartError(
                        f"dask worker exited with code {worker.returncode}\n{processes.logs()}"
                    )
            if time.monotonic() > deadline:
                raise ClusterStartError(f"{count} dask workers did not join within 60 s")
            time.sleep(0.05)


def _per_worker_resources(
    resources: Mapping[str, float] | Sequence[Mapping[str, float] | None] | None, workers: int
) -> list[Mapping[str, float] | None]:
    if resources is None or isinstance(resources, Mapping):
        return [resources] * workers
    if len(resources) != workers:
        raise ValueError(f"{len(resources)} resource mappings for {workers} workers")
    return list(resources)

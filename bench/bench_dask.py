"""Glacier's DaskExecutor against plain dask.distributed on the same clusters (issue 16).

Three measurements, each side by side in one run (the machine is noisy, so only ratios count):

1. 1,000 no-op tasks, each reading up to two earlier outputs: `DaskExecutor` wall time ÷ the
   faster of the same DAG as one `client.get` graph and as one `client.submit` per task.
   Goal <= 1.2.
2. The client's resident memory while about 1 GB of intermediate data moves between two workers
   (32 producers of 64 MiB; each consumer reads two neighbours, and neighbours mostly run on
   different workers, so about half the 2 GiB made moves). Goal: flat (the client never holds it).
3. 16 CPU-bound pure-Python tasks of about 0.5 s: two worker processes vs one. Goal >= 1.7x.

Each figure is the median of --rounds rounds (the engines interleaved round by round, so a burst
of other load hits all of them), with the spread (fastest-slowest round) beside it.

    python bench/bench_dask.py [--tasks 1000] [--rounds 7] [--only no-ops]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import psutil
from distributed import Client, LocalCluster, wait

from glacier import Dataset, Pipeline, Task, task
from glacier.executors import DaskExecutor

CHUNK = 64 * 2**20
CHUNKS = 32
CPU_TASKS = 16


# --- the workloads, as plain functions (baselines) and as Glacier tasks --------------------------


def noop(*inputs: object) -> None:
    return None


def no_op_graph(count: int, seed: int = 1) -> dict[int, list[int]]:
    """Task index -> the earlier tasks it reads (up to two), the same DAG for every engine."""
    rng = random.Random(seed)
    return {i: sorted(rng.sample(range(i), min(i, 2))) if i else [] for i in range(count)}


def no_op_pipeline(graph: dict[int, list[int]]) -> Pipeline:
    # Functions belong to this module (a real one), as a user's tasks would.
    namespace: dict[str, Any] = {"task": task, "__name__": __name__}
    lines: list[str] = []
    for i, reads in graph.items():
        namespace[f"d{i}"] = Dataset(f"d{i}")
        params = ", ".join(f"x{j}: d{j}" for j in reads)
        lines.append(f"@task\ndef t{i}({params}) -> d{i}:\n    return None\n")
    exec(compile("\n".join(lines), "<bench_dask>", "exec"), namespace)  # the bench's own code
    tasks: list[Task[Any, Any]] = [namespace[f"t{i}"] for i in graph]
    return Pipeline(tasks, name="no-op")


def make_chunk(index: int) -> bytes:
    return bytes([index]) * CHUNK


def pair_size(left: bytes, right: bytes) -> int:
    return len(left) + len(right)


chunk_datasets = [Dataset(f"chunk_{i}") for i in range(CHUNKS)]
size_datasets = [Dataset(f"size_{i}") for i in range(CHUNKS)]


def flow_pipeline() -> Pipeline:
    tasks: list[Task[Any, Any]] = []
    for i in range(CHUNKS):
        tasks.append(task(_named(f"make_{i}", lambda i=i: make_chunk(i), {}, chunk_datasets[i])))
        left, right = chunk_datasets[i], chunk_datasets[(i + 1) % CHUNKS]
        tasks.append(
            task(_named(f"size_{i}", pair_size, {"left": left, "right": right}, size_datasets[i]))
        )
    return Pipeline(tasks, name="flow")


def spin(seconds_of_work: int) -> int:
    """Pure-Python arithmetic, holding the GIL the whole time."""
    total = 0
    for value in range(seconds_of_work):
        total += value * value % 7
    return total


spin_datasets = [Dataset(f"spin_{i}") for i in range(CPU_TASKS)]


def cpu_pipeline(loops: int) -> Pipeline:
    tasks = [
        task(_named(f"spin_{i}", lambda loops=loops: spin(loops), {}, spin_datasets[i]))
        for i in range(CPU_TASKS)
    ]
    return Pipeline(tasks, name="cpu")


def _named(
    name: str, func: Callable[..., Any], inputs: dict[str, Dataset[Any]], output: Dataset[Any]
) -> Callable[..., Any]:
    """A module-level function wrapping `func` whose annotations name the datasets."""

    def wrapper(**values: Any) -> Any:
        return func(**values)

    wrapper.__name__ = wrapper.__qualname__ = name
    wrapper.__annotations__ = {**inputs, "return": output}
    wrapper.__signature__ = _signature(inputs)  # type: ignore[attr-defined]
    globals()[name] = wrapper
    return wrapper


def _signature(inputs: dict[str, Dataset[Any]]) -> Any:
    import inspect

    parameters = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=dataset)
        for name, dataset in inputs.items()
    ]
    return inspect.Signature(parameters)


# --- measuring ----------------------------------------------------------------------------------


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


class CpuClock:
    """CPU seconds used by this process (client and, for a LocalCluster, scheduler) and by the
    workers: steadier than wall time on a shared machine, where other work takes turns."""

    def __init__(self, client: Client) -> None:
        self.processes = [psutil.Process()] + [
            psutil.Process(pid) for pid in client.run(os.getpid).values()
        ]

    def now(self) -> float:
        return sum(sum(process.cpu_times()[:2]) for process in self.processes)

    def timed(self, action: Callable[[], object]) -> tuple[float, float]:
        """Wall seconds and CPU seconds of `action`."""
        cpu = self.now()
        wall = timed(action)
        return wall, self.now() - cpu


def spread(values: list[float], unit: str = "s", digits: int = 3) -> str:
    """The median, and the fastest and slowest rounds."""
    return (
        f"{statistics.median(values):.{digits}f} {unit} "
        f"({min(values):.{digits}f}-{max(values):.{digits}f})"
    )


def client_get_no_ops(client: Client, graph: dict[int, list[int]]) -> None:
    # Fresh keys every round, so nothing is reused; one name for all, as Dask's collections
    # name the tasks of one operation (a name per task costs Dask's workers time per task).
    name = f"noop-{time.monotonic_ns()}"
    dsk: dict[tuple[str, int], Any] = {}
    for i, reads in graph.items():
        dsk[name, i] = (noop, *[(name, j) for j in reads])
    client.get(dsk, [(name, i) for i in _sinks(graph)])


def submit_no_ops(client: Client, graph: dict[int, list[int]]) -> None:
    futures: dict[int, Any] = {}
    for i, reads in graph.items():
        futures[i] = client.submit(noop, *[futures[j] for j in reads], pure=False)
    client.gather([futures[i] for i in _sinks(graph)])


def _sinks(graph: dict[int, list[int]]) -> list[int]:
    read = {j for reads in graph.values() for j in reads}
    return [i for i in graph if i not in read]


@contextmanager
def peak_rss() -> Iterator[dict[str, int]]:
    """Sample this process's resident memory every 10 ms; report before and peak."""
    process = psutil.Process(os.getpid())
    figures = {"before": process.memory_info().rss, "peak": 0}
    figures["peak"] = figures["before"]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            figures["peak"] = max(figures["peak"], process.memory_info().rss)
            stop.wait(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield figures
    finally:
        stop.set()
        sampler.join()


def bytes_sent(client: Client) -> int:
    """Bytes the workers have sent each other so far."""

    def sent(dask_worker: Any) -> int:
        return int(dask_worker.transfer_outgoing_bytes_total)

    return sum(client.run(sent).values())


def submit_flow(client: Client) -> None:
    chunks = [client.submit(make_chunk, i, pure=False) for i in range(CHUNKS)]
    sizes = [
        client.submit(pair_size, chunks[i], chunks[(i + 1) % CHUNKS], pure=False)
        for i in range(CHUNKS)
    ]
    assert sum(client.gather(sizes)) == 2 * CHUNKS * CHUNK
    del chunks, sizes


def calibrate_spin(seconds: float) -> int:
    loops = 200_000
    while True:
        start = time.perf_counter()
        spin(loops)
        elapsed = time.perf_counter() - start
        if elapsed > 0.1:
            return int(loops * seconds / elapsed)
        loops *= 2


def submit_spins(client: Client, loops: int) -> None:
    wait([client.submit(spin, loops, pure=False) for _ in range(CPU_TASKS)])


def cluster(workers: int) -> LocalCluster:
    return LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        scheduler_kwargs={"dashboard": False},
        memory_limit=0,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=7, help="median of this many runs each")
    parser.add_argument(
        "--only", choices=("no-ops", "memory", "cpu"), help="one measurement instead of all three"
    )
    options = parser.parse_args()
    if options.only in (None, "no-ops", "memory"):
        with cluster(2) as two, Client(two) as client:
            executor = DaskExecutor(client=client)
            if options.only in (None, "no-ops"):
                measure_no_ops(client, executor, options.tasks, options.rounds)
            if options.only in (None, "memory"):
                measure_memory(client, executor)
    if options.only in (None, "cpu"):
        measure_cpu(options.rounds)


def measure_no_ops(client: Client, executor: DaskExecutor, count: int, rounds: int) -> None:
    graph = no_op_graph(count)
    pipeline = no_op_pipeline(graph)
    # Warm up all three alike (each worker process imports and caches what it runs once).
    client_get_no_ops(client, no_op_graph(50))
    submit_no_ops(client, no_op_graph(50))
    pipeline.run(executor=executor, progress=False)
    clock = CpuClock(client)
    actions: dict[str, Callable[[], object]] = {
        "get": lambda: client_get_no_ops(client, graph),
        "submit": lambda: submit_no_ops(client, graph),
        "glacier": lambda: pipeline.run(executor=executor, progress=False),
    }
    times: dict[str, list[float]] = {engine: [] for engine in actions}
    cpu: dict[str, list[float]] = {engine: [] for engine in actions}
    per_round: list[float] = []
    for _ in range(rounds):
        # Interleaved round by round, so a burst of other load hits all three.
        for engine, action in actions.items():
            wall, used = clock.timed(action)
            times[engine].append(wall)
            cpu[engine].append(used)
        per_round.append(times["glacier"][-1] / min(times["get"][-1], times["submit"][-1]))
    medians = {engine: statistics.median(values) for engine, values in times.items()}
    print(f"1. {count:,} no-op tasks on 2 worker processes (median and spread of {rounds} rounds):")
    for engine, label in (
        ("get", "client.get   "),
        ("submit", "client.submit"),
        ("glacier", "DaskExecutor "),
    ):
        per_task = medians[engine] / count * 1e3
        print(
            f"   {label}  {spread(times[engine])}  ({per_task:.2f} ms/task); "
            f"CPU {spread(cpu[engine], digits=2)}"
        )
    ratio = medians["glacier"] / min(medians["get"], medians["submit"])
    print(f"   ratio DaskExecutor / faster baseline (medians): {ratio:.2f}  (goal <= 1.2)")
    print(f"   ratio in each round: {', '.join(f'{value:.2f}' for value in per_round)}")
    print(f"   median of the rounds' ratios {spread(per_round, unit='', digits=2)}")
    cpu_ratio = statistics.median(cpu["glacier"]) / min(
        statistics.median(cpu["get"]), statistics.median(cpu["submit"])
    )
    print(f"   CPU seconds (client, scheduler, workers) DaskExecutor / fewer: {cpu_ratio:.2f}")


def measure_memory(client: Client, executor: DaskExecutor) -> None:
    mib = 2**20
    flow = flow_pipeline()
    print(f"2. {CHUNKS} x {CHUNK // mib} MiB between workers; client resident memory:")
    for label, action in (
        ("client.submit", lambda: submit_flow(client)),
        ("DaskExecutor ", lambda: flow.run(executor=executor, progress=False)),
    ):
        sent_before = bytes_sent(client)
        with peak_rss() as rss:
            action()
        moved = bytes_sent(client) - sent_before
        growth = (rss["peak"] - rss["before"]) / mib
        print(
            f"   {label}  moved {moved / mib:6.0f} MiB between workers; client RSS "
            f"{rss['before'] / mib:.0f} MiB before, peak {rss['peak'] / mib:.0f} MiB "
            f"(+{growth:.1f} MiB)"
        )


def measure_cpu(rounds: int) -> None:
    loops = calibrate_spin(0.5)
    spins = cpu_pipeline(loops)
    times: dict[tuple[int, str], list[float]] = {}
    for workers in (1, 2):
        with cluster(workers) as local, Client(local) as client:
            on_cluster = DaskExecutor(client=client)
            # Warm up both engines alike: each worker process imports what it runs once.
            submit_spins(client, loops // 10)
            cpu_pipeline(loops // 10).run(executor=on_cluster, progress=False)
            submits, glaciers = times[workers, "submit"], times[workers, "glacier"] = [], []
            for _ in range(rounds):
                submits.append(timed(lambda: submit_spins(client, loops)))
                glaciers.append(timed(partial(spins.run, executor=on_cluster, progress=False)))
    print(f"3. {CPU_TASKS} CPU-bound tasks of ~0.5 s (median and spread of {rounds} rounds):")
    for engine, label in (("submit", "client.submit"), ("glacier", "DaskExecutor ")):
        one, two = times[1, engine], times[2, engine]
        print(
            f"   {label}  1 worker {spread(one, digits=2)}, 2 workers {spread(two, digits=2)}, "
            f"speed-up {statistics.median(one) / statistics.median(two):.2f}x  (goal >= 1.7x)"
        )


if __name__ == "__main__":
    main()

"""Run a 10,000-task no-op DAG with Glacier, Hamilton and dask, side by side (issue 15).

Each task reads up to two earlier outputs (the shape of bench_runtime.py). Every engine
runs in a fresh process and only execution is timed (building the DAG is not). Printed:

* per-task overhead of ``LocalExecutor()`` (run records and events on), of
  ``LocalExecutor(workers=1)``, of Hamilton's default driver and of dask's threaded
  scheduler, and the ratios to Hamilton (goal: default <= 1.0; moonshot: workers=1 <= 0.5);
* parallelism: a DAG with a long critical path of sleeping tasks, against
  max(critical path, total work / workers) (goal: <= 1.05);
* a fully cached rerun (key, look-up, load) per task against Hamilton's cached rerun
  (goal: <= 0.5), on 1,000 tasks (Hamilton's cache takes over a millisecond a task cold);
* time from ``glacier run`` to the first task starting, and peak memory for 10,000 tasks.

Each engine runs once per round, in a rotating order, and ratios are taken within a round
(this machine's speed drifts from one second to the next): the medians are printed.

    python bench/bench_run.py [--tasks 10000] [--cached-tasks 1000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _reads(count: int, seed: int = 1) -> list[list[int]]:
    rng = random.Random(seed)
    return [sorted(rng.sample(range(i), min(i, 2))) if i else [] for i in range(count)]


def write_glacier_module(folder: Path, count: int) -> Path:
    lines = ["from glacier import Dataset, Pipeline, task", ""]
    reads = _reads(count)
    for i in range(count):
        lines.append(f'd{i} = Dataset("d{i}")')
    for i in range(count):
        params = ", ".join(f"x{j}: d{j}" for j in reads[i])
        lines.append(f"@task\ndef t{i}({params}) -> d{i}:\n    return {i}\n")
    names = ", ".join(f"t{i}" for i in range(count))
    lines.append(f'pipeline = Pipeline([{names}], name="bench")')
    path = folder / f"glacier_dag_{count}.py"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "pyproject.toml").write_text("[project]\nname = 'bench'\n", encoding="utf-8")
    return path


def write_hamilton_module(folder: Path, count: int) -> Path:
    reads = _reads(count)
    lines = []
    for i in range(count):
        params = ", ".join(f"d{j}: int" for j in reads[i])
        lines.append(f"def d{i}({params}) -> int:\n    return {i}\n")
    path = folder / f"hamilton_dag_{count}.py"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _sinks(count: int) -> list[str]:
    consumed = {j for reads in _reads(count) for j in reads}
    return [f"d{i}" for i in range(count) if i not in consumed]


# -- one engine, in this (fresh) process -----------------------------------------------------


def engine(name: str, folder: Path, count: int) -> dict[str, Any]:
    sys.path.insert(0, str(folder))
    if name.startswith("glacier"):
        import glacier.run.records
        import glacier.run.runner  # noqa: F401 - imported before timing, as Hamilton's driver is
        from glacier import LocalExecutor

        module = __import__(f"glacier_dag_{count}")
        pipeline = module.pipeline
        pipeline.validate()
        workers = 1 if name == "glacier-workers1" else None
        cache = name.startswith("glacier-cache")
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        cpu = time.process_time()
        start = time.perf_counter()
        result = pipeline.run(
            executor=LocalExecutor(workers=workers), progress=False, cache=cache or None
        )
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu
        statuses = {run.status for run in result.tasks.values()}
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return {
            "seconds": elapsed,
            "cpu_seconds": cpu,
            "statuses": sorted(statuses),
            "max_rss_mb": rss / 1024,
            "rss_growth_mb": (rss - rss_before) / 1024,
        }
    if name.startswith("hamilton"):
        from hamilton import driver

        module = __import__(f"hamilton_dag_{count}")
        builder = driver.Builder().with_modules(module)
        if name == "hamilton-cache":
            builder = builder.with_cache(path=str(folder / "hamilton-cache"))
        dr = builder.build()
        cpu = time.process_time()
        start = time.perf_counter()
        dr.execute(_sinks(count))
        elapsed = time.perf_counter() - start
        return {"seconds": elapsed, "cpu_seconds": time.process_time() - cpu}
    if name == "dask":
        import dask.threaded

        reads = _reads(count)

        def noop(*args: Any) -> int:
            return 0

        graph = {f"d{i}": (noop, *(f"d{j}" for j in reads[i])) for i in range(count)}
        cpu = time.process_time()
        start = time.perf_counter()
        dask.threaded.get(graph, _sinks(count), num_workers=os.cpu_count())
        elapsed = time.perf_counter() - start
        return {"seconds": elapsed, "cpu_seconds": time.process_time() - cpu}
    raise SystemExit(f"unknown engine {name}")


def fresh(name: str, folder: Path, count: int) -> dict[str, Any]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--engine",
            name,
            "--folder",
            str(folder),
            "--tasks",
            str(count),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"{name} failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


# -- parallelism ------------------------------------------------------------------------------


def parallelism(
    workers: int = 4, chain: int = 20, side: int = 48, seconds: float = 0.05
) -> tuple[float, float]:
    """A chain of sleeping tasks and independent sleeping tasks; returns (took, bound).

    The chain is the critical path (``chain * seconds``); the side tasks fill the other
    slots. The bound is max(critical path, total work / workers).
    """
    from glacier import Dataset, LocalExecutor, Pipeline, task

    tasks: list[Any] = []
    links = [Dataset(f"link{i}") for i in range(chain)]
    for i in range(chain):
        source = f"def link{i}(previous=None, seconds={seconds}):\n    time.sleep(seconds)\n"
        namespace: dict[str, Any] = {"time": time}
        exec(source + "    return 0\n", namespace)  # the bench's own code
        function = namespace[f"link{i}"]
        function.__annotations__ = {"return": links[i]}
        if i:
            function.__annotations__["previous"] = links[i - 1]
        tasks.append(task(function))
    for k in range(side):
        namespace = {"time": time}
        exec(f"def side{k}(seconds={seconds}):\n    time.sleep(seconds)\n", namespace)
        tasks.append(task(namespace[f"side{k}"]))
    pipeline = Pipeline(tasks, name="parallel")
    pipeline.run(executor=LocalExecutor(workers=workers), progress=False)  # warm up once
    start = time.perf_counter()
    pipeline.run(executor=LocalExecutor(workers=workers), progress=False)
    took = time.perf_counter() - start
    work = (chain + side) * seconds
    return took, max(chain * seconds, work / workers)


# -- time to first task -----------------------------------------------------------------------


def first_task(folder: Path) -> float:
    marker = folder / "first.txt"
    script = folder / "first_task.py"
    script.write_text(
        "import time\nfrom glacier import Dataset, Pipeline, task\nout = Dataset('out')\n\n"
        f"@task\ndef first() -> out:\n    open({str(marker)!r}, 'w').write(repr(time.time()))\n"
        "    return 1\n\npipeline = Pipeline([first])\n",
        encoding="utf-8",
    )
    glacier = Path(sys.executable).parent / "glacier"
    best = float("inf")
    for _ in range(3):
        start = time.time()
        subprocess.run(
            [str(glacier), "run", str(script), "--no-progress"],
            check=True,
            capture_output=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        best = min(best, float(marker.read_text()) - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--cached-tasks", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--engine")
    parser.add_argument("--folder", type=Path)
    options = parser.parse_args()
    if options.engine:
        print(json.dumps(engine(options.engine, options.folder, options.tasks)))
        return
    count = options.tasks
    with tempfile.TemporaryDirectory(prefix="glacier-bench-run-") as temporary:
        folder = Path(temporary)
        write_glacier_module(folder, count)
        write_hamilton_module(folder, count)
        # This machine's speed drifts from second to second (a shared host), so every round
        # runs each engine once, in a rotating order, and ratios are taken within a round.
        engines = ("hamilton", "glacier", "glacier-workers1", "dask")
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in engines}
        for round_index in range(options.rounds):
            shift = round_index % len(engines)
            for name in engines[shift:] + engines[:shift]:
                runs[name].append(fresh(name, folder, count))
        results = {name: runs[name][0] for name in engines}

        def per_task(name: str, key: str = "seconds") -> list[float]:
            return [r[key] / count * 1e6 for r in runs[name]]

        def ratios(name: str, key: str = "seconds") -> list[float]:
            theirs = per_task("hamilton", key)
            return [a / b for a, b in zip(per_task(name, key), theirs, strict=True)]

        print(
            f"{count:,}-task no-op DAG, execution only, a fresh process each, "
            f"{options.rounds} rounds (µs per task, median and range; ratio to Hamilton: "
            "median of the rounds' ratios and range; CPU time of the process beside it):"
        )
        rows = [
            ("Hamilton default driver", "hamilton", ""),
            ("LocalExecutor()", "glacier", "(goal <= 1.0)"),
            ("LocalExecutor(workers=1)", "glacier-workers1", "(moonshot <= 0.5)"),
            ("dask threaded scheduler", "dask", ""),
        ]
        for label, key, goal in rows:
            wall = per_task(key)
            wall_ratio, cpu_ratio = ratios(key), ratios(key, "cpu_seconds")
            print(
                f"  {label:<28} {statistics.median(wall):6.1f} ({min(wall):.1f}-{max(wall):.1f})"
                f"   ratio {statistics.median(wall_ratio):.2f} ({min(wall_ratio):.2f}-"
                f"{max(wall_ratio):.2f}) {goal:<18} CPU ratio {statistics.median(cpu_ratio):.2f}"
            )
        memory = results["glacier"]
        print(
            f"  peak memory, LocalExecutor() on {count:,} tasks: "
            f"{memory['max_rss_mb']:.0f} MB max RSS of the process"
        )

        cached = options.cached_tasks
        write_glacier_module(folder, cached)
        write_hamilton_module(folder, cached)
        fresh("hamilton-cache", folder, cached)  # fills both caches
        cold = fresh("glacier-cache", folder, cached)
        pairs = []
        for round_index in range(options.rounds):
            order = ["hamilton-cache", "glacier-cache"][:: 1 if round_index % 2 == 0 else -1]
            got = {name: fresh(name, folder, cached) for name in order}
            pairs.append((got["glacier-cache"], got["hamilton-cache"]))
        warm_ratios = [g["seconds"] / h["seconds"] for g, h in pairs]
        cpu_ratios = [g["cpu_seconds"] / h["cpu_seconds"] for g, h in pairs]
        hamilton_warm = statistics.median(h["seconds"] for _, h in pairs) / cached * 1e6
        glacier_warm = statistics.median(g["seconds"] for g, _ in pairs) / cached * 1e6
        print(
            f"fully cached rerun, {cached:,} tasks, {options.rounds} rounds (µs per task: key, "
            "look-up, load; ratio: median of the rounds' ratios and range):"
        )
        print(f"  {'Hamilton with its cache':<28} {hamilton_warm:8.1f}")
        print(
            f"  {'LocalExecutor(), cache=True':<28} {glacier_warm:8.1f}   "
            f"ratio {statistics.median(warm_ratios):.2f} ({min(warm_ratios):.2f}-"
            f"{max(warm_ratios):.2f}) (goal <= 0.5)   CPU ratio {statistics.median(cpu_ratios):.2f}"
        )
        statuses = sorted({status for g, _ in pairs for status in g["statuses"]})
        print(
            f"  (statuses: {', '.join(statuses)}; the cold run took "
            f"{cold['seconds'] / cached * 1e6:.0f} µs per task)"
        )

        took, bound = parallelism()
        print(
            f"parallelism: sleeping tasks on a long critical path took {took:.3f} s; "
            f"max(critical path, work / workers) = {bound:.3f} s; ratio {took / bound:.3f} "
            "(goal <= 1.05)"
        )
        first = first_task(folder) * 1e3
        print(f"time from `glacier run` to the first task starting: {first:.0f} ms (best of 3)")


if __name__ == "__main__":
    main()

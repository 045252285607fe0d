"""Build, validate and order random pipelines of 1,000 and 10,000 tasks (issue 2).

Each task reads about two earlier outputs. Prints the best-of-three time of each size and
their ratio; the cost must grow close to linearly (ratio at most 12 for 10x the tasks).

For scale it also prints the same ratio for the least any build must do, one dict of the
tasks by id: on a machine whose 1 MiB L2 cache holds a 1,000-task pipeline but not a
10,000-task one, even that linear pass grows more than tenfold.

    python bench/bench_runtime.py [--also 100000]
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any

from glacier import Dataset, Pipeline, Task, task


def make_tasks(count: int, seed: int = 1) -> list[Task[Any, Any]]:
    rng = random.Random(seed)
    namespace: dict[str, Any] = {"task": task}
    lines: list[str] = []
    for i in range(count):
        namespace[f"d{i}"] = Dataset(f"d{i}")
        reads = sorted(rng.sample(range(i), min(i, 2))) if i else []
        params = ", ".join(f"x{j}: d{j}" for j in reads)
        lines.append(f"@task\ndef t{i}({params}) -> d{i}:\n    return None\n")
    exec(compile("\n".join(lines), f"<bench {count}>", "exec"), namespace)  # the bench's own code
    tasks = [namespace[f"t{i}"] for i in range(count)]
    rng.shuffle(tasks)
    return tasks


def measure(count: int) -> tuple[float, float, float]:
    """Seconds to define the tasks, to build + validate + order, to index the tasks by id."""
    start = time.perf_counter()
    tasks = make_tasks(count)
    defined = time.perf_counter()
    pipeline = Pipeline(tasks, name=f"bench-{count}")
    pipeline.validate()
    order = pipeline.get_execution_order()
    done = time.perf_counter()
    by_id = {member.id: member for member in tasks}
    indexed = time.perf_counter()
    assert len(order) == len(by_id) == count
    return defined - start, done - defined, indexed - done


def best_of_three(count: int) -> tuple[float, float, float]:
    runs = [measure(count) for _ in range(3)]
    return min(r[0] for r in runs), min(r[1] for r in runs), min(r[2] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--also",
        type=int,
        metavar="TASKS",
        help="also measure this size once (e.g. 100000: ~45 s) against 10,000",
    )
    options = parser.parse_args()
    measure(200)  # warm up imports and caches
    # Best of three per size: the minimum is the figure least disturbed by other load.
    small_define, small, small_index = best_of_three(1_000)
    large_define, large, large_index = best_of_three(10_000)
    print(f"{'tasks':>8} {'define (s)':>11} {'build+validate+order (s)':>25}")
    print(f"{1_000:>8} {small_define:>11.3f} {small:>25.3f}")
    print(f"{10_000:>8} {large_define:>11.3f} {large:>25.3f}")
    print(f"ratio 10k/1k, build+validate+order: {large / small:.2f}  (target <= 12)")
    total_ratio = (large_define + large) / (small_define + small)
    print(f"ratio 10k/1k, including task definition: {total_ratio:.2f}")
    print(
        f"for scale, ratio 10k/1k of a dict of the tasks by id: {large_index / small_index:.2f}"
        f"  ({small_index * 1e3:.2f} ms, {large_index * 1e3:.2f} ms)"
    )
    if options.also:
        _, extra, extra_index = measure(options.also)
        print(
            f"{options.also:,} tasks, one run: build+validate+order {extra:.3f} s, "
            f"ratio to 10k {extra / large:.2f}; dict of the tasks by id, ratio to 10k "
            f"{extra_index / large_index:.2f}"
        )


if __name__ == "__main__":
    main()

"""How the local executor schedules: order with one slot, long tasks side by side, events."""

from __future__ import annotations

import threading
import time

import pytest

from glacier import Dataset, LocalExecutor, Pipeline, Task, task
from glacier.run import (
    EVENT_KINDS,
    RunEvent,
    RunFinished,
    RunStarted,
    TaskStarted,
    TaskSucceeded,
    add_listener,
)
from glacier.run.runner import run_pipeline

from .test_failures import make_dag


def test_one_slot_runs_the_execution_order_on_the_calling_thread() -> None:
    reads = [[], [0], [], [1, 2], [0], [3, 4], []]
    log: list[int] = []
    pipeline = make_dag(reads, set(), log)
    threads: set[int] = set()

    def listener(event: RunEvent) -> None:
        if isinstance(event, TaskStarted):
            threads.add(threading.get_ident())

    result = run_pipeline(
        pipeline, LocalExecutor(workers=1), progress=False, listeners=[listener], keep="all"
    )
    assert result.succeeded
    assert [f"t{i}" for i in log] == [t.name for t in pipeline.get_execution_order()]
    assert threads == {threading.get_ident()}


def waiting_for_each_other() -> list[Task[[], int]]:
    """Two tasks that each wait for the other to be running: they fail unless they overlap."""
    barrier = threading.Barrier(2, timeout=10)
    left, right = Dataset("left"), Dataset("right")

    @task
    def wait_left() -> left:
        return barrier.wait()

    @task
    def wait_right() -> right:
        return barrier.wait()

    return [wait_left, wait_right]


def test_long_independent_tasks_run_side_by_side() -> None:
    result = Pipeline(waiting_for_each_other()).run(
        executor=LocalExecutor(workers=2), progress=False
    )
    assert result.succeeded
    assert sorted([result["left"], result["right"]]) == [0, 1]


def test_tiny_tasks_stay_on_the_calling_thread_with_several_slots() -> None:
    # No hand-off between threads that share the GIL: no helper thread is even started.
    pipeline = make_dag([[], [0], [0, 1], [2], [], [3, 4]], set(), [])
    threads: set[int] = set()
    before = threading.active_count()

    def listener(event: RunEvent) -> None:
        if isinstance(event, TaskStarted):
            threads.add(threading.get_ident())

    result = run_pipeline(pipeline, LocalExecutor(workers=4), progress=False, listeners=[listener])
    assert result.succeeded
    assert threads == {threading.get_ident()}
    assert not [t for t in threading.enumerate() if t.name == "glacier-worker"]
    assert threading.active_count() <= before + 1  # the run-records writer, at most


def test_a_long_task_after_tiny_ones_gets_help() -> None:
    # 300 tiny tasks, then two that must run side by side.
    tiny = make_dag([[]] * 300, set(), [])
    result = Pipeline([*tiny.tasks, *waiting_for_each_other()]).run(
        executor=LocalExecutor(workers=2), progress=False
    )
    assert result.succeeded
    assert sorted([result["left"], result["right"]]) == [0, 1]


def test_a_task_never_runs_beside_more_than_its_free_slots() -> None:
    # Two slots: the task taking both runs alone even after the run went threaded.
    from glacier import compute

    running: list[str] = []
    overlaps: list[tuple[str, ...]] = []
    lock = threading.Lock()
    names = ["a", "b", "big", "c", "d"]
    outputs = {name: Dataset(f"out_{name}") for name in names}

    def make(name: str) -> Task[[], int]:
        def body() -> int:
            with lock:
                running.append(name)
                overlaps.append(tuple(sorted(running)))
            time.sleep(0.02)
            with lock:
                running.remove(name)
            return 1

        body.__name__ = body.__qualname__ = name
        body.__annotations__ = {"return": outputs[name]}
        return task(compute=compute.local(workers=2) if name == "big" else None)(body)

    result = Pipeline([make(name) for name in names]).run(
        executor=LocalExecutor(workers=2), progress=False
    )
    assert result.succeeded
    assert all(len(seen) == 1 for seen in overlaps if "big" in seen)
    assert any(len(seen) == 2 for seen in overlaps)  # the others did run side by side


@pytest.mark.parametrize("workers", [1, 2])
def test_a_listener_takes_the_event_kinds_it_names(workers: int) -> None:
    pipeline = make_dag([[], [0], [0, 1]], set(), [])

    class Finished:
        event_kinds = frozenset({TaskSucceeded, RunFinished})

        def __init__(self) -> None:
            self.seen: list[type[RunEvent]] = []

        def __call__(self, event: RunEvent) -> None:
            self.seen.append(type(event))

    every: list[type[RunEvent]] = []
    finished = Finished()
    remove = add_listener(lambda event: every.append(type(event)))
    try:
        run_pipeline(pipeline, LocalExecutor(workers=workers), progress=False, listeners=[finished])
    finally:
        remove()
    assert finished.seen == [TaskSucceeded] * 3 + [RunFinished]
    assert every.count(TaskStarted) == 3 and every[0] is RunStarted
    assert set(every) <= EVENT_KINDS

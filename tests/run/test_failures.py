"""Failures skip exactly their dependents; retries; the error and the result."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glacier import Dataset, LocalExecutor, Pipeline, PipelineRunError, task
from glacier.run import RunEvent, TaskFailed, TaskRetried, TaskSkipped, add_listener


def make_dag(
    reads: list[list[int]], failing: set[int], log: list[int], slow: frozenset[int] = frozenset()
) -> Pipeline:
    """Task i reads the outputs of ``reads[i]`` (earlier tasks) and returns their sum + 1;
    tasks in ``slow`` first sleep long enough for the local executor to add threads."""
    datasets = [Dataset(f"d{i}") for i in range(len(reads))]
    tasks = []
    lock = threading.Lock()
    for i, sources in enumerate(reads):
        params = ", ".join(f"x{j}" for j in sources)
        body = (
            f"def t{i}({params}):\n"
            f"    with lock:\n        log.append({i})\n"
            + ("    time.sleep(0.004)\n" if i in slow else "")
            + (f"    raise ValueError('task {i} fails')\n" if i in failing else "")
            + f"    return 1 + sum([{params}])\n"
        )
        namespace: dict[str, Any] = {"log": log, "lock": lock, "time": time}
        exec(body, namespace)  # the test's own generated code
        function = namespace[f"t{i}"]
        function.__annotations__ = {f"x{j}": datasets[j] for j in sources}
        function.__annotations__["return"] = datasets[i]
        function.__module__ = "generated"
        tasks.append(task(function))
    return Pipeline(tasks, name="generated")


def descendants(reads: list[list[int]], roots: set[int]) -> set[int]:
    found: set[int] = set()
    for i, sources in enumerate(reads):  # sources are earlier, so one pass in order suffices
        if any(j in roots or j in found for j in sources):
            found.add(i)
    return found


@st.composite
def dags(draw: st.DrawFn) -> tuple[list[list[int]], set[int], frozenset[int]]:
    size = draw(st.integers(min_value=1, max_value=25))
    reads = [
        sorted(draw(st.sets(st.integers(0, i - 1), max_size=3))) if i else [] for i in range(size)
    ]
    failing = draw(st.sets(st.integers(0, size - 1), max_size=4))
    # Slow tasks make a run go from the calling thread alone to several threads midway.
    slow = draw(st.frozensets(st.integers(0, size - 1), max_size=5))
    return reads, failing, slow


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dags(), st.sampled_from([1, 2, 4]))
def test_exactly_the_dependents_of_failures_are_skipped(
    dag: tuple[list[list[int]], set[int], frozenset[int]], workers: int
) -> None:
    reads, failing, slow = dag
    log: list[int] = []
    pipeline = make_dag(reads, failing, log, slow)
    result = pipeline.run(
        executor=LocalExecutor(workers=workers), raise_on_error=False, progress=False, keep="all"
    )
    skipped = descendants(reads, failing)  # a failing task after a failure never runs
    for i in range(len(reads)):
        run = result.tasks[f"t{i}"]
        if i in skipped:
            assert run.status == "skipped", i
            assert run.attempts == 0
        elif i in failing:
            assert run.status == "failed", i
            assert isinstance(run.error, ValueError)
        else:
            assert run.status == "succeeded", i
    assert sorted(log) == sorted(i for i in range(len(reads)) if i not in skipped)
    assert result.succeeded == (not failing)
    # Values are right where they were computed.
    expected: dict[int, int] = {}
    for i, sources in enumerate(reads):
        if i not in failing and i not in skipped:
            expected[i] = 1 + sum(expected[j] for j in sources)
            assert result[f"d{i}"] == expected[i]


def test_run_error_names_each_failed_task_and_chains_the_exception() -> None:
    log: list[int] = []
    pipeline = make_dag([[], [0], [], [2]], {0, 2}, log)
    with pytest.raises(PipelineRunError) as caught:
        pipeline.run(progress=False)
    error = caught.value
    assert "t0: ValueError: task 0 fails" in str(error)
    assert "t2: ValueError: task 2 fails" in str(error)
    assert "2 dependent tasks skipped" in str(error)
    assert isinstance(error.__cause__, ValueError)
    assert error.result.tasks["t1"].status == "skipped"
    assert error.result.tasks["t1"].skipped_because == "generated.t0"
    assert not error.result.succeeded


def test_retries_then_success_and_events() -> None:
    out = Dataset("out")
    calls: list[int] = []

    @task(retries=2)
    def flaky() -> out:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("try again")
        return len(calls)

    events: list[RunEvent] = []
    remove = add_listener(events.append)
    try:
        result = Pipeline([flaky]).run(progress=False)
    finally:
        remove()
    assert result["out"] == 3
    assert result.tasks[flaky].attempts == 3
    assert result.tasks[flaky.id].status == "succeeded"
    assert [e.attempt for e in events if isinstance(e, TaskRetried)] == [1, 2]


def test_retries_exhausted() -> None:
    out = Dataset("out")
    after = Dataset("after")

    @task(retries=1)
    def broken() -> out:
        raise RuntimeError("always")

    @task
    def later(x: out) -> after:
        return x

    events: list[RunEvent] = []
    remove = add_listener(events.append)
    try:
        result = Pipeline([broken, later]).run(progress=False, raise_on_error=False)
    finally:
        remove()
    assert result.tasks["broken"].attempts == 2
    assert result.tasks["broken"].status == "failed"
    assert [type(e) for e in events if isinstance(e, (TaskFailed, TaskSkipped))] == [
        TaskFailed,
        TaskSkipped,
    ]


def test_invalid_pipeline_runs_nothing() -> None:
    from glacier import PipelineValidationError

    missing = Dataset("missing")
    out = Dataset("out")
    ran: list[int] = []

    @task
    def use(x: missing) -> out:
        ran.append(1)
        return x

    with pytest.raises(PipelineValidationError) as caught:
        Pipeline([use]).run(progress=False)
    assert caught.value.problems[0].code == "GLC002"
    assert ran == []


def test_unknown_param_and_keep_are_reported_together() -> None:
    from glacier import RunSetupError

    out = Dataset("out")

    @task
    def make(scale: int = 1) -> out:
        return scale

    with pytest.raises(RunSetupError) as caught:
        Pipeline([make]).run(progress=False, params={"scal": 2}, keep=["nope"])
    assert len(caught.value.problems) == 2
    assert "`scal`" in str(caught.value) and "'nope'" in str(caught.value)
    assert Pipeline([make]).run(progress=False, params={"scale": 5})["out"] == 5


def test_values_are_released_after_their_last_consumer() -> None:
    import gc
    import weakref

    big, small, final = Dataset("big"), Dataset("small"), Dataset("final")
    refs: list[Any] = []

    class Blob:
        pass

    @task
    def produce() -> big:
        blob = Blob()
        refs.append(weakref.ref(blob))
        return blob

    @task
    def shrink(b: big) -> small:
        return 1

    @task
    def check(s: small) -> final:
        gc.collect()
        return refs[-1]() is None

    result = Pipeline([produce, shrink, check]).run(
        executor=LocalExecutor(workers=1), progress=False
    )
    assert result["final"] is True
    kept = Pipeline([produce, shrink, check]).run(
        executor=LocalExecutor(workers=1), progress=False, keep=["big"]
    )
    assert kept["final"] is False
    assert isinstance(kept["big"], Blob)


def test_a_given_input_without_storage_is_not_a_missing_producer() -> None:
    rows, total = Dataset("rows"), Dataset("total")

    @task
    def add(values: rows) -> total:
        return sum(values)

    assert Pipeline([add]).run(inputs={"rows": [1, 2, 3]}, progress=False)["total"] == 6
    assert Pipeline([add]).run(inputs={rows: [4]}, progress=False)[total] == 4

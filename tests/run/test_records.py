"""Run records: task rows written in batches read back per task, also the older table."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from glacier import Dataset, LocalExecutor, Pipeline, task
from glacier.run.records import database_path, list_runs, show_run
from glacier.run.runner import run_pipeline

from .test_failures import make_dag


def test_every_task_of_a_large_run_is_recorded_in_order(tmp_path: Path) -> None:
    count = 1_200  # more than one batch of rows
    reads = [[i - 1] if i % 7 else [] for i in range(count)]
    pipeline = make_dag(reads, {700}, [])
    result = run_pipeline(
        pipeline,
        LocalExecutor(workers=2),
        progress=False,
        raise_on_error=False,
        project_root=str(tmp_path),
    )
    found = show_run(str(tmp_path), result.run_id)
    assert found is not None
    run, tasks = found
    assert run.counts == result.counts() and run.status == "failed"
    assert [t.name for t in tasks] == [t.name for t in pipeline.get_execution_order()]
    statuses = {t.name: t.status for t in tasks}
    assert statuses == {name: r.status for name, r in result.tasks.items()}
    assert statuses["t700"] == "failed" and statuses["t701"] == "skipped"
    failed = next(t for t in tasks if t.name == "t700")
    assert failed.error == "ValueError: task 700 fails" and "task 700 fails" in (
        failed.traceback or ""
    )
    with sqlite3.connect(database_path(str(tmp_path))) as connection:
        (rows,) = connection.execute(
            "SELECT count(*) FROM task_runs WHERE run_id = ?", (result.run_id,)
        ).fetchone()
    assert rows == count


def test_captured_lines_are_recorded(tmp_path: Path) -> None:
    out = Dataset("out")

    @task
    def talk() -> out:
        print("hello from the task")
        return 1

    result = run_pipeline(Pipeline([talk]), progress=False, project_root=str(tmp_path))
    found = show_run(str(tmp_path), result.run_id)
    assert found is not None
    assert found[1][0].log == "hello from the task"


def test_runs_recorded_before_batches_are_still_shown(tmp_path: Path) -> None:
    out = Dataset("out")

    @task
    def one() -> out:
        return 1

    run_pipeline(Pipeline([one]), progress=False, project_root=str(tmp_path))  # makes the db
    with sqlite3.connect(database_path(str(tmp_path))) as connection:
        connection.execute(
            "INSERT INTO runs (run_id, pipeline, status, started) "
            "VALUES ('20200101T000000Z-000000', 'old', 'succeeded', 1.0)"
        )
        connection.execute(
            "INSERT INTO tasks (run_id, position, task_id, name, status, duration, attempts)"
            " VALUES ('20200101T000000Z-000000', 0, 'flow.one', 'one', 'succeeded', 0.5, 1)"
        )
    assert [r.pipeline for r in list_runs(str(tmp_path))][-1] == "old"
    found = show_run(str(tmp_path), "20200101T000000Z-000000")
    assert found is not None
    (old,) = found[1]
    assert (old.task_id, old.status, old.duration, old.attempts) == (
        "flow.one",
        "succeeded",
        0.5,
        1,
    )

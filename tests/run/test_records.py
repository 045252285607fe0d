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


def test_a_database_with_float_time_batches_is_migrated_and_still_read(tmp_path: Path) -> None:
    # The layout before integer times: no `times` column, a view without the scaling.
    (tmp_path / ".glacier").mkdir()
    with sqlite3.connect(database_path(str(tmp_path))) as connection:
        connection.executescript(
            "CREATE TABLE runs (run_id TEXT PRIMARY KEY, pipeline TEXT NOT NULL, status TEXT"
            " NOT NULL, started REAL NOT NULL, finished REAL, duration REAL, executor TEXT,"
            " params TEXT, counts TEXT, host TEXT, pid INTEGER);"
            "CREATE TABLE task_batches (run_id TEXT NOT NULL, batch INTEGER NOT NULL,"
            " rows TEXT NOT NULL, PRIMARY KEY (run_id, batch));"
            "CREATE VIEW task_runs AS SELECT b.run_id AS run_id,"
            " json_extract(j.value, '$[5]') AS duration"
            " FROM task_batches AS b, json_each(b.rows) AS j;"
            "INSERT INTO runs (run_id, pipeline, status, started)"
            " VALUES ('20200101T000000Z-000000', 'old', 'succeeded', 1.0);"
            "INSERT INTO task_batches VALUES ('20200101T000000Z-000000', 1, '[[0, \"flow.one\","
            ' "one", "succeeded", 1577836800.25, 0.5, 1, null, null, null, null, null]]\');'
        )
    out = Dataset("out")

    @task
    def one() -> out:
        return 1

    result = run_pipeline(Pipeline([one]), progress=False, project_root=str(tmp_path))
    old = show_run(str(tmp_path), "20200101T000000Z-000000")
    new = show_run(str(tmp_path), result.run_id)
    assert old is not None and new is not None
    assert (old[1][0].started, old[1][0].duration) == (1577836800.25, 0.5)
    (task_record,) = new[1]
    assert task_record.started is not None and task_record.duration is not None
    assert abs(task_record.started - result.tasks["one"].started) < 1e-5  # type: ignore[operator]
    assert abs(task_record.duration - result.tasks["one"].duration) < 1e-8
    with sqlite3.connect(database_path(str(tmp_path))) as connection:
        view = dict(connection.execute("SELECT run_id, started FROM task_runs").fetchall())
    assert view["20200101T000000Z-000000"] == 1577836800.25
    assert abs(view[result.run_id] - task_record.started) < 1e-5

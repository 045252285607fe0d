"""Run records: each run and its tasks in an embedded SQLite database, ``.glacier/runs.db``.

A listener on the event stream. The run's row is written when it starts; task rows are
buffered and written in batches (at most every second, and when the run ends), so
recording costs little per task. SQLite's write-ahead log and a busy timeout let two
runs of one project, or a ``glacier runs`` reader, work at the same time; each run
writes only its own rows.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from typing import Any

from glacier.run.events import (
    RunEvent,
    RunFinished,
    RunStarted,
    TaskCached,
    TaskFailed,
    TaskRetried,
    TaskSkipped,
    TaskStarted,
    TaskSucceeded,
)

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    pipeline TEXT NOT NULL,
    status TEXT NOT NULL,
    started REAL NOT NULL,
    finished REAL,
    duration REAL,
    executor TEXT,
    params TEXT,
    counts TEXT,
    host TEXT,
    pid INTEGER
);
CREATE TABLE IF NOT EXISTS tasks (
    run_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    task_id TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    started REAL,
    duration REAL,
    attempts INTEGER,
    error TEXT,
    traceback TEXT,
    output_uri TEXT,
    cache_key TEXT,
    log TEXT,
    PRIMARY KEY (run_id, task_id)
);
CREATE INDEX IF NOT EXISTS runs_by_start ON runs (started);
"""
_FLUSH_EVERY = 1.0


def database_path(project_root: str) -> str:
    return os.path.join(project_root, ".glacier", "runs.db")


@contextmanager
def connect(path: str) -> Iterator[sqlite3.Connection]:
    """A connection in WAL mode with a busy timeout, closed afterwards."""
    connection = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    with closing(connection):
        connection.execute("PRAGMA busy_timeout = 30000")
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        yield connection


class RunRecorder:
    """The run-records listener of one run."""

    def __init__(self, project_root: str) -> None:
        from glacier.run.session import ensure_glacier_folder

        ensure_glacier_folder(project_root)
        self.path = database_path(project_root)
        self._connection = sqlite3.connect(
            self.path, timeout=30, isolation_level=None, check_same_thread=False
        )
        self._connection.execute("PRAGMA busy_timeout = 30000")
        self._connection.execute("PRAGMA journal_mode = WAL")
        self._connection.execute("PRAGMA synchronous = NORMAL")
        self._connection.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self._rows: list[tuple[Any, ...]] = []
        self._positions: dict[str, int] = {}
        self._started: dict[str, float] = {}
        self._attempts: dict[str, int] = {}
        self._last_flush = time.monotonic()
        self.run_id = ""

    def __call__(self, event: RunEvent) -> None:
        kind = type(event)
        if kind is TaskStarted:
            self._started[event.task_id] = event.time  # type: ignore[attr-defined]
            return
        if kind is TaskSucceeded:
            e: Any = event
            self._row(
                e.task_id,
                e.task,
                "succeeded",
                e.duration,
                e.attempts,
                None,
                None,
                e.output_uri,
                None,
                e.log,
            )
        elif kind is TaskFailed:
            e = event
            self._row(
                e.task_id,
                e.task,
                "failed",
                e.duration,
                e.attempts,
                f"{type(e.error).__name__}: {e.error}",
                e.traceback,
                None,
                None,
                e.log,
            )
        elif kind is TaskCached:
            e = event
            self._row(
                e.task_id, e.task, "cached", 0.0, 0, None, None, e.output_uri, e.cache_key, ()
            )
        elif kind is TaskSkipped:
            e = event
            reason = f"skipped: `{e.because_of}` failed" if e.because_of else "skipped: interrupted"
            self._row(e.task_id, e.task, "skipped", 0.0, 0, reason, None, None, None, ())
        elif kind is TaskRetried:
            return
        elif kind is RunStarted:
            self._run_started(event)  # type: ignore[arg-type]
            return
        elif kind is RunFinished:
            self._run_finished(event)  # type: ignore[arg-type]
            return
        if time.monotonic() - self._last_flush > _FLUSH_EVERY:
            self.flush()

    def _row(
        self,
        task_id: str,
        name: str,
        status: str,
        duration: float,
        attempts: int,
        error: str | None,
        traceback: str | None,
        output_uri: str | None,
        cache_key: str | None,
        log: tuple[str, ...],
    ) -> None:
        self._rows.append(
            (
                self.run_id,
                self._positions.get(task_id, -1),
                task_id,
                name,
                status,
                self._started.get(task_id),
                duration,
                attempts,
                error,
                traceback,
                output_uri,
                cache_key,
                "\n".join(log) if log else None,
            )
        )

    def _run_started(self, event: RunStarted) -> None:
        self.run_id = event.run_id
        self._positions = {task_id: index for index, task_id in enumerate(event.tasks)}
        with self._lock:
            self._connection.execute(
                "INSERT INTO runs (run_id, pipeline, status, started, executor, params, host, pid)"
                " VALUES (?, ?, 'running', ?, ?, ?, ?, ?)",
                (
                    event.run_id,
                    event.pipeline,
                    event.time,
                    event.executor,
                    json.dumps(event.params, sort_keys=True, default=repr),
                    socket.gethostname(),
                    os.getpid(),
                ),
            )

    def flush(self) -> None:
        with self._lock:
            rows, self._rows = self._rows, []
            self._last_flush = time.monotonic()
            if not rows:
                return
            connection = self._connection
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.executemany(
                    "INSERT OR REPLACE INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise

    def _run_finished(self, event: RunFinished) -> None:
        self.flush()
        with self._lock:
            self._connection.execute(
                "UPDATE runs SET status = ?, finished = ?, duration = ?, counts = ?"
                " WHERE run_id = ?",
                (event.status, event.time, event.duration, json.dumps(event.counts), event.run_id),
            )

    def close(self) -> None:
        self.flush()
        self._connection.close()


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    pipeline: str
    status: str
    started: float
    duration: float | None
    executor: str | None
    counts: dict[str, int]
    params: dict[str, Any]


@dataclass(frozen=True)
class TaskRecord:
    task_id: str
    name: str
    status: str
    started: float | None
    duration: float | None
    attempts: int | None
    error: str | None
    traceback: str | None
    output_uri: str | None
    cache_key: str | None
    log: str | None


def list_runs(project_root: str, limit: int = 20) -> list[RunRecord]:
    """The latest runs, newest first."""
    path = database_path(project_root)
    if not os.path.exists(path):
        return []
    with connect(path) as connection:
        connection.executescript(_SCHEMA)
        rows = connection.execute(
            "SELECT run_id, pipeline, status, started, duration, executor, counts, params"
            " FROM runs ORDER BY started DESC, run_id DESC LIMIT ?",
            (limit,),
        ).fetchall()
    return [
        RunRecord(
            r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6] or "{}"), json.loads(r[7] or "{}")
        )
        for r in rows
    ]


def show_run(project_root: str, run_id: str) -> tuple[RunRecord, list[TaskRecord]] | None:
    """One run and its tasks (in execution order); a unique prefix of the id works too."""
    path = database_path(project_root)
    if not os.path.exists(path):
        return None
    with connect(path) as connection:
        connection.executescript(_SCHEMA)
        rows = connection.execute(
            "SELECT run_id, pipeline, status, started, duration, executor, counts, params"
            " FROM runs WHERE run_id = ? OR run_id LIKE ? ORDER BY run_id",
            (run_id, run_id.replace("%", "") + "%"),
        ).fetchall()
        exact = [r for r in rows if r[0] == run_id]
        if exact:
            rows = exact
        if len(rows) != 1:
            return None
        r = rows[0]
        run = RunRecord(
            r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6] or "{}"), json.loads(r[7] or "{}")
        )
        tasks = [
            TaskRecord(*row)
            for row in connection.execute(
                "SELECT task_id, name, status, started, duration, attempts, error, traceback,"
                " output_uri, cache_key, log FROM tasks WHERE run_id = ? ORDER BY position",
                (run.run_id,),
            )
        ]
    return run, tasks

"""Run records: each run and its tasks in an embedded SQLite database, ``.glacier/runs.db``.

A listener on the event stream. The run's row is written when it starts; task rows are
buffered and written in batches (at most every second, and when the run ends), so
recording costs little per task. SQLite's write-ahead log and a busy timeout let two
runs of one project, or a ``glacier runs`` reader, work at the same time; each run
writes only its own rows.
"""

from __future__ import annotations

import atexit
import json
import os
import socket
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from typing import Any

from glacier.run.events import (
    EVENT_KINDS,
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

SCHEMA_VERSION = 3
# Task rows are written in batches, one row of JSON per batch (`task_batches`): inserting
# one SQLite row per task cost more than running a tiny task. The view `task_runs` shows
# them one per task for SQL readers; the `tasks` table holds the runs recorded before.
# A batch's `times` says how its rows write times: "us,ns" (integer microseconds since
# the epoch, integer nanoseconds of duration: printing a float costs more than a tiny
# task's bookkeeping) or NULL (float seconds, batches written before).
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
CREATE TABLE IF NOT EXISTS task_batches (
    run_id TEXT NOT NULL,
    batch INTEGER NOT NULL,
    rows TEXT NOT NULL,
    times TEXT,
    PRIMARY KEY (run_id, batch)
);
"""
#: The columns of a task row, in the order of each row in a batch's JSON array.
_TASK_COLUMNS = (
    "position",
    "task_id",
    "name",
    "status",
    "started",
    "duration",
    "attempts",
    "error",
    "traceback",
    "output_uri",
    "cache_key",
    "log",
)
#: How the rows of new batches write times (see `task_batches.times`).
_TIMES = "us,ns"
_SCALED = {"started": 1e6, "duration": 1e9}


def _view_column(index: int, column: str) -> str:
    value = f"json_extract(j.value, '$[{index}]')"
    scale = _SCALED.get(column)
    if scale is not None:
        value = f"CASE WHEN b.times = '{_TIMES}' THEN {value} / {scale!r} ELSE {value} END"
    return f"{value} AS {column}"


_VIEW = (
    "CREATE VIEW IF NOT EXISTS task_runs AS SELECT b.run_id AS run_id, "
    + ", ".join(_view_column(index, column) for index, column in enumerate(_TASK_COLUMNS))
    + " FROM task_batches AS b, json_each(b.rows) AS j"
)

#: The writer thread writes what is queued this often, or as soon as this many rows wait,
#: so the rows of a long run are written while it runs, not all at its end.
_FLUSH_EVERY = 0.1
_BATCH = 500


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
    """The run-records listener of one run.

    The listener only queues task events; a writer thread turns them into rows and
    writes them in batches (SQLite does its work without the GIL), so recording costs a
    run of tiny tasks little. The writer also opens the database and writes the run's own
    row as the run starts, so the first task does not wait for the disk; `close` waits
    for the last rows.
    """

    #: Starts and retries leave no row: the run does not even make them for the recorder.
    event_kinds = EVENT_KINDS - {TaskStarted, TaskRetried}

    def __init__(self, project_root: str) -> None:
        from glacier.run.session import ensure_glacier_folder

        ensure_glacier_folder(project_root)
        self.path = database_path(project_root)
        # Opened by the writer thread, so the run does not wait for the database.
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._started: RunStarted | None = None
        self._batches = 0
        self._events: list[RunEvent] = []
        self._positions: dict[str, int] = {}
        self._wake = threading.Event()
        self._closed = False
        self._writer: threading.Thread | None = None
        self.run_id = ""

    def __call__(self, event: RunEvent) -> None:
        kind = type(event)
        if kind is TaskStarted or kind is TaskRetried:
            return
        if kind is RunStarted:
            self._run_started(event)  # type: ignore[arg-type]
        elif kind is RunFinished:
            self._run_finished(event)  # type: ignore[arg-type]
        else:
            events = self._events
            events.append(event)  # list.append is atomic: no lock on the hot path
            if len(events) >= _BATCH and not self._wake.is_set():
                self._wake.set()

    def _rows(self, events: list[RunEvent]) -> list[tuple[Any, ...]]:
        """One row per task event, in `_TASK_COLUMNS` order, times as `_TIMES` says."""
        rows: list[tuple[Any, ...]] = []
        append = rows.append
        position = self._positions.get
        for event in events:
            e: Any = event
            kind = type(event)
            if kind is TaskSucceeded or kind is TaskFailed:
                failed = kind is TaskFailed
                log = e.log
                append(
                    (
                        position(e.task_id, -1),
                        e.task_id,
                        e.task,
                        "failed" if failed else "succeeded",
                        None if e.started is None else round(e.started * 1e6),
                        round(e.duration * 1e9),
                        e.attempts,
                        f"{type(e.error).__name__}: {e.error}" if failed else None,
                        e.traceback if failed else None,
                        None if failed else e.output_uri,
                        None,
                        "\n".join(log) if log else None,
                    )
                )
            elif kind is TaskCached:
                append(
                    (
                        position(e.task_id, -1),
                        e.task_id,
                        e.task,
                        "cached",
                        round(e.time * 1e6),
                        0,
                        0,
                        None,
                        None,
                        e.output_uri,
                        e.cache_key,
                        None,
                    )
                )
            elif kind is TaskSkipped:
                why = (
                    f"skipped: `{e.because_of}` failed" if e.because_of else "skipped: interrupted"
                )
                append(
                    (
                        position(e.task_id, -1),
                        e.task_id,
                        e.task,
                        "skipped",
                        None,
                        0,
                        0,
                        why,
                        None,
                        None,
                        None,
                        None,
                    )
                )
        return rows

    def _run_started(self, event: RunStarted) -> None:
        self.run_id = event.run_id
        self._positions = {task_id: index for index, task_id in enumerate(event.tasks)}
        self._started = event
        self._writer = threading.Thread(
            target=self._write_loop, name="glacier-records", daemon=True
        )
        self._writer.start()

    def _open(self) -> sqlite3.Connection:
        """The database connection; the first call also writes the run's row."""
        connection = self._connection
        if connection is not None:
            return connection
        connection, self._lock = _shared_connection(self.path)
        event = self._started
        if event is not None:
            with self._lock:
                connection.execute(
                    "INSERT INTO runs (run_id, pipeline, status, started, executor, params,"
                    " host, pid) VALUES (?, ?, 'running', ?, ?, ?, ?, ?)",
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
        self._connection = connection
        return connection

    def _write_loop(self) -> None:
        try:
            self._open()
            while not self._closed:
                self._wake.wait(_FLUSH_EVERY)
                self._wake.clear()
                self.flush()
        except Exception:  # noqa: BLE001 - the run's end writes what is left, and reports errors
            return

    def flush(self) -> None:
        connection = self._open()
        with self._lock:
            events, self._events = self._events, []
            if not events:
                return
            rows = json.dumps(self._rows(events), separators=(",", ":"))
            self._batches += 1
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.execute(
                    "INSERT OR REPLACE INTO task_batches (run_id, batch, rows, times)"
                    " VALUES (?, ?, ?, ?)",
                    (self.run_id, self._batches, rows, _TIMES),
                )
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise

    def _run_finished(self, event: RunFinished) -> None:
        self._stop_writer()
        self.flush()
        connection = self._open()
        with self._lock:
            connection.execute(
                "UPDATE runs SET status = ?, finished = ?, duration = ?, counts = ?"
                " WHERE run_id = ?",
                (event.status, event.time, event.duration, json.dumps(event.counts), event.run_id),
            )

    def _stop_writer(self) -> None:
        self._closed = True
        self._wake.set()
        if self._writer is not None and self._writer is not threading.current_thread():
            self._writer.join()
        self._writer = None

    def close(self) -> None:
        """Write what is left; a database that cannot be written loses records, not the run."""
        self._stop_writer()
        try:
            self.flush()
        except (sqlite3.Error, OSError) as error:
            from glacier.run import capture

            print(
                f"glacier: run records could not be written to {self.path}: {error}",
                file=capture.original_stderr(),
            )


_shared: dict[str, tuple[sqlite3.Connection, threading.Lock]] = {}
_shared_lock = threading.Lock()


def _shared_connection(path: str) -> tuple[sqlite3.Connection, threading.Lock]:
    """One connection per database and process, kept open: closing the last connection
    checkpoints the write-ahead log, which would cost every run a disk flush."""
    with _shared_lock:
        found = _shared.get(path)
        if found is None or not os.path.exists(path):
            connection = sqlite3.connect(
                path, timeout=30, isolation_level=None, check_same_thread=False
            )
            connection.execute("PRAGMA busy_timeout = 30000")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            _create_schema(connection)
            found = _shared[path] = (connection, threading.Lock())
            if len(_shared) == 1:
                atexit.register(_close_all)
        return found


def _create_schema(connection: sqlite3.Connection) -> None:
    connection.executescript(_SCHEMA)
    columns = {row[1] for row in connection.execute("PRAGMA table_info(task_batches)")}
    if "times" not in columns:  # a database from before integer times
        try:
            connection.execute("ALTER TABLE task_batches ADD COLUMN times TEXT")
        except sqlite3.OperationalError:
            pass  # another process added it first
    found = connection.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'view' AND name = 'task_runs'"
    ).fetchone()
    try:
        if found is not None and found[0] != _VIEW.replace(" IF NOT EXISTS", ""):
            connection.execute("DROP VIEW IF EXISTS task_runs")
        connection.execute(_VIEW)
    except sqlite3.Error:
        pass  # an SQLite without JSON functions: `glacier runs` reads the batches itself


def _close_all() -> None:
    with _shared_lock:
        for connection, _ in _shared.values():
            try:
                connection.close()
            except sqlite3.Error:
                continue
        _shared.clear()


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
        _create_schema(connection)
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
        _create_schema(connection)
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
        found: dict[str, tuple[Any, ...]] = {}
        for row in connection.execute(  # runs recorded before task rows came in batches
            "SELECT position, task_id, name, status, started, duration, attempts, error,"
            " traceback, output_uri, cache_key, log FROM tasks WHERE run_id = ?",
            (run.run_id,),
        ):
            found[row[1]] = tuple(row)
        for batch, times in connection.execute(
            "SELECT rows, times FROM task_batches WHERE run_id = ? ORDER BY batch",
            (run.run_id,),
        ):
            for row in json.loads(batch):
                if times == _TIMES:
                    started, duration = row[4], row[5]
                    row[4] = None if started is None else started / 1e6
                    row[5] = None if duration is None else duration / 1e9
                found[row[1]] = tuple(row)  # a later row of a task replaces an earlier one
        tasks = [TaskRecord(*row[1:]) for row in sorted(found.values(), key=lambda r: r[0])]
    return run, tasks

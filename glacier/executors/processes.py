"""Worker processes for ``LocalExecutor(processes=True)``.

Each scheduling thread owns one worker process (``python -m glacier.executors.worker``)
and sends it one task call at a time over a pipe: the function and its inputs pickled
with cloudpickle, the value or the exception, with the task's printed lines, pickled
back. A worker never imports the user's ``__main__`` (cloudpickle sends functions
defined there by value) and imports other user modules under `importing_user_code`, so
their top-level ``pipeline.run()`` is skipped.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from typing import IO, Any

from glacier.run.session import TaskPlan

_HEADER = struct.Struct("!Q")


def _cloudpickle() -> Any:
    import cloudpickle  # type: ignore[import-untyped]

    return cloudpickle


def unsendable_tasks(plans: Sequence[TaskPlan]) -> list[str]:
    """A message for each task that cannot be sent to a worker process (all at once)."""
    pickler = _cloudpickle()
    problems: list[str] = []
    for plan in plans:
        try:
            pickler.dumps(plan.fn)
        except Exception as error:  # noqa: BLE001 - user code and libraries raise anything
            problems.append(
                f"task `{plan.name}` ({plan.id}) cannot be sent to a worker process: "
                f"{type(error).__name__}: {error}. Make what it uses picklable (module-level "
                "functions, no open files, locks or connections), or run it with threads "
                "(LocalExecutor(processes=False))"
            )
    return problems


def write_message(stream: IO[bytes], payload: bytes) -> None:
    stream.write(_HEADER.pack(len(payload)))
    stream.write(payload)
    stream.flush()


def read_message(stream: IO[bytes]) -> bytes | None:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    return data if len(data) == size else None


class WorkerDied(RuntimeError):
    """The worker process ended while running a task."""


class _Worker:
    def __init__(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "glacier.executors.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.to_worker = self.process.stdin
        self.from_worker = self.process.stdout
        pickler = _cloudpickle()
        write_message(self.to_worker, pickler.dumps(("path", list(sys.path))))

    def call(self, fn: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        pickler = _cloudpickle()
        try:
            payload = pickler.dumps(("call", fn, kwargs))
        except Exception as error:  # noqa: BLE001 - user code and libraries raise anything
            raise TypeError(
                f"the inputs of this task cannot be sent to a worker process "
                f"({type(error).__name__}: {error}); run it with threads"
            ) from None
        try:
            write_message(self.to_worker, payload)
            reply = read_message(self.from_worker)
        except (BrokenPipeError, OSError):
            reply = None
        if reply is None:
            code = self.process.poll()
            raise WorkerDied(f"the worker process ended while running the task (exit code {code})")
        kind, value, lines, remote_traceback = pickler.loads(reply)
        if lines:
            sys.stdout.write(lines)
        if kind == "error":
            if isinstance(value, BaseException):
                value.__glacier_traceback__ = remote_traceback  # type: ignore[attr-defined]
                raise value
            raise RuntimeError(str(value))
        return value

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()

    def close(self) -> None:
        try:
            self.to_worker.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
        self.from_worker.close()


class ProcessCalls:
    """One worker process per scheduling thread, started on its first task."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self._workers: list[_Worker] = []

    def call(self, fn: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        worker: _Worker | None = getattr(self._local, "worker", None)
        if worker is None or worker.process.poll() is not None:
            worker = _Worker()
            self._local.worker = worker
            with self._lock:
                self._workers.append(worker)
        return worker.call(fn, kwargs)

    def cancel(self) -> None:
        """Stop every worker now (Ctrl-C): running tasks are cancelled."""
        with self._lock:
            for worker in self._workers:
                worker.kill()

    def close(self) -> None:
        with self._lock:
            workers, self._workers = self._workers, []
        for worker in workers:
            worker.close()

"""Capture each task's printed and logged lines while a run is active.

While a run is active, ``sys.stdout``/``sys.stderr`` are wrapped so that what a task
prints still reaches the terminal and is also kept for that task's run record; a handler
on the root logger does the same for log records. Which task is current is per thread.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

_current = threading.local()
_lock = threading.Lock()
_active = 0
_saved: tuple[TextIO, TextIO] | None = None
_handler: logging.Handler | None = None


class _Tee:
    """A text stream that also keeps what the current thread's task writes."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        lines: list[str] | None = getattr(_current, "lines", None)
        if lines is not None and text:
            lines.append(text)
        return self._stream.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _TaskLogHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        lines: list[str] | None = getattr(_current, "lines", None)
        if lines is not None:
            try:
                lines.append(f"{record.levelname} {record.name}: {record.getMessage()}\n")
            except Exception:  # noqa: BLE001 - a bad format string must not fail the task
                lines.append(f"{record.levelname} {record.name}: {record.msg!r}\n")


@contextmanager
def capturing() -> Iterator[None]:
    """Install the capture for the duration of a run (nested and concurrent runs share it)."""
    global _active, _saved, _handler
    with _lock:
        _active += 1
        if _active == 1:
            _saved = (sys.stdout, sys.stderr)
            sys.stdout = _Tee(sys.stdout)
            sys.stderr = _Tee(sys.stderr)
            _handler = _TaskLogHandler()
            logging.getLogger().addHandler(_handler)
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                if _saved is not None:
                    if isinstance(sys.stdout, _Tee):
                        sys.stdout = _saved[0]
                    if isinstance(sys.stderr, _Tee):
                        sys.stderr = _saved[1]
                if _handler is not None:
                    logging.getLogger().removeHandler(_handler)
                _saved = _handler = None


def start_task() -> list[str]:
    """Start keeping this thread's lines for a task; returns the list they go to."""
    lines: list[str] = []
    _current.lines = lines
    return lines


def stop_task() -> None:
    _current.lines = None


def original_stderr() -> TextIO:
    """The real standard error, for displays that must not be captured."""
    saved = _saved
    if saved is not None:
        return saved[1]
    stream = sys.stderr
    return stream._stream if isinstance(stream, _Tee) else stream


def as_lines(chunks: list[str]) -> tuple[str, ...]:
    """Written chunks joined and split into lines."""
    if not chunks:
        return ()
    return tuple("".join(chunks).splitlines())

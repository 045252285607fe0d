"""The progress display: a listener on the run's events.

On a terminal, a live `rich` display (done/total, running tasks, elapsed time); otherwise
one plain line per finished task, so logs and CI output stay readable.
"""

from __future__ import annotations

import threading
import time
from typing import Any, TextIO

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


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, seconds = divmod(seconds, 60)
    return f"{int(minutes)} min {seconds:.0f} s"


class PlainProgress:
    """One line per finished task, and a summary at the end."""

    event_kinds = EVENT_KINDS - {TaskStarted}

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.total = 0
        self.done = 0
        self.lock = threading.Lock()

    def __call__(self, event: RunEvent) -> None:
        kind = type(event)
        if kind is TaskStarted:
            return
        e: Any = event
        with self.lock:
            if kind is RunStarted:
                self.total = len(e.tasks)
                self.write(
                    f"run {e.run_id} of pipeline `{e.pipeline}`: {self.total} tasks ({e.executor})"
                )
                return
            if kind is TaskSucceeded:
                self.done += 1
                self.write(
                    f"[{self.done}/{self.total}] {e.task} succeeded in {_duration(e.duration)}"
                )
            elif kind is TaskCached:
                self.done += 1
                self.write(f"[{self.done}/{self.total}] {e.task} cached")
            elif kind is TaskFailed:
                self.done += 1
                attempts = f" after {e.attempts} attempts" if e.attempts > 1 else ""
                self.write(
                    f"[{self.done}/{self.total}] {e.task} FAILED{attempts}: "
                    f"{type(e.error).__name__}: {e.error}"
                )
            elif kind is TaskSkipped:
                self.done += 1
                why = (
                    f"`{e.because_of.rsplit('.', 1)[-1]}` failed" if e.because_of else "interrupted"
                )
                self.write(f"[{self.done}/{self.total}] {e.task} skipped ({why})")
            elif kind is TaskRetried:
                error = f"{type(e.error).__name__}: {e.error}"
                self.write(f"{e.task}: attempt {e.attempt} failed ({error}); retrying")
            elif kind is RunFinished:
                counts = ", ".join(f"{n} {status}" for status, n in e.counts.items() if n)
                self.write(f"run {e.run_id} {e.status} in {_duration(e.duration)}: {counts}")

    def write(self, line: str) -> None:
        self.stream.write(f"glacier: {line}\n")
        self.stream.flush()

    def close(self) -> None:
        return


class RichProgress:
    """A live display: a bar of done/total, the running tasks, elapsed time."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console

        self.console = Console(file=stream)
        self.total = 0
        self.done = 0
        self.failed = 0
        self.cached = 0
        self.running: dict[str, float] = {}
        self.started = time.monotonic()
        self.label = ""
        self.live: Any = None
        self.lock = threading.Lock()

    def __call__(self, event: RunEvent) -> None:
        kind = type(event)
        e: Any = event
        with self.lock:
            if kind is TaskStarted:
                self.running[e.task] = time.monotonic()
            elif kind in (TaskSucceeded, TaskCached, TaskFailed, TaskSkipped):
                self.done += 1
                self.running.pop(e.task, None)
                if kind is TaskFailed:
                    self.failed += 1
                    self.console.print(
                        f"[red]✗ {e.task}[/red]: {type(e.error).__name__}: {e.error}",
                        markup=True,
                        highlight=False,
                    )
                elif kind is TaskCached:
                    self.cached += 1
            elif kind is RunStarted:
                self.total = len(e.tasks)
                self.label = f"{e.pipeline} · {e.executor}"
                self.started = time.monotonic()
                from rich.live import Live

                self.live = Live(self, console=self.console, refresh_per_second=8, transient=False)
                self.live.start()
            elif kind is RunFinished:
                self.close()
                counts = ", ".join(f"{n} {status}" for status, n in e.counts.items() if n)
                colour = "green" if e.status == "succeeded" else "red"
                status = f"[{colour}]{e.status}[/{colour}]"
                self.console.print(
                    f"{status} run {e.run_id} in {_duration(e.duration)}: {counts}", highlight=False
                )

    def __rich__(self) -> Any:
        from rich.console import Group
        from rich.progress_bar import ProgressBar
        from rich.table import Table
        from rich.text import Text

        now = time.monotonic()
        head = Table.grid(padding=(0, 1))
        head.add_row(
            ProgressBar(total=max(self.total, 1), completed=self.done, width=30),
            Text(f"{self.done}/{self.total} tasks"),
            Text(f"{now - self.started:.1f} s", style="dim"),
            Text(self.label, style="dim"),
        )
        lines: list[Any] = [head]
        running = sorted(self.running.items(), key=lambda item: item[1])
        for name, since in running[:6]:
            lines.append(Text(f"  ▶ {name} ({now - since:.1f} s)", style="cyan"))
        if len(running) > 6:
            lines.append(Text(f"  … and {len(running) - 6} more running", style="dim"))
        return Group(*lines)

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None


def make_progress(progress: bool | None, stream: TextIO) -> PlainProgress | RichProgress | None:
    """``False``: none; ``None``: rich on a terminal, plain lines otherwise; ``True``: the same."""
    if progress is False:
        return None
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty():
        return RichProgress(stream)
    return PlainProgress(stream)

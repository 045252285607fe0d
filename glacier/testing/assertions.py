"""Assertions on a `RunResult` whose failure messages say what happened in the run."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from glacier.run.result import RunResult, TaskRun

__tracebackhide__ = True


def assert_succeeded(result: RunResult) -> None:
    """Every task succeeded or was cached; else each failed task with its traceback."""
    __tracebackhide__ = True
    if result.succeeded:
        return
    raise AssertionError(describe_run(result))


def assert_failed(
    result: RunResult,
    task: object,
    error: type[BaseException] | None = None,
    match: str | None = None,
) -> BaseException:
    """``task`` (name, id or `Task`) failed, with an ``error`` instance whose message
    matches the ``match`` regular expression; returns the exception."""
    __tracebackhide__ = True
    run = _task(result, task)
    if run.status != "failed" or run.error is None:
        raise AssertionError(
            f"task `{run.name}` {run.status}, expected it to fail\n\n" + describe_run(result)
        )
    if error is not None and not isinstance(run.error, error):
        raise AssertionError(
            f"task `{run.name}` failed with {type(run.error).__name__}: {run.error}; "
            f"expected {error.__name__}"
        )
    if match is not None and not re.search(match, str(run.error)):
        raise AssertionError(
            f"task `{run.name}` failed with {type(run.error).__name__}: {run.error}\n"
            f"which does not match {match!r}"
        )
    return run.error


def assert_statuses(result: RunResult, expected: Mapping[Any, str]) -> None:
    """Each named task (name, id or `Task`) ended with the given status."""
    __tracebackhide__ = True
    wrong = []
    for task, status in expected.items():
        run = _task(result, task)
        if run.status != status:
            wrong.append(f"  {run.name}: expected {status}, got {run.status}{_why(run)}")
    if wrong:
        raise AssertionError(
            "task statuses differ:\n" + "\n".join(wrong) + "\n\n" + describe_run(result)
        )


def assert_outputs(result: RunResult, expected: Mapping[Any, Any]) -> None:
    """Each named dataset (name or `Dataset`) has the expected value; frames are
    compared with pandas' or polars' own equality."""
    __tracebackhide__ = True
    wrong = []
    for key, want in expected.items():
        name = key if isinstance(key, str) else getattr(key, "name", repr(key))
        if name not in result.outputs:
            wrong.append(
                f"  {name}: not an output of this run (outputs: {', '.join(result.outputs)})"
            )
            continue
        got = result.outputs[name]
        problem = _difference(got, want)
        if problem is not None:
            wrong.append(f"  {name}: {problem}")
    if wrong:
        raise AssertionError("outputs differ:\n" + "\n".join(wrong))


def describe_run(result: RunResult) -> str:
    """A readable account of a run: its summary, then each task that did not succeed."""
    from glacier.run.session import user_traceback

    lines = [f"run {result.run_id} of pipeline {result.pipeline}: {result.summary()}"]
    for run in result.tasks.all():
        if run.status in ("succeeded", "cached"):
            continue
        lines.append(f"  {run.name}: {run.status}{_why(run)}")
        if run.status == "failed" and run.error is not None:
            remote = getattr(run.error, "__glacier_traceback__", None)
            text = remote or user_traceback(run.error)
            lines.extend("      " + line for line in text.rstrip().splitlines())
        lines.extend(f"      | {line}" for line in run.log)
    return "\n".join(lines)


def _why(run: TaskRun) -> str:
    if run.status == "failed" and run.error is not None:
        return f": {type(run.error).__name__}: {run.error}"
    if run.status == "skipped":
        return f" ({run.skipped_because} failed)" if run.skipped_because else " (interrupted)"
    return ""


def _task(result: RunResult, task: object) -> TaskRun:
    __tracebackhide__ = True
    try:
        return result.tasks[task]
    except KeyError:
        names = ", ".join(result.tasks)
        shown = task if isinstance(task, str) else getattr(task, "name", repr(task))
        raise AssertionError(f"no task `{shown}` in this run; its tasks: {names}") from None


def _difference(got: Any, want: Any) -> str | None:
    module = type(want).__module__.partition(".")[0]
    if module == "pandas" and hasattr(want, "equals"):
        import pandas.testing  # type: ignore[import-untyped, unused-ignore]

        try:
            if type(want).__name__ == "DataFrame":
                pandas.testing.assert_frame_equal(got, want)
            else:
                pandas.testing.assert_series_equal(got, want)
        except AssertionError as error:
            return str(error).strip()
        return None
    if module == "polars" and hasattr(want, "equals"):
        import polars.testing  # type: ignore[import-untyped, unused-ignore]

        try:
            if type(want).__name__ == "DataFrame":
                polars.testing.assert_frame_equal(got, want)
            else:
                polars.testing.assert_series_equal(got, want)
        except AssertionError as error:
            return str(error).strip()
        return None
    if module == "pyarrow" and hasattr(want, "equals"):
        return None if want.equals(got) else f"expected\n{want}\n  got\n{got}"
    if got == want:
        return None
    return f"expected {want!r}, got {got!r}"


__all__ = [
    "assert_failed",
    "assert_outputs",
    "assert_statuses",
    "assert_succeeded",
    "describe_run",
]

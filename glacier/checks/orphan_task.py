"""Report tasks that no pipeline lists.

## What it does
When the project builds at least one `Pipeline`, checks that every `@task` is in
the task list of one of them. The diagnostic is at the task's `def` line. A
project without pipelines (a library of tasks) is not checked.

## Why is this bad?
A task outside every pipeline never runs; usually it was forgotten in the list.

## Example
```python
from glacier import Dataset, Pipeline, task

raw = Dataset("raw")
clean = Dataset("clean")


@task
def extract() -> raw: ...


@task
def transform(data: raw) -> clean: ...


pipeline = Pipeline([extract])
```

Use instead:
```python
from glacier import Dataset, Pipeline, task

raw = Dataset("raw")
clean = Dataset("clean")


@task
def extract() -> raw: ...


@task
def transform(data: raw) -> clean: ...


pipeline = Pipeline([extract, transform])
```
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence, Set

from glacier.checks._finding import Finding
from glacier.model import Span
from glacier.rules import ORPHAN_TASK as RULE

__all__ = ["RULE", "check"]


def check(
    tasks: Sequence[tuple[str, str, Span]], listed: Set[str], *, has_pipeline: bool
) -> Iterator[Finding]:
    """Each task (id, name, span) that no pipeline lists, when a pipeline exists."""
    if not has_pipeline:
        return
    for task_id, name, span in tasks:
        if task_id not in listed:
            yield Finding.of(RULE, span, task=name, data={"task_id": task_id})

"""Report annotations and task-list names that are defined nowhere.

## What it does
Resolves each annotation of a task and each element of a pipeline's task list as
Python would, across modules and imports. A name bound nowhere is reported with
the closest name in scope ("did you mean …?"). A string or deferred annotation
may name something defined later in the module; it must be bound by the time the
`Pipeline(...)` that uses the task is built.

## Why is this bad?
Python raises `NameError` when the module is imported (or when the pipeline is
built, for deferred annotations).

## Example
```python
from glacier import Dataset, Pipeline, task

raw = Dataset("raw")


@task
def extract() -> raw: ...


@task
def transform(data: rwa) -> None: ...


pipeline = Pipeline([extract, transform])
```

Use instead:
```python
from glacier import Dataset, Pipeline, task

raw = Dataset("raw")


@task
def extract() -> raw: ...


@task
def transform(data: raw) -> None: ...


pipeline = Pipeline([extract, transform])
```
"""

from glacier.rules import UNKNOWN_NAME as RULE

__all__ = ["RULE"]

"""Report pipeline task-list elements that are not `@task` functions.

## What it does
Checks each element of the list given to `Pipeline(...)`: it must be a function
decorated with `@task`. A `Dataset`, a plain function or any other value is
reported at the element.

## Why is this bad?
Only tasks declare what they consume and produce; anything else cannot be wired
into the DAG, and `pipeline.validate()` rejects it.

## Example
```python
from glacier import Dataset, Pipeline, task

raw = Dataset("raw")


@task
def extract() -> raw: ...


def report(data): ...


pipeline = Pipeline([extract, report])
```

Use instead:
```python
from glacier import Dataset, Pipeline, task

raw = Dataset("raw")


@task
def extract() -> raw: ...


@task
def report(data: raw) -> None: ...


pipeline = Pipeline([extract, report])
```
"""

from glacier.rules import NOT_A_TASK as RULE

__all__ = ["RULE"]

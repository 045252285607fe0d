"""Report task parameters and return annotations that are not datasets.

## What it does
Checks that every parameter of a `@task` without a default value, and its return
annotation, names a `Dataset` (or a task, which stands for the dataset it
produces). A parameter with a default value is configuration and may have any
annotation; `-> None` declares a task without output.

## Why is this bad?
Glacier infers the DAG from these annotations. At run time `@task` raises
`TaskDefinitionError` for such a function, so the module cannot even be imported.

## Example
```python
from glacier import Dataset, Pipeline, task

raw = Dataset("raw")


@task
def extract() -> raw: ...


@task
def count(data: raw, limit: int) -> int: ...


pipeline = Pipeline([extract, count])
```

Use instead:
```python
from glacier import Dataset, Pipeline, task

raw = Dataset("raw")
counts = Dataset("counts")


@task
def extract() -> raw: ...


@task
def count(data: raw, limit: int = 10) -> counts: ...


pipeline = Pipeline([extract, count])
```
"""

from glacier.rules import NOT_A_DATASET as RULE

__all__ = ["RULE"]

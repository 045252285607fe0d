"""Report tasks whose name rebinds a dataset variable.

## What it does
Reports a `@task` function that has the same name as a dataset variable declared
before it, at the task's `def` line. Annotations are resolved in source order, as
Python evaluates them: the task's own return annotation still means the dataset,
but every later annotation with that name means the task, which stands for the
dataset it produces.

## Why is this bad?
The wiring is right only as long as the task keeps producing that dataset; the
same name meaning two things makes the code hard to read and easy to break.

## Example
```python
from glacier import Dataset, Pipeline, task

raw = Dataset("raw")
clean = Dataset("clean")


@task
def extract() -> raw: ...


@task
def clean(data: raw) -> clean: ...


pipeline = Pipeline([extract, clean])
```

Use instead:
```python
from glacier import Dataset, Pipeline, task

raw = Dataset("raw")
clean = Dataset("clean")


@task
def extract() -> raw: ...


@task
def clean_data(data: raw) -> clean: ...


pipeline = Pipeline([extract, clean_data])
```
"""

from glacier.rules import SHADOWED_DATASET as RULE

__all__ = ["RULE"]

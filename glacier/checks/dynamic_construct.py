"""Report what the analyzer cannot resolve without running code.

## What it does
Glacier never imports or executes your code. When a dataset name, a task list,
an annotation or a compute argument is computed at run time, the analyzer says
what it skipped instead of guessing. A pipeline whose task list is skipped is not
checked for missing producers, and no task is reported as orphan.

## Why is this bad?
It is not wrong, but the checks (and the editor's graph) cannot see through it.
Prefer literal lists of tasks and literal dataset names.

## Example
```python
from glacier import Dataset, Pipeline, task

raw = Dataset("raw")


@task
def extract() -> raw: ...


def discover():
    return [extract]


pipeline = Pipeline(discover())
```

Use instead:
```python
from glacier import Dataset, Pipeline, task

raw = Dataset("raw")


@task
def extract() -> raw: ...


pipeline = Pipeline([extract])
```
"""

from glacier.rules import DYNAMIC_CONSTRUCT as RULE

__all__ = ["RULE"]

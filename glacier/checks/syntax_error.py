"""Report files that cannot be parsed.

## What it does
Reports a file that Python cannot parse (or decode), at the position of the error.

## Why is this bad?
A file that does not parse cannot be imported, so none of its datasets, tasks or
pipelines exist. Glacier still checks every other file; the tasks of a file that
had parsed before keep their last known shape in the editor until it parses again.

## Example
```python
from glacier import Dataset, Pipeline, task

raw = Dataset("raw")


@task
def extract( -> raw:
    return [1, 2, 3]
```

Use instead:
```python
from glacier import Dataset, Pipeline, task

raw = Dataset("raw")


@task
def extract() -> raw:
    return [1, 2, 3]


pipeline = Pipeline([extract])
```
"""

from glacier.rules import SYNTAX_ERROR as RULE

__all__ = ["RULE"]

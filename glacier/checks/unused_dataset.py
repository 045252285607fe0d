"""Report datasets that no task produces or consumes.

## What it does
Checks that every declared dataset name is used by at least one task, as a
parameter or as the return annotation. The diagnostic is at the `Dataset(`
declaration.

## Why is this bad?
An unused declaration is usually a leftover or a typo: the task that should use
it probably names another dataset.

## Example
```python
from glacier import Dataset, Pipeline, task

raw = Dataset("raw")
legacy = Dataset("legacy")


@task
def extract() -> raw: ...


pipeline = Pipeline([extract])
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

from __future__ import annotations

from collections.abc import Iterator, Sequence, Set

from glacier.checks._finding import Finding
from glacier.model import Span
from glacier.rules import UNUSED_DATASET as RULE

__all__ = ["RULE", "check"]


def check(declarations: Sequence[tuple[str, Span]], used: Set[str]) -> Iterator[Finding]:
    """Each declaration whose name no task consumes or produces."""
    for name, span in declarations:
        if name not in used:
            yield Finding.of(RULE, span, dataset=name)

"""Report two `Dataset` declarations with the same name string.

## What it does
Checks that each dataset name is declared once in the project. The later
declaration is reported; the earlier one is a related location.

## Why is this bad?
A dataset is identified by its name: two declarations are the same data, but each
may carry different storage or schema, and only one of them can be right.

## Example
```python
from glacier import Dataset, Pipeline, task

raw = Dataset("raw")
raw_copy = Dataset("raw")


@task
def extract() -> raw: ...


@task
def load(data: raw_copy) -> None: ...


pipeline = Pipeline([extract, load])
```

Use instead:
```python
from glacier import Dataset, Pipeline, task

raw = Dataset("raw")


@task
def extract() -> raw: ...


@task
def load(data: raw) -> None: ...


pipeline = Pipeline([extract, load])
```
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from glacier.checks._finding import Finding
from glacier.diagnostics import Related
from glacier.model import Span, display_path
from glacier.rules import DUPLICATE_DATASET_NAME as RULE

__all__ = ["RULE", "check"]


def check(declarations: Sequence[tuple[str, Span]]) -> Iterator[Finding]:
    """Every declaration of a name after its first one, in declaration order."""
    first: dict[str, Span] = {}
    for name, span in declarations:
        earlier = first.setdefault(name, span)
        if earlier is span:
            continue
        where = f" at {display_path(earlier.filename, Path.cwd())}:{earlier.line}"
        yield Finding.of(
            RULE,
            span,
            related=(Related(earlier, f"`{name}` is first declared here"),),
            dataset=name,
            previous=where,
        )

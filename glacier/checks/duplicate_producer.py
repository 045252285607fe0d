"""Report datasets that more than one task of a pipeline produces.

## What it does
Checks that each dataset has at most one producer among a pipeline's tasks. The
diagnostic is at the `Pipeline(` call; the producers are related locations.

## Why is this bad?
Two writers of one dataset race: which version a consumer reads depends on the
execution order, and one of the two results is silently lost.

## Example
```python
from glacier import Dataset, Pipeline, task

raw = Dataset("raw")


@task
def from_api() -> raw: ...


@task
def from_db() -> raw: ...


pipeline = Pipeline([from_api, from_db])
```

Use instead:
```python
from glacier import Dataset, Pipeline, task

raw_api = Dataset("raw_api")
raw_db = Dataset("raw_db")


@task
def from_api() -> raw_api: ...


@task
def from_db() -> raw_db: ...


pipeline = Pipeline([from_api, from_db])
```
"""

from __future__ import annotations

from collections.abc import Iterator

from glacier.checks._context import PipelineContext
from glacier.checks._finding import Finding
from glacier.graph import DuplicateProducer
from glacier.rules import DUPLICATE_PRODUCER as RULE

__all__ = ["RULE", "check"]


def check(context: PipelineContext) -> Iterator[Finding]:
    """One finding per dataset with several producers of the pipeline's graph."""
    yield from context.graph_findings(DuplicateProducer)

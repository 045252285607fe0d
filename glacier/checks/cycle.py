"""Report pipelines whose tasks depend on each other in a loop.

## What it does
Finds tasks that consume, directly or through other tasks, the dataset they
produce. The diagnostic is at the `Pipeline(` call; each task of the loop is a
related location.

## Why is this bad?
A loop has no execution order: `pipeline.get_execution_order()` raises
`CycleError` and no task of the loop can ever run.

## Example
```python
from glacier import Dataset, Pipeline, task

a = Dataset("a")
b = Dataset("b")


@task
def forward(data: a) -> b: ...


@task
def backward(data: b) -> a: ...


pipeline = Pipeline([forward, backward])
```

Use instead:
```python
from glacier import Dataset, Pipeline, task

a = Dataset("a")
b = Dataset("b")


@task
def extract() -> a: ...


@task
def forward(data: a) -> b: ...


pipeline = Pipeline([extract, forward])
```
"""

from __future__ import annotations

from collections.abc import Iterator

from glacier.checks._context import PipelineContext
from glacier.checks._finding import Finding
from glacier.graph import Cycle
from glacier.rules import CYCLE as RULE

__all__ = ["RULE", "check"]


def check(context: PipelineContext) -> Iterator[Finding]:
    """One finding per loop of the pipeline's graph."""
    yield from context.graph_findings(Cycle)

"""Report datasets that a pipeline consumes but nothing produces.

## What it does
Checks that every dataset consumed by a pipeline's tasks is produced by one of
those tasks, or declares `storage=` so that it can be read as an external input.
The diagnostic is at the `Pipeline(` call; the consumers are related locations.

## Why is this bad?
The consuming tasks could never receive their input: the pipeline would fail when
it reaches them, possibly hours into a run.

## Example
```python
from glacier import Dataset, Pipeline, task

raw = Dataset("raw")
clean = Dataset("clean")


@task
def transform(data: raw) -> clean: ...


pipeline = Pipeline([transform])
```

Use instead:
```python
from glacier import Dataset, Pipeline, task
from glacier.storage import S3

raw = Dataset("raw", storage=S3(bucket="lake", prefix="raw/"))
clean = Dataset("clean")


@task
def transform(data: raw) -> clean: ...


pipeline = Pipeline([transform])
```
"""

from __future__ import annotations

from collections.abc import Iterator

from glacier.checks._context import PipelineContext
from glacier.checks._finding import Finding
from glacier.graph import MissingProducer
from glacier.rules import MISSING_PRODUCER as RULE

__all__ = ["RULE", "check"]


def check(context: PipelineContext) -> Iterator[Finding]:
    """One finding per dataset without producer of the pipeline's graph."""
    yield from context.graph_findings(MissingProducer)

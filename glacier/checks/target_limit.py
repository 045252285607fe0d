"""Report what the project's deployment target cannot run or reach.

## What it does
With a target declared in `pyproject.toml` (`[tool.glacier] target = "aws"`), checks
each task's `compute` against that target's limits and each dataset's storage against
what the target can reach: on AWS, a serverless task gets 128 to 10,240 MB and at most
900 seconds (AWS Lambda), a container must fit an AWS Fargate size (at most 16 vCPU and
120 GB), and datasets must live in S3; on Kubernetes (`target = "kubernetes"`), a container
requests at least 1 millicore of CPU and names a pullable image, and no dataset lives on a
local path. The limits are the ones `glacier compile` enforces;
the diagnostic is at the task's `def` line or the dataset's declaration. Without a
target, nothing is reported.

## Why is this bad?
`glacier compile` and `pipeline.compile()` refuse a pipeline the target cannot deploy, so
the mistake would otherwise surface only when infrastructure is generated, after the
code was written and reviewed.

## Example
With `target = "aws"` under `[tool.glacier]` in `pyproject.toml`:
```python
from glacier import Dataset, Pipeline, compute, task

report = Dataset("report")


@task(compute=compute.serverless(memory=99999))
def build_report() -> report: ...


pipeline = Pipeline([build_report])
```

Use instead:
```python
from glacier import Dataset, Pipeline, compute, task

report = Dataset("report")


@task(compute=compute.container(image="python:3.12", memory=99999))
def build_report() -> report: ...


pipeline = Pipeline([build_report])
```
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from glacier.checks._finding import Finding
from glacier.model import Span
from glacier.rules.registry import TARGET_LIMIT as RULE

__all__ = ["RULE", "check", "compute_problems"]


def compute_problems(target: str, compute: Mapping[str, Any]) -> list[str]:
    """What ``target`` says about a task with this compute (the target defines the limits)."""
    from glacier.targets import TARGETS

    kind = TARGETS.get(target)
    return kind.compute_problems(compute) if kind is not None else []


def check(
    target: str,
    tasks: Iterable[tuple[str, Span, Mapping[str, Any] | None]],
    datasets: Iterable[tuple[str, Span, Mapping[str, Any] | None]],
) -> Iterator[Finding]:
    """One finding per limit broken: ``tasks`` as (name, def span, compute), ``datasets``
    as (name, declaration span, storage)."""
    from glacier.compile.plan import DEFAULT_COMPUTE
    from glacier.targets import TARGETS

    kind = TARGETS.get(target)
    if kind is None:
        return
    label = {"aws": "AWS", "kubernetes": "Kubernetes"}.get(target, target)
    for name, span, compute in tasks:
        for detail in kind.compute_problems(compute or DEFAULT_COMPUTE):
            yield Finding.of(RULE, span, target=label, subject=f"task `{name}`", detail=detail)
    for name, span, storage in datasets:
        if storage is None:
            continue
        for detail in kind.storage_problems(storage):
            yield Finding.of(RULE, span, target=label, subject=f"dataset `{name}`", detail=detail)

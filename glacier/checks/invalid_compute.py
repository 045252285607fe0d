"""Report `compute.*()` declarations and `@task(...)` options that the runtime would reject.

## What it does
Validates the literal arguments of `compute.local()`, `compute.container()` and
`compute.serverless()` with the same function the runtime uses: unknown kinds,
unknown arguments (with a "did you mean" suggestion), wrong types and values that
must be positive. The diagnostic is at the bad argument, else at the call.

The other options of `@task(...)` are checked the same way: `retries` is a whole
number, 0 or more; `cache` is `True` or `False`; `cache_version` is a str or an int;
`secrets` is a list of secret names or ARNs.

## Why is this bad?
The runtime raises `ComputeError` (or `TaskOptionError`) when the module is imported,
so the pipeline never starts; a typo such as `cpus=` would otherwise only surface in
deployment.

## Example
```python
from glacier import Dataset, Pipeline, compute, task

raw = Dataset("raw")


@task(compute=compute.container(image="spark:latest", cpus=4))
def extract() -> raw: ...


pipeline = Pipeline([extract])
```

Use instead:
```python
from glacier import Dataset, Pipeline, compute, task

raw = Dataset("raw")


@task(compute=compute.container(image="spark:latest", cpu=4))
def extract() -> raw: ...


pipeline = Pipeline([extract])
```
"""

from glacier.rules import INVALID_COMPUTE as RULE

__all__ = ["RULE"]

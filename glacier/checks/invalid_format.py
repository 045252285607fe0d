"""Report a `Dataset(..., format=...)` whose value names no known storage format.

## What it does
Checks the literal `format=` of each `Dataset(...)` against Glacier's formats:
`parquet`, `json`, `jsonl`, `text`, `bytes` and `pickle`, with a "did you mean"
suggestion. `Dataset(...)` itself raises `ValueError` for an unknown format at run
time. A project that registers its own codec (`glacier.storage.register_codec`)
suppresses this rule on that declaration: `# glacier: ignore[GLC014]`.

## Why is this bad?
The module fails when it is imported, so nothing runs; a typo such as `"parquett"`
would otherwise surface only when the pipeline is deployed.

## Example
```python
from glacier import Dataset, Pipeline, task

scores = Dataset("scores", format="parquett")


@task
def score() -> scores: ...


pipeline = Pipeline([score])
```

Use instead:
```python
from glacier import Dataset, Pipeline, task

scores = Dataset("scores", format="parquet")


@task
def score() -> scores: ...


pipeline = Pipeline([score])
```
"""

from __future__ import annotations

from typing import Any

from glacier.rules import INVALID_FORMAT as RULE
from glacier.storage.formats import BUILTIN_FORMATS, suggest

__all__ = ["RULE", "format_problem"]


def format_problem(
    dataset: str, value: Any, known: tuple[str, ...] = BUILTIN_FORMATS
) -> str | None:
    """The rule's message when ``value`` is not a known format (``None`` is fine)."""
    if value is None or (isinstance(value, str) and value in known):
        return None
    hint = suggest(value, known) if isinstance(value, str) else ""
    return RULE.format(dataset=dataset, format=repr(value), suggestion=hint, known=", ".join(known))

"""Report a `Dataset(..., schema=...)` whose schema is a value, not a type or schema.

## What it does
Checks the `schema=` of each `Dataset(...)` for what the analyzer can see without
running anything: a string or number (`schema="User"`), a list or tuple display
(`schema=[User]`), or a Glacier object (a dataset, a task, a storage location, a compute
setting, a pipeline, a module). A class, `list[User]`, a pandera schema or model, a
`pyarrow.schema(...)` call or anything imported from another library is accepted: its
meaning is only known when the code runs.

In Glacier a task's return annotation *is* its dataset, so a task cannot "return
another type" than its dataset statically: what the returned value actually is, the
mypy plugin checks (the dataset's `schema=` is the type of its values, so a return
value of another type is mypy's `return-value` error), and the run checks the real data
against the schema (docs/schemas.md).

## Why is this bad?
`schema="User"` is not a forward reference: a `Dataset` keeps exactly the object it is
given, so mypy types the dataset's values as `str` and the run-time check fails every
task that produces it ("schema 'User' is not a type"). `schema=[User]` means nothing
either; `list[User]` or `User` (the type of one record) does.

## Example
```python
from dataclasses import dataclass

from glacier import Dataset, Pipeline, task


@dataclass
class User:
    name: str


users = Dataset("users", schema="User")


@task
def load() -> users: ...


pipeline = Pipeline([load])
```

Use instead:
```python
from dataclasses import dataclass

from glacier import Dataset, Pipeline, task


@dataclass
class User:
    name: str


users = Dataset("users", schema=User)


@task
def load() -> users: ...


pipeline = Pipeline([load])
```
"""

from __future__ import annotations

from glacier.rules import SCHEMA_MISMATCH as RULE

__all__ = ["RULE", "schema_problem"]


def schema_problem(dataset: str, what: str, text: str) -> str:
    """The rule's message for dataset ``dataset`` whose schema ``text`` is ``what``."""
    hint = ""
    stripped = text.strip()
    if stripped[:1] in "\"'" and stripped[1:-1].isidentifier():
        hint = f"; write the class itself: schema={stripped[1:-1]}"
    elif stripped.startswith("[") and stripped.endswith("]") and "," not in stripped:
        hint = f"; write list{stripped} for a list, or the record type alone"
    return RULE.format(dataset=dataset, what=what, hint=hint)

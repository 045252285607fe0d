"""Report a task whose `return` value cannot match its dataset's `schema=`.

## What it does
A task's return annotation names the dataset it produces, and `schema=` is the type of
that dataset's whole value (docs/schemas.md). This rule reads each `return` of a task
and reports one whose value is, by its syntax alone, of another kind than the schema
says: a list display or comprehension for `schema=Order` (one record), a dict for
`schema=list[Order]`, a string for `schema=int`, a bare `return` or `return None` for
any schema. Only what the syntax shows is judged (displays, comprehensions, literals,
nothing); a returned name or call is left to mypy and to the run. Schemas that describe
frames or come from other libraries (a pandera model, a `pyarrow.Schema`, an imported
class) are not judged either, except the built-in types and `list[...]`/`dict[...]`/
`set[...]`/`tuple[...]`.

mypy with the plugin reports the same returns as `[return-value]` errors (a dataset
annotation means its schema), and the editor shows this rule's finding.

## Why is this bad?
The run checks every output against its schema before it is committed, so such a task
always fails (`SchemaMismatch`), after doing all its work. The usual cause is declaring
one record where the task returns rows: `schema=Order` for a list of orders, which the
run reports as "the schema is the type of the whole value"; declare `schema=list[Order]`.

## Example
```python
from dataclasses import dataclass

from glacier import Dataset, Pipeline, task


@dataclass
class Order:
    id: int


orders = Dataset("orders", schema=Order)


@task
def load() -> orders:
    return [Order(1), Order(2)]


pipeline = Pipeline([load])
```

Use instead:
```python
from dataclasses import dataclass

from glacier import Dataset, Pipeline, task


@dataclass
class Order:
    id: int


orders = Dataset("orders", schema=list[Order])


@task
def load() -> orders:
    return [Order(1), Order(2)]


pipeline = Pipeline([load])
```
"""

from __future__ import annotations

import ast

from glacier.rules import RETURN_CONTRADICTS_SCHEMA as RULE

__all__ = ["RULE", "contradiction", "schema_shape"]

#: How a message names each kind of returned value.
_FOUND = {
    "list": "a list",
    "dict": "a dict",
    "set": "a set",
    "tuple": "a tuple",
    "str": "a string",
    "bytes": "bytes",
    "int": "an int",
    "float": "a float",
    "bool": "a bool",
    "None": "None",
}
#: The kinds each built-in schema accepts (an int is a float, a bool an int, as for mypy).
_ACCEPTS = {
    "list": {"list"},
    "dict": {"dict"},
    "set": {"set"},
    "tuple": {"tuple"},
    "str": {"str"},
    "bytes": {"bytes"},
    "int": {"int", "bool"},
    "float": {"float", "int", "bool"},
    "bool": {"bool"},
}
_GENERICS = {
    "list": "list",
    "List": "list",
    "dict": "dict",
    "Dict": "dict",
    "set": "set",
    "Set": "set",
    "tuple": "tuple",
    "Tuple": "tuple",
}


def schema_shape(schema: str, local_classes: set[str]) -> str | None:
    """What a schema's source text says the value is: a built-in kind, ``"record"`` (a
    class of this module), or ``None`` (no opinion)."""
    try:
        node = ast.parse(schema.strip(), mode="eval").body
    except SyntaxError:
        return None
    if isinstance(node, ast.Subscript):
        node = node.value
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            return _GENERICS.get(node.attr) if node.value.id == "typing" else None
        return _GENERICS.get(node.id) if isinstance(node, ast.Name) else None
    if isinstance(node, ast.Name):
        if node.id in _ACCEPTS:
            return node.id
        if node.id in local_classes:
            return "record"
    return None


def contradiction(shape: str, found: str, schema: str) -> str | None:
    """The hint for a returned ``found`` that ``shape`` cannot accept, else ``None``."""
    if shape == "record":
        if found not in ("list", "set", "tuple", "str", "bytes", "int", "float", "bool", "None"):
            return None  # a dict may be a TypedDict record
        if found == "list":
            return f"; the schema is the type of the whole value: declare schema=list[{schema}]"
        return ""
    if found in _ACCEPTS.get(shape, {found}):
        return None
    return ""


def describe(found: str) -> str:
    """How the message names a returned kind."""
    return _FOUND[found]

"""Report files that cannot be parsed.

## What it does
Reports a file that Python cannot parse (or decode), at the position of the error.

## Why is this bad?
A file that does not parse cannot be imported, so nothing in it can be checked. Glacier
still checks every other file, and treats what they take from the broken file as unknown
rather than absent: names imported from it are not reported as undefined, datasets and
tasks it mentions are not reported as unused or orphaned, and each pipeline that takes
something from it gets one GLC011 note saying which of its checks were skipped. In the
editor, the file's last version that parsed stands in until it parses again.

## Example
```python
from glacier import Dataset, Pipeline, task

raw = Dataset("raw")


@task
def extract( -> raw:
    return [1, 2, 3]
```

Use instead:
```python
from glacier import Dataset, Pipeline, task

raw = Dataset("raw")


@task
def extract() -> raw:
    return [1, 2, 3]


pipeline = Pipeline([extract])
```
"""

from glacier.rules import SYNTAX_ERROR as RULE

__all__ = ["RULE"]

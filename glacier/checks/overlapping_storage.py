"""Report two datasets of one pipeline whose storage folders are the same or nested.

## What it does
Compares the storage URIs (folders, always ending with `/`) of the datasets a
pipeline's tasks consume and produce. Two datasets that share a folder, or whose
folders lie one inside the other, are reported at the pipeline, with both
declarations as related locations. It is found statically by `glacier check` and by
the mypy plugin (`glacier-overlapping-storage`, for locations whose arguments are
literals), and at run time by `Pipeline.validate()`.

## Why is this bad?
Each dataset keeps its versions and its pointer to the current one in its own folder.
Two datasets in one folder overwrite each other's pointer; a dataset nested in
another's folder shows up as stray files when the outer one is read as external data,
and `glacier gc` of one would delete the other's data.

## Example
```python
from glacier import Dataset, Pipeline, task
from glacier.storage import S3

raw = Dataset("raw", storage=S3(bucket="lake", prefix="shop/"))
clean = Dataset("clean", storage=S3(bucket="lake", prefix="shop/clean/"))


@task
def tidy(data: raw) -> clean: ...


pipeline = Pipeline([tidy])
```

Use instead:
```python
from glacier import Dataset, Pipeline, task
from glacier.storage import S3

raw = Dataset("raw", storage=S3(bucket="lake", prefix="shop/raw/"))
clean = Dataset("clean", storage=S3(bucket="lake", prefix="shop/clean/"))


@task
def tidy(data: raw) -> clean: ...


pipeline = Pipeline([tidy])
```
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from glacier.rules import OVERLAPPING_STORAGE as RULE

__all__ = ["RULE", "Overlap", "find_overlaps"]


@dataclass(frozen=True)
class Overlap:
    """Two datasets whose folders collide; ``dataset`` is the outer (or first) one."""

    dataset: str
    other: str
    #: ``"share one storage folder"`` or ``"nest one folder inside the other"``.
    relation: str
    #: The shared folder, or ``outer ⊃ inner``.
    uri: str

    def message(self, pipeline: str) -> str:
        """The rule's message for a pipeline label such as ```shop```."""
        return RULE.format(
            dataset=self.dataset,
            other=self.other,
            pipeline=pipeline,
            relation=self.relation,
            uri=self.uri,
        )


def find_overlaps(datasets: Iterable[tuple[str, str]]) -> list[Overlap]:
    """Overlaps among ``(name, folder uri)`` pairs, in input order; one name counts once."""
    seen: dict[str, str] = {}
    for name, uri in datasets:
        seen.setdefault(name, uri if uri.endswith("/") else uri + "/")
    items = list(seen.items())
    found = []
    for index, (name, uri) in enumerate(items):
        for other, other_uri in items[index + 1 :]:
            if uri == other_uri:
                found.append(Overlap(name, other, "share one storage folder", uri))
            elif other_uri.startswith(uri):
                found.append(
                    Overlap(name, other, "nest one folder inside the other", f"{uri} ⊃ {other_uri}")
                )
            elif uri.startswith(other_uri):
                found.append(
                    Overlap(other, name, "nest one folder inside the other", f"{other_uri} ⊃ {uri}")
                )
    return found

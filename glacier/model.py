"""The project model: datasets, tasks and pipelines with their source locations.

The static analyzer produces it from source; the runtime can produce it from live
objects. Every outlet (CLI, graph renderer, language server, mypy plugin) only
translates it. `Project.to_dict` is the JSON shape of the spec (§3).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glacier.graph import Input, PipelineGraph


@dataclass(frozen=True, order=True)
class Span:
    """A source range, 1-based lines and columns (columns count characters)."""

    filename: str
    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class DatasetInfo:
    """One ``Dataset(...)`` declaration."""

    name: str
    #: The variable it is bound to, if any.
    variable: str | None
    module: str | None
    span: Span | None
    #: ``Storage.to_dict()`` shape, or ``None``.
    storage: Mapping[str, Any] | None
    #: The schema as written (static) or its qualified name (runtime).
    schema: str | None
    #: The storage format given with ``format=`` (``"parquet"`` ...), or ``None``: chosen
    #: from the value when it is written.
    format: str | None = None


@dataclass(frozen=True)
class TaskInfo:
    """One ``@task`` function."""

    id: str
    name: str
    module: str | None
    span: Span | None
    inputs: tuple[Input, ...]
    output: str | None
    #: ``Compute.to_dict()`` shape, or ``None`` when the task declares no compute.
    compute: Mapping[str, Any] | None
    #: ``@task(retries=...)``: further attempts after a failure.
    retries: int = 0
    #: ``@task(cache=False)`` never reuses an earlier result.
    cache: bool = True
    #: ``@task(cache_version=...)``: part of the cache key.
    cache_version: str | int | None = None
    #: ``@task(secrets=[...])``: names or ARNs of the secrets the task needs.
    secrets: tuple[str, ...] = ()


@dataclass(frozen=True)
class PipelineInfo:
    """One ``Pipeline(...)`` construction and its graph."""

    name: str | None
    variable: str | None
    span: Span | None
    graph: PipelineGraph

    @property
    def label(self) -> str:
        """How messages name the pipeline: its name, else its variable."""
        return f"`{self.name or self.variable or 'pipeline'}`"

    def to_dict(self) -> dict[str, Any]:
        """The runtime shape of the spec: name, variable and the graph."""
        return {"name": self.name, "variable": self.variable, **self.graph.to_dict()}


@dataclass(frozen=True)
class Project:
    """Everything Glacier knows about a set of files."""

    datasets: tuple[DatasetInfo, ...]
    tasks: tuple[TaskInfo, ...]
    pipelines: tuple[PipelineInfo, ...]

    def task(self, task_id: str) -> TaskInfo | None:
        """The task with this id, if known."""
        return next((task for task in self.tasks if task.id == task_id), None)

    def dataset(self, name: str) -> DatasetInfo | None:
        """The first declaration of the dataset with this name, if any."""
        return next((dataset for dataset in self.datasets if dataset.name == name), None)

    def to_dict(self, relative_to: Path | None = None) -> dict[str, Any]:
        """The spec's JSON shape; filenames relative to ``relative_to`` when below it."""

        def where(span: Span | None) -> dict[str, Any]:
            if span is None:
                return {"filename": None, "line": None}
            return {"filename": display_path(span.filename, relative_to), "line": span.line}

        return {
            "datasets": [
                {
                    "name": d.name,
                    "variable": d.variable,
                    "module": d.module,
                    **where(d.span),
                    "storage": dict(d.storage) if d.storage is not None else None,
                    "schema": d.schema,
                    "format": d.format,
                }
                for d in self.datasets
            ],
            "tasks": [
                {
                    "id": t.id,
                    "name": t.name,
                    "module": t.module,
                    **where(t.span),
                    "inputs": [{"parameter": i.parameter, "dataset": i.dataset} for i in t.inputs],
                    "output": t.output,
                    "compute": dict(t.compute) if t.compute is not None else None,
                    "retries": t.retries,
                    "cache": t.cache,
                    "cache_version": t.cache_version,
                    "secrets": list(t.secrets),
                }
                for t in self.tasks
            ],
            "pipelines": [
                {"name": p.name, "variable": p.variable, **where(p.span), **p.graph.to_dict()}
                for p in self.pipelines
            ],
        }


def display_path(filename: str, relative_to: Path | None) -> str:
    """``filename`` relative to ``relative_to`` when it lies below it, else unchanged."""
    if relative_to is None:
        return filename
    try:
        return Path(os.path.abspath(filename)).relative_to(relative_to.resolve()).as_posix()
    except ValueError:
        return filename

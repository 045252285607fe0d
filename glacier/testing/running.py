"""`run_task` and `run_pipeline`: runs for tests, through the same engine as real runs."""

from __future__ import annotations

import inspect
import os
import secrets
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from glacier.storage.locations import LocalPath, Storage, project_root

if TYPE_CHECKING:
    from glacier.executors.base import Executor
    from glacier.run.result import RunResult
    from glacier.runtime.dataset import Dataset
    from glacier.runtime.pipeline import Pipeline
    from glacier.runtime.task import Task


@dataclass(frozen=True)
class MemoryStorage(Storage):
    """A folder in this process's memory (fsspec ``memory://``); tests only."""

    folder: str
    kind: ClassVar[str] = "memory"

    @property
    def uri(self) -> str:
        return f"memory://{self.folder.strip('/')}/"

    def _fields(self) -> dict[str, Any]:
        return {"folder": self.folder}


def run_pipeline(
    pipeline: Pipeline,
    inputs: Mapping[Any, Any] | None = None,
    *,
    storage: str | os.PathLike[str] | None = "memory",
    params: Mapping[str, Any] | None = None,
    executor: Executor | None = None,
    keep: Iterable[Any] | str | None = "all",
    raise_on_error: bool = False,
) -> RunResult:
    """Run ``pipeline`` as a test: nothing touches the datasets' real storage.

    Args:
        pipeline: the pipeline to run.
        inputs: dataset (object or name) -> value. A value for an external input with
            storage is written to its (replaced) storage first, so the task reads it back
            through its codec and schema as a deployed run would.
        storage: ``"memory"`` (default): every dataset's storage is replaced by an
            in-memory folder private to this call; a folder path (e.g. the
            ``glacier_storage_root`` fixture): the same, on disk, one folder per dataset;
            ``None``: datasets keep their declared storage (e.g. the ``glacier_s3`` server).
        params: run parameters, as for ``pipeline.run``.
        executor: default ``LocalExecutor()``; the in-memory storage lives in this
            process, so use threads or ``LocalExecutor(processes=True)``, not a cluster.
        keep: datasets whose values the result holds; default every one.
        raise_on_error: raise `PipelineRunError` when a task fails (default: return the
            result, for `assert_succeeded` and friends).

    Every value handed from one task to the next is written through its codec and read
    back (to the in-memory folder for datasets without storage), so a value that could
    not be stored or would come back different fails here, not after deploying.
    """
    from glacier.run.runner import run_pipeline as run
    from glacier.storage import write_dataset

    token = secrets.token_hex(6)
    scratch = f"glacier-testing-{token}"
    with _relocated(pipeline, storage, scratch) as relocated:
        given: dict[Any, Any] = {}
        external = {dataset.name for dataset in pipeline.inputs}
        by_name = {dataset.name: dataset for dataset in pipeline.datasets}
        for key, value in (inputs or {}).items():
            name = key if isinstance(key, str) else getattr(key, "name", None)
            dataset = by_name.get(name) if isinstance(name, str) else None
            if dataset is not None and name in external and dataset.name in relocated:
                write_dataset(dataset, value, run_id=f"test-{token}", task_id="inputs")
            else:
                given[key] = value
        return run(
            pipeline,
            executor,
            inputs=given,
            params=params,
            keep=keep,
            raise_on_error=raise_on_error,
            progress=False,
            records=False,
            project_root=_project_of(pipeline),
            handoff_root=f"memory://{scratch}/handoff/",
        )


def run_task(
    task: Task[..., Any], inputs: Mapping[Any, Any] | None = None, /, **values: Any
) -> Any:
    """Run one task as a run would and return its output's value.

    Inputs are given by parameter name (``run_task(clean, users=[...])``) or as a
    mapping from `Dataset` (or dataset name) to value; other keyword arguments set task
    parameters that have defaults. The output is checked against its dataset's schema
    and passed through its codec, like `run_pipeline`. A task that fails raises its own
    exception (a schema mismatch raises `glacier.schemas.SchemaMismatch`).

    Raises:
        TypeError: ``task`` is not a task, or an input is missing or unknown.
    """
    from glacier.runtime.pipeline import Pipeline
    from glacier.runtime.task import Task

    if not isinstance(task, Task):
        raise TypeError(f"run_task() takes a @task function, got {type(task).__name__}")
    parameters = task.signature.inputs
    by_dataset = {dataset.name: parameter for parameter, dataset in parameters.items()}
    given: dict[str, Any] = {}
    for key, value in (inputs or {}).items():
        name = key if isinstance(key, str) else getattr(key, "name", None)
        if name not in by_dataset:
            raise TypeError(
                f"run_task({task.name}): {key!r} is not an input of this task; its inputs: "
                + ", ".join(f"{p} (dataset `{d.name}`)" for p, d in parameters.items())
            )
        given[by_dataset[name]] = value
    params: dict[str, Any] = {}
    for key, value in values.items():
        if key in parameters:
            given[key] = value
        else:
            params[key] = value
    missing = [p for p in parameters if p not in given]
    if missing:
        raise TypeError(
            f"run_task({task.name}): missing input "
            + ", ".join(f"`{p}` (dataset `{parameters[p].name}`)" for p in missing)
        )
    known = set(inspect.signature(task.fn).parameters)
    unknown = sorted(set(params) - known)
    if unknown:
        raise TypeError(f"run_task({task.name}): the task has no parameter `{unknown[0]}`")
    pipeline = Pipeline([task], name=f"run_task({task.name})")
    from glacier.executors.local import LocalExecutor

    result = run_pipeline(
        pipeline,
        {parameters[p]: value for p, value in given.items()},
        params=params,
        executor=LocalExecutor(workers=1),
    )
    run = result.tasks[task.id]
    if run.status == "failed":
        assert run.error is not None
        raise run.error
    output = task.signature.output
    return None if output is None else result.outputs.get(output.name)


def _project_of(pipeline: Pipeline) -> str:
    """The project of the pipeline's file, or of its first task's file (``run_task``)."""
    filename = getattr(pipeline, "_filename", "") or ""
    here = os.path.dirname(os.path.abspath(__file__))
    if filename and os.path.isfile(filename) and not filename.startswith(here):
        return project_root(os.path.dirname(os.path.abspath(filename)))
    for task in pipeline.tasks:
        source = task.fn.__code__.co_filename
        if os.path.isfile(source):
            return project_root(os.path.dirname(os.path.abspath(source)))
    return os.getcwd()


@contextmanager
def _relocated(
    pipeline: Pipeline, storage: str | os.PathLike[str] | None, scratch: str
) -> Iterator[set[str]]:
    """Datasets with storage moved to memory or a folder for the run; restored after."""
    moved: list[tuple[Dataset[Any], Storage | None]] = []
    try:
        if storage is not None:
            for dataset in pipeline.datasets:
                if dataset.storage is None:
                    continue
                folder = _safe(dataset.name)
                if storage == "memory":
                    new: Storage = MemoryStorage(f"{scratch}/datasets/{folder}")
                else:
                    new = LocalPath(str(Path(storage).resolve() / folder))
                moved.append((dataset, dataset.storage))
                dataset.storage = new
        yield {dataset.name for dataset, _ in moved}
    finally:
        for dataset, original in moved:
            dataset.storage = original
        _forget(scratch)


def _forget(scratch: str) -> None:
    from fsspec.implementations.memory import MemoryFileSystem  # type: ignore[import-untyped, unused-ignore]

    try:
        MemoryFileSystem().rm(f"/{scratch}", recursive=True)
    except FileNotFoundError:
        pass


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)


__all__ = ["MemoryStorage", "run_pipeline", "run_task"]

"""The one mapping from the project model to OpenLineage jobs and datasets.

Both `glacier lineage` (from source) and the run-time listener name jobs and datasets here,
so a design-time graph and a run's events describe the same things:

- one job per task of a pipeline: namespace ``glacier`` (or the configured one), name
  ``<pipeline>.<task id>``; the pipeline itself is the parent job, named ``<pipeline>``;
- a dataset with storage is named by its storage: ``s3://lake/raw/`` is namespace
  ``s3://lake``, name ``raw`` (`dataset_identity`); a dataset without storage is in the
  namespace ``glacier-dataset://<job namespace>`` under its Glacier name;
- the schema facet from the dataset's schema fields, the source-code location facet from the
  task's file and line, the job-type facet (``BATCH``, ``GLACIER``, ``TASK``).

The plain records (`LineageJob`, `LineageDataset`) need nothing installed; the functions that
build the client's event classes import ``openlineage`` (the ``lineage`` extra) when called.
"""

from __future__ import annotations

import linecache
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from glacier import __version__
from glacier.distribution import install_hint
from glacier.model import DatasetInfo, PipelineInfo, Project, TaskInfo

if TYPE_CHECKING:
    from openlineage.client.event_v2 import (
        InputDataset,
        Job,
        JobEvent,
        OutputDataset,
        RunEvent,
    )

#: The job namespace unless configured (``--namespace``, ``OPENLINEAGE_NAMESPACE``).
DEFAULT_NAMESPACE = "glacier"
#: The scheme of the namespace of datasets that declare no storage.
UNSTORED_SCHEME = "glacier-dataset"
#: Who made the events (OpenLineage's ``producer``).
PRODUCER = f"https://github.com/glacier-dev/glacier/tree/v{__version__}"
#: The ``integration`` of the job-type facet.
INTEGRATION = "GLACIER"
MISSING_EXTRA = f"OpenLineage support needs the `lineage` extra: {install_hint('lineage')}"


class LineageUnavailableError(ImportError):
    """``openlineage-python`` is not installed; the message names the extra."""


@dataclass(frozen=True)
class SchemaField:
    """One field of a dataset's schema: its name and its type as text (``list[str]``)."""

    name: str
    type: str | None


@dataclass(frozen=True)
class LineageDataset:
    """A dataset as OpenLineage names it."""

    namespace: str
    name: str
    #: The Glacier dataset name.
    dataset: str
    #: Schema fields, or ``None`` when the schema (or its fields) is unknown.
    fields: tuple[SchemaField, ...] | None


@dataclass(frozen=True)
class SourceLocation:
    """Where a task is defined: an absolute file and a 1-based line."""

    filename: str
    line: int


@dataclass(frozen=True)
class LineageJob:
    """One task of one pipeline as an OpenLineage job."""

    namespace: str
    name: str
    #: The pipeline's name, else its variable: the parent job's name.
    pipeline: str
    task: str
    inputs: tuple[LineageDataset, ...]
    outputs: tuple[LineageDataset, ...]
    source: SourceLocation | None
    #: The project root, for the source path shown relative to it.
    root: Path


def namespace_from_environment(configured: str | None = None) -> str:
    """The job namespace: ``configured``, else ``OPENLINEAGE_NAMESPACE``, else ``glacier``."""
    return configured or os.environ.get("OPENLINEAGE_NAMESPACE") or DEFAULT_NAMESPACE


def pipeline_job_name(pipeline: PipelineInfo) -> str:
    """The parent job's name: the pipeline's name, else the variable it is bound to."""
    return pipeline.name or pipeline.variable or "pipeline"


def task_job_name(pipeline: PipelineInfo, task_id: str) -> str:
    """``<pipeline>.<task id>``, e.g. ``nightly.shop.tasks.clean_orders``."""
    return f"{pipeline_job_name(pipeline)}.{task_id}"


def dataset_identity(
    name: str, storage: Mapping[str, Any] | None, *, namespace: str, root: Path
) -> tuple[str, str]:
    """(OpenLineage namespace, name) of a dataset.

    ``s3://lake/raw/`` -> (``s3://lake``, ``raw``); ``gs://b/x/`` -> (``gs://b``, ``x``);
    ``file:///data/raw/`` -> (``file``, ``/data/raw``), a relative local path resolved
    against ``root``; the root of a bucket is named ``/``. Without storage:
    (``glacier-dataset://<namespace>``, the dataset's name).
    """
    if storage is None:
        return (f"{UNSTORED_SCHEME}://{namespace}", name)
    kind = storage.get("kind")
    if kind == "local":
        path = Path(str(storage.get("path", "")))
        if not path.is_absolute():
            path = root / path
        text = PurePosixPath(os.path.normpath(path)).as_posix()
        return ("file", text.rstrip("/") or "/")
    uri = str(storage.get("uri") or "")
    parts = urlsplit(uri)
    if not parts.scheme:
        return (f"{UNSTORED_SCHEME}://{namespace}", name)
    if parts.scheme == "file":
        return ("file", parts.path.rstrip("/") or "/")
    key = parts.path.strip("/")
    return (f"{parts.scheme}://{parts.netloc}", key or "/")


def def_line(filename: str, line: int) -> int:
    """The line of the ``def`` at or after ``line``.

    The analyzer locates a task at its ``def``, the runtime at its first decorator; lineage
    names the ``def`` either way, so both report the same location.
    """
    linecache.checkcache(filename)
    lines = linecache.getlines(filename)
    for number in range(line, min(line + 50, len(lines) + 1)):
        if lines[number - 1].lstrip().startswith(("def ", "async def ")):
            return number
    return line


def lineage_jobs(
    project: Project,
    *,
    namespace: str = DEFAULT_NAMESPACE,
    root: Path,
    schema_fields: Mapping[str, tuple[SchemaField, ...]] | None = None,
    pipelines: Sequence[PipelineInfo] | None = None,
) -> tuple[LineageJob, ...]:
    """One job per task of each pipeline, in execution order (list order with a cycle).

    Args:
        project: from the analyzer or from a live ``Pipeline.to_project()``.
        namespace: the job namespace.
        root: the project root (relative local storage, shown source paths).
        schema_fields: fields of schemas by dataset name, where known.
        pipelines: the pipelines to map (default: all of ``project``).
    """
    fields = schema_fields or {}
    declared: dict[str, DatasetInfo] = {}
    for dataset in project.datasets:
        declared.setdefault(dataset.name, dataset)
    tasks: dict[str, TaskInfo] = {}
    for task in project.tasks:
        tasks.setdefault(task.id, task)

    def identity(name: str) -> LineageDataset:
        info = declared.get(name)
        storage = info.storage if info is not None else None
        ns, ol_name = dataset_identity(name, storage, namespace=namespace, root=root)
        return LineageDataset(ns, ol_name, name, fields.get(name))

    jobs: list[LineageJob] = []
    for pipeline in project.pipelines if pipelines is None else pipelines:
        graph = pipeline.graph
        order = graph.order or tuple(node.id for node in graph.tasks)
        for task_id in order:
            node = graph.task(task_id)
            info = tasks.get(task_id)
            span = info.span if info is not None else None
            inputs = tuple(identity(d) for d in dict.fromkeys(i.dataset for i in node.inputs))
            outputs = (identity(node.output),) if node.output is not None else ()
            jobs.append(
                LineageJob(
                    namespace=namespace,
                    name=task_job_name(pipeline, task_id),
                    pipeline=pipeline_job_name(pipeline),
                    task=task_id,
                    inputs=inputs,
                    outputs=outputs,
                    source=(
                        SourceLocation(span.filename, def_line(span.filename, span.line))
                        if span
                        else None
                    ),
                    root=root,
                )
            )
    return tuple(jobs)


# -- the client's classes --------------------------------------------------------------------


def _require_client() -> None:
    try:
        import openlineage.client  # noqa: F401
    except ImportError:  # pragma: no cover - the extra is installed in development
        raise LineageUnavailableError(MISSING_EXTRA) from None


def _dataset_facets(dataset: LineageDataset) -> dict[str, Any]:
    from openlineage.client.facet_v2 import schema_dataset

    if dataset.fields is None:
        return {}
    return {
        "schema": schema_dataset.SchemaDatasetFacet(
            fields=[
                schema_dataset.SchemaDatasetFacetFields(name=f.name, type=f.type)
                for f in dataset.fields
            ],
            producer=PRODUCER,
        )
    }


def input_dataset(dataset: LineageDataset) -> InputDataset:
    _require_client()
    from openlineage.client.event_v2 import InputDataset

    return InputDataset(dataset.namespace, dataset.name, facets=_dataset_facets(dataset))


def output_dataset(dataset: LineageDataset) -> OutputDataset:
    _require_client()
    from openlineage.client.event_v2 import OutputDataset

    return OutputDataset(dataset.namespace, dataset.name, facets=_dataset_facets(dataset))


def source_url(job: LineageJob) -> tuple[str, str] | None:
    """(``file://`` URL with the line as ``#L<line>``, path relative to the root when below it)."""
    if job.source is None:
        return None
    path = Path(job.source.filename)
    url = f"{path.as_uri()}#L{job.source.line}" if path.is_absolute() else job.source.filename
    try:
        relative = path.resolve().relative_to(job.root.resolve()).as_posix()
    except ValueError:
        relative = path.as_posix()
    return url, relative


def openlineage_job(job: LineageJob) -> Job:
    """The client's ``Job`` with the job-type and source-code location facets."""
    _require_client()
    from openlineage.client.event_v2 import Job
    from openlineage.client.facet_v2 import job_type_job, source_code_location_job

    facets: dict[str, Any] = {
        "jobType": job_type_job.JobTypeJobFacet(
            processingType="BATCH", integration=INTEGRATION, jobType="TASK", producer=PRODUCER
        )
    }
    location = source_url(job)
    if location is not None:
        url, relative = location
        facets["sourceCodeLocation"] = source_code_location_job.SourceCodeLocationJobFacet(
            type="file", url=url, path=relative, producer=PRODUCER
        )
    return Job(namespace=job.namespace, name=job.name, facets=facets)


def job_event(job: LineageJob, event_time: str) -> JobEvent:
    """A design-time ``JobEvent``: the job with its inputs and outputs, no run."""
    _require_client()
    from openlineage.client.event_v2 import JobEvent

    return JobEvent(
        eventTime=event_time,
        producer=PRODUCER,
        job=openlineage_job(job),
        inputs=[input_dataset(d) for d in job.inputs],
        outputs=[output_dataset(d) for d in job.outputs],
    )


@dataclass(frozen=True)
class ParentRun:
    """The pipeline run that a task run belongs to."""

    run_id: str
    namespace: str
    #: The pipeline's job name.
    name: str


def run_event(
    job: LineageJob,
    state: str,
    *,
    run_id: str,
    parent: ParentRun,
    event_time: str,
    error: str | None = None,
) -> RunEvent:
    """A ``RunEvent`` of one task run (``state``: START, COMPLETE, FAIL or ABORT).

    The pipeline run is the parent (and root) run facet; a failure message becomes the
    error-message facet.
    """
    _require_client()
    from openlineage.client.event_v2 import Run, RunEvent, RunState
    from openlineage.client.facet_v2 import error_message_run, parent_run

    facets: dict[str, Any] = {
        "parent": parent_run.ParentRunFacet(
            run=parent_run.Run(runId=parent.run_id),
            job=parent_run.Job(namespace=parent.namespace, name=parent.name),
            root=parent_run.Root(
                run=parent_run.RootRun(runId=parent.run_id),
                job=parent_run.RootJob(namespace=parent.namespace, name=parent.name),
            ),
            producer=PRODUCER,
        )
    }
    if error is not None:
        facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=error, programmingLanguage="PYTHON", producer=PRODUCER
        )
    return RunEvent(
        eventType=RunState[state],
        eventTime=event_time,
        producer=PRODUCER,
        run=Run(runId=run_id, facets=facets),
        job=openlineage_job(job),
        inputs=[input_dataset(d) for d in job.inputs],
        outputs=[output_dataset(d) for d in job.outputs],
    )


def pipeline_run_event(
    parent: ParentRun, state: str, *, event_time: str, error: str | None = None
) -> RunEvent:
    """A ``RunEvent`` of the pipeline run itself (the parent job), without datasets."""
    _require_client()
    from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
    from openlineage.client.facet_v2 import error_message_run, job_type_job

    facets: dict[str, Any] = {}
    if error is not None:
        facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=error, programmingLanguage="PYTHON", producer=PRODUCER
        )
    job_facets: dict[str, Any] = {
        "jobType": job_type_job.JobTypeJobFacet(
            processingType="BATCH", integration=INTEGRATION, jobType="DAG", producer=PRODUCER
        )
    }
    return RunEvent(
        eventType=RunState[state],
        eventTime=event_time,
        producer=PRODUCER,
        run=Run(runId=parent.run_id, facets=facets),
        job=Job(namespace=parent.namespace, name=parent.name, facets=job_facets),
    )


def to_json(event: Any) -> str:
    """One event as compact JSON with sorted keys (the client's own serialisation)."""
    from openlineage.client.serde import Serde

    return Serde.to_json(event)

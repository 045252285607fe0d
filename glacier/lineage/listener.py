"""The OpenLineage run listener: a run's events as OpenLineage run events.

Off unless OpenLineage is configured (`glacier.lineage.hook.lineage_configured`): creating a
`Pipeline` then registers it (`glacier.lineage.hook.pipeline_created`) and installs one
process-wide listener on the run event stream (`glacier.run.events.add_listener`). For each
run it sends, through the client configured the standard way:

- the pipeline run: START, then COMPLETE (succeeded), FAIL (a task failed) or ABORT
  (interrupted, e.g. Ctrl-C); job ``<pipeline>``;
- each task run: START when its first attempt starts, then COMPLETE or FAIL (with the
  error-message facet); ABORT for the tasks still running when the run is interrupted; a task
  whose result came from the cache reports START and COMPLETE; a skipped task reports nothing.
  Job ``<pipeline>.<task id>``, the pipeline run as its parent, inputs and outputs named by
  their storage, schema and source-code location facets (`glacier.lineage.mapping`).

Run ids are UUIDs derived from Glacier's run id (`parent_run_id`, `task_run_id`), so run
records and lineage can be matched. Events are sent from a background thread so a slow
endpoint never slows tasks down; the run's last event waits for them (at most
`FLUSH_TIMEOUT` seconds). A transport failure is reported once on standard error and never
fails the run.
"""

from __future__ import annotations

import queue
import sys
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from glacier.graph import Input, TaskNode, build_pipeline_graph
from glacier.lineage.client import configured_client
from glacier.lineage.hook import pipelines as _pipelines
from glacier.lineage.mapping import (
    LineageJob,
    ParentRun,
    SchemaField,
    lineage_jobs,
    namespace_from_environment,
    pipeline_run_event,
    run_event,
)
from glacier.model import DatasetInfo, PipelineInfo, Project, TaskInfo

if TYPE_CHECKING:
    from openlineage.client import OpenLineageClient

    from glacier.run.events import DatasetRef, RunEvent, RunStarted
    from glacier.runtime.pipeline import Pipeline

#: Seconds the end of a run waits for its events to be sent.
FLUSH_TIMEOUT = 10.0
_RUN_NAMESPACE = uuid.UUID("8f0c5a3e-5d0b-4c55-9a7e-6f1d2b3c4d5e")

_install_lock = threading.Lock()
_installed: list[OpenLineageListener] = []


def parent_run_id(glacier_run_id: str) -> str:
    """The OpenLineage run id of a pipeline run: a UUID derived from Glacier's run id."""
    return str(uuid.uuid5(_RUN_NAMESPACE, f"run:{glacier_run_id}"))


def task_run_id(glacier_run_id: str, task_id: str) -> str:
    """The OpenLineage run id of one task in one run."""
    return str(uuid.uuid5(_RUN_NAMESPACE, f"run:{glacier_run_id}:task:{task_id}"))


def event_time(seconds: float) -> str:
    moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def install() -> OpenLineageListener:
    """Add the process-wide listener once; returns it."""
    with _install_lock:
        if not _installed:
            from glacier.run.events import add_listener

            listener = OpenLineageListener()
            add_listener(listener)
            _installed.append(listener)
        return _installed[0]


def _stderr() -> TextIO:
    try:
        from glacier.run.capture import original_stderr

        return original_stderr()
    except Exception:  # noqa: BLE001 - reporting must not fail
        return sys.stderr


class _Sender:
    """Sends one run's events in order from a background thread."""

    def __init__(self, client: OpenLineageClient) -> None:
        self.client = client
        self.queue: queue.Queue[Any] = queue.Queue()
        self.reported = False
        self.thread = threading.Thread(target=self._work, name="glacier-openlineage", daemon=True)
        self.thread.start()

    def send(self, event: Any) -> None:
        self.queue.put(event)

    def _work(self) -> None:
        while True:
            event = self.queue.get()
            if event is None:
                return
            try:
                self.client.emit(event)
            except Exception as error:  # noqa: BLE001 - lineage never fails a run
                if not self.reported:
                    self.reported = True
                    print(
                        "glacier: OpenLineage: could not send an event "
                        f"({type(error).__name__}: {error}); the run goes on, and later "
                        "events of this run are still tried",
                        file=_stderr(),
                    )

    def close(self, timeout: float) -> None:
        self.queue.put(None)
        self.thread.join(timeout)
        if self.thread.is_alive() and not self.reported:
            print(
                f"glacier: OpenLineage: events still unsent after {timeout:g} s; giving up",
                file=_stderr(),
            )


@dataclass
class _Run:
    glacier_run_id: str
    parent: ParentRun
    jobs: dict[str, LineageJob]
    sender: _Sender
    started: set[str] = field(default_factory=set)
    finished: set[str] = field(default_factory=set)


class OpenLineageListener:
    """A run listener (`glacier.run.events.Listener`) that reports runs to OpenLineage."""

    def __init__(self, client: OpenLineageClient | None = None) -> None:
        #: A fixed client (tests); ``None``: the configured client, looked up for each run.
        self.client = client
        self.runs: dict[str, _Run] = {}
        self._lock = threading.Lock()

    def __call__(self, event: RunEvent) -> None:
        try:
            with self._lock:
                finished = self._handle(event)
            if finished is not None:
                # Outside the lock: waiting for one run's events must not hold up another's.
                finished.close(FLUSH_TIMEOUT)
        except Exception as error:  # noqa: BLE001 - lineage never fails a run
            print(
                f"glacier: OpenLineage: event not reported ({type(error).__name__}: {error})",
                file=_stderr(),
            )

    def _handle(self, event: RunEvent) -> _Sender | None:
        """Queue the OpenLineage events of ``event``; a finished run's sender to close."""
        from glacier.run import events as ev

        if isinstance(event, ev.RunStarted):
            self._run_started(event)
            return None
        run = self.runs.get(event.run_id)
        if run is None:
            return None
        if isinstance(event, ev.TaskStarted):
            self._task(run, event.task_id, "START", event.time)
        elif isinstance(event, ev.TaskSucceeded):
            self._task(run, event.task_id, "START", event.time)
            self._task(run, event.task_id, "COMPLETE", event.time)
        elif isinstance(event, ev.TaskCached):
            self._task(run, event.task_id, "START", event.time)
            self._task(run, event.task_id, "COMPLETE", event.time)
        elif isinstance(event, ev.TaskFailed):
            message = f"{type(event.error).__name__}: {event.error}"
            self._task(run, event.task_id, "START", event.time)
            self._task(run, event.task_id, "FAIL", event.time, error=message)
        elif isinstance(event, ev.RunFinished):
            self._run_finished(run, event)
            return run.sender
        return None

    def _run_started(self, event: RunStarted) -> None:
        client = self.client
        if client is None:
            client = configured_client()
            if client is None:
                return  # configuration removed since the pipeline was created
        namespace = namespace_from_environment()
        jobs = jobs_for_run(event, namespace)
        parent = ParentRun(parent_run_id(event.run_id), namespace, event.pipeline)
        run = _Run(event.run_id, parent, {job.task: job for job in jobs}, _Sender(client))
        self.runs[event.run_id] = run
        run.sender.send(pipeline_run_event(parent, "START", event_time=event_time(event.time)))

    def _task(
        self, run: _Run, task_id: str, state: str, when: float, error: str | None = None
    ) -> None:
        job = run.jobs.get(task_id)
        if job is None:
            return
        if state == "START":
            if task_id in run.started:
                return  # a retry, or the start already reported
            run.started.add(task_id)
        else:
            run.finished.add(task_id)
        run.sender.send(
            run_event(
                job,
                state,
                run_id=task_run_id(run.glacier_run_id, task_id),
                parent=run.parent,
                event_time=event_time(when),
                error=error,
            )
        )

    def _run_finished(self, run: _Run, event: Any) -> None:
        when = event_time(event.time)
        status = event.status
        if status == "interrupted":
            for task_id in sorted(run.started - run.finished, key=list(run.jobs).index):
                self._task(run, task_id, "ABORT", event.time)
        state = {"succeeded": "COMPLETE", "failed": "FAIL", "interrupted": "ABORT"}.get(
            status, "COMPLETE"
        )
        error = None
        if status == "failed":
            failed = event.counts.get("failed", 0)
            error = f"{failed} task{'s' * (failed != 1)} failed"
        run.sender.send(pipeline_run_event(run.parent, state, event_time=when, error=error))
        del self.runs[event.run_id]


def _live_pipeline(event: RunStarted) -> Pipeline | None:
    """The `Pipeline` this run belongs to, among those created since lineage was configured."""
    wanted = set(event.tasks)
    matches = [
        p
        for p in list(_pipelines)
        if p.label.strip("`") == event.pipeline and {t.id for t in p.tasks} == wanted
    ]
    return matches[-1] if matches else None


def jobs_for_run(event: RunStarted, namespace: str) -> tuple[LineageJob, ...]:
    """The run's jobs, through the same mapping as ``glacier lineage``.

    From the live pipeline's model (`Pipeline.to_project`) when it is known, else from what
    the run event says (no source location); schema fields from the live schema types.
    """
    from glacier.lineage.schema import runtime_schema_fields

    root = Path(event.project_root)
    fields: dict[str, tuple[SchemaField, ...]] = {}
    for name, dataset in getattr(event, "datasets", {}).items():
        found = runtime_schema_fields(getattr(dataset, "schema", None))
        if found is not None:
            fields[name] = found
    pipeline = _live_pipeline(event)
    project = pipeline.to_project() if pipeline is not None else _project_from_event(event)
    return lineage_jobs(project, namespace=namespace, root=root, schema_fields=fields)


def _project_from_event(event: RunStarted) -> Project:
    refs: dict[str, DatasetRef] = {}
    nodes: list[TaskNode] = []
    for task_id in event.tasks:
        reads = event.reads.get(task_id, ())
        write = event.writes.get(task_id)
        for ref in (*reads, *([write] if write is not None else [])):
            refs.setdefault(ref.name, ref)
        inputs = tuple(Input(ref.name, ref.name) for ref in reads)
        name = event.names.get(task_id, task_id)
        nodes.append(TaskNode(task_id, name, inputs, write.name if write else None))
    stored = {name for name, ref in refs.items() if ref.storage is not None}
    graph = build_pipeline_graph(nodes, stored)
    datasets = tuple(
        DatasetInfo(
            name,
            None,
            None,
            None,
            ref.storage.to_dict() if ref.storage is not None else None,
            ref.schema,
        )
        for name, ref in refs.items()
    )
    tasks = tuple(
        TaskInfo(node.id, node.name, None, None, node.inputs, node.output, None) for node in nodes
    )
    return Project(datasets, tasks, (PipelineInfo(event.pipeline, None, None, graph),))

"""`DaskExecutor`: run a pipeline on a dask.distributed cluster (spec running.md §3).

Every Glacier task becomes one Dask task, and the pipeline is submitted at once as one graph
in which each task refers to its upstream tasks by key: Dask's scheduler places each next to
its inputs, values move between workers and only the outputs asked for come back. The run
`Session` does everything else exactly as for `LocalExecutor` (what a task's attempt does runs
on the worker, in `glacier.executors.dask_worker`); this module only submits, listens, and
reports each outcome to the session in the calling thread, so statuses, events and records are
the same.

dask.distributed is an optional extra: importing this module works without it, creating an
executor says what to install.
"""

from __future__ import annotations

import os
import queue
import site
import sys
import time
import uuid
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import TYPE_CHECKING, Any

from glacier.executors.base import Executor
from glacier.executors.dask_cluster import (
    ResourceRequests,
    declared_resources,
    local_folder_problems,
    missing_dask_message,
    open_client,
    workers_share_this_machine,
)
from glacier.run.session import Outcome, RunSetupError, Session, TaskPlan

if TYPE_CHECKING:
    from dask.typing import Key
    from distributed import Client, Future


class DaskExecutor(Executor):
    """Run the pipeline on a Dask cluster.

    Args:
        address: a scheduler address (``"tcp://host:8786"``); the cluster is left running.
        client: a connected `distributed.Client`; its cluster is left running.
        shared_paths: local folders that every worker mounts at the same path (or ``True``
            for all); only those may hold `LocalPath` datasets or the cache when the workers
            run on other machines.
        **cluster_options: without `address` or `client`, options of the
            `distributed.LocalCluster` started for the run and closed after it
            (``n_workers=4``, ``threads_per_worker=1``, ``resources={"CPU": 4}``...).

    Raises:
        ImportError: dask.distributed is not installed (the message names the extra).
        ValueError: both `address` and `client`, or cluster options with either.
    """

    name = "dask"

    def __init__(
        self,
        address: str | None = None,
        client: Client | None = None,
        *,
        shared_paths: Sequence[str | os.PathLike[str]] | bool = (),
        **cluster_options: Any,
    ) -> None:
        try:
            import distributed  # noqa: F401
        except ImportError as error:
            raise ImportError(missing_dask_message()) from error
        if address is not None and client is not None:
            raise ValueError("DaskExecutor takes address= or client=, not both")
        if cluster_options and (address is not None or client is not None):
            raise ValueError(
                f"DaskExecutor options {', '.join(sorted(cluster_options))} configure the "
                "LocalCluster it starts; an existing cluster (address= or client=) takes none"
            )
        if address is not None and (not isinstance(address, str) or not address.strip()):
            raise ValueError(f"DaskExecutor(address=) must be a scheduler address, got {address!r}")
        self.address = address
        self.client = client
        self.shared_paths = shared_paths
        self.cluster_options = cluster_options
        #: Run id -> its pickled task plans, made by `check` and sent by `execute`.
        self._payloads: dict[str, list[bytes]] = {}

    @property
    def slots(self) -> int:
        """This machine's CPUs; Dask, not slots, decides where and when tasks run."""
        return os.cpu_count() or 1

    def describe(self) -> str:
        if self.client is not None:
            return f"dask ({getattr(self.client.scheduler, 'address', 'client')})"
        if self.address is not None:
            return f"dask ({self.address})"
        return "dask (LocalCluster)"

    def __repr__(self) -> str:
        if self.address is not None:
            return f"DaskExecutor(address={self.address!r})"
        if self.client is not None:
            return f"DaskExecutor(client={self.client!r})"
        options = ", ".join(f"{key}={value!r}" for key, value in self.cluster_options.items())
        return f"DaskExecutor({options})"

    def check(self, session: Session) -> list[str]:
        """Tasks that cannot be sent, resources no worker has, local folders remote workers lack."""
        payloads, problems = _pickle_plans(session)
        # Only the run about to execute: a run stopped between check and execute leaves nothing.
        self._payloads = {session.run_id: payloads}
        if self.address is None and self.client is None:
            declared = {
                name: [float(amount)]
                for name, amount in (self.cluster_options.get("resources") or {}).items()
            }
            problems += _resource_problems(session, declared)
            return problems
        with open_client(self.address, self.client, {}) as client:
            problems += _resource_problems(session, declared_resources(client))
            if not workers_share_this_machine(client, started_here=False):
                problems += local_folder_problems(_local_folders(session), self.shared_paths)
        return problems

    def execute(self, session: Session) -> None:
        payloads = self._payloads.pop(session.run_id, None)
        if payloads is None:
            payloads, problems = _pickle_plans(session)
            if problems:
                raise RunSetupError(problems)
        with open_client(self.address, self.client, self.cluster_options) as client:
            # check() warned already; here only the requests themselves matter.
            requests = ResourceRequests(declared_resources(client), warn=False)
            _DaskRun(session, client, requests, payloads).run()


def _pickle_plans(session: Session) -> tuple[list[bytes], list[str]]:
    """Each task's plan pickled for the workers, and a message for each that cannot be."""
    import cloudpickle  # type: ignore[import-untyped]

    payloads: list[bytes] = []
    problems = []
    with _project_code_by_value(session):
        for plan in session.plans:
            try:
                payloads.append(cloudpickle.dumps(plan))
            except Exception as error:  # noqa: BLE001 - user code and libraries raise anything
                payloads.append(b"")
                problems.append(
                    f"task `{plan.name}` ({plan.id}) cannot be sent to a Dask worker: "
                    f"{type(error).__name__}: {error}. Make what it uses picklable (module-level "
                    "functions, no open files, locks or connections)"
                )
    return payloads, problems


def _resource_problems(session: Session, declared: Mapping[str, Sequence[float]]) -> list[str]:
    """A task asking for more than any worker has; warns once when workers declare nothing."""
    from glacier.executors.dask_cluster import DaskClusterError

    requests = ResourceRequests(declared)
    session_tasks = session.pipeline.tasks
    problems = []
    for plan in session.plans:
        try:
            requests.for_compute(plan.name, _compute_of(session_tasks, plan))
        except DaskClusterError as error:
            problems.append(str(error))
    return problems


@contextmanager
def _project_code_by_value(session: Session) -> Iterator[None]:
    """Pickle the project's task modules by value, so workers need not have the project.

    Functions and classes of those modules travel with the tasks (a worker image needs only
    the libraries they import); modules installed as packages are still imported by name.
    """
    import cloudpickle

    modules = _project_modules(session)
    already = cloudpickle.list_registry_pickle_by_value()
    registered = [module for module in modules if module.__name__ not in already]
    for module in registered:
        cloudpickle.register_pickle_by_value(module)
    try:
        yield
    finally:
        for module in registered:
            cloudpickle.unregister_pickle_by_value(module)


def _project_modules(session: Session) -> list[ModuleType]:
    root = os.path.abspath(session.project_root) + os.sep
    installed = tuple(
        os.path.abspath(path) + os.sep
        for path in {sys.prefix, sys.base_prefix, *site.getsitepackages()}
    )
    found: dict[str, ModuleType] = {}
    for plan in session.plans:
        name = getattr(plan.fn, "__module__", None) or ""
        module = sys.modules.get(name)
        filename = os.path.abspath(getattr(module, "__file__", None) or "")
        if (
            module is None
            or name == "__main__"
            or name.split(".")[0] == "glacier"
            or not filename.startswith(root)
            or filename.startswith(installed)
        ):
            continue
        found[name] = module
    return list(found.values())


def _compute_of(tasks: Sequence[Any], plan: TaskPlan) -> Any:
    """The task's `compute` (plans are numbered by the pipeline's task positions)."""
    return tasks[plan.position].compute


def _local_folders(session: Session) -> dict[str, str]:
    """Label -> local folder, for the run's LocalPath datasets and a local cache."""
    from glacier.storage import LocalPath

    folders: dict[str, str] = {}
    for dataset in session.pipeline.datasets:
        if isinstance(dataset.storage, LocalPath):
            folders[f"Dataset `{dataset.name}`"] = _path_of(dataset.storage.uri)
    if session.cache_root is not None and session.cache_root.startswith("file://"):
        folders["The run cache"] = _path_of(session.cache_root)
    return folders


def _path_of(uri: str) -> str:
    return uri.removeprefix("file://")


#: A Dask key: a name and an index.
_Key = tuple[str, int]


def _key(name: str, index: int = 0) -> _Key:
    """The Dask key of a task, `name` starting with ``glacier-`` and the run's token.

    Dask groups tasks by the name (each Glacier task is its own group, as Dask's scheduling
    heuristics expect of unrelated tasks) and counts them by its first word, the prefix
    ``glacier`` (``glacier-read`` for the reads of external inputs). A worker goes over its
    counts per prefix at every change of state of any task, so a prefix per task, as a name
    starting with the task's would give, cost each task time in proportion to the number of
    tasks the worker held (1,000 no-op tasks: 3.2 CPU seconds of the worker's event loop
    instead of 1.5).
    """
    return (name, index)


def _expression(graph: dict[_Key, Any]) -> Any:
    """The graph as Dask's low-level graph expression, named by a random token.

    As `Client.submit` does: a plain dict would be named by hashing every task (each plan's
    bytes included), which costs more than the whole submission. Keys are unique per run, so
    the name needs no content hash.
    """
    try:
        from dask._expr import LLGExpr
    except ImportError:  # a Dask without expressions takes the dict as it is
        return graph
    return LLGExpr(graph, _determ_token=uuid.uuid4().hex)


class _DaskRun:
    """One run's futures, and the loop that reports their outcomes to the session."""

    def __init__(
        self,
        session: Session,
        client: Client,
        requests: ResourceRequests,
        payloads: Sequence[bytes],
    ) -> None:
        self.session = session
        self.payloads = payloads
        self.client = client
        self.requests = requests
        self.topic = f"glacier-{session.run_id}-{uuid.uuid4().hex[:8]}"
        self.inbox: queue.SimpleQueue[bytes] = queue.SimpleQueue()
        #: Positions whose "started" was reported.
        self.started: set[int] = set()
        #: Position -> the future of each task that has not ended (only these are held).
        self.pending: dict[int, Future[Any]] = {}
        #: Futures of tasks that ended since the last batch of messages, to be let go together.
        self.ended: list[Future[Any]] = []
        #: Keys whose values come back: their futures are kept until then.
        self.wanted: set[Key] = set()
        #: Dask key -> task position.
        self.keys: dict[Key, int] = {}
        #: Errors of futures whose upstream tasks had not all ended yet.
        self.deferred: dict[int, BaseException] = {}
        #: External inputs whose schema warning was given.
        self.warned: set[str] = set()

    def run(self) -> None:
        client = self.client
        client.subscribe_topic(self.topic, self._on_message)
        wanted: dict[str, Future[Any]] = {}
        try:
            wanted = self._submit()
            self._follow()
            self._collect(wanted)
        except BaseException:
            # Ctrl-C (or a failure of Glacier itself): stop what has not finished.
            client.cancel(list(self.pending.values()), force=True)
            raise
        finally:
            # Let go of every future now: this frame may outlive the run (the traceback of a
            # task's error, rebuilt on the client, links to it), and a future it held would
            # keep its value on the cluster.
            wanted.clear()
            self.ended.extend(self.pending.values())
            self.pending.clear()
            self._release_ended()
            client.unsubscribe_topic(self.topic)

    def _on_message(self, event: tuple[float, bytes]) -> None:
        self.inbox.put(event[1])

    def _submit(self) -> dict[str, Future[Any]]:
        """Submit every task; returns the futures of the datasets whose values come back.

        The whole pipeline goes to the scheduler as one graph (one per run of consecutive
        tasks with the same resource requests, which Dask sets per graph), not one message per
        task; each task refers to its inputs by key, so values stay on the workers.
        """
        from dask.task_spec import Task, TaskRef

        from glacier.executors.dask_worker import read_input, run_task
        from glacier.run.session import _Pending

        session = self.session
        client = self.client
        token = uuid.uuid4().hex[:12]
        graphs: list[tuple[dict[str, float] | None, dict[_Key, Task], list[_Key]]] = []
        reads: dict[_Key, Task] = {}
        by_dataset: dict[str, Key] = {}
        given: list[tuple[str, tuple[Any, str | None]]] = []
        for name, value in session.values.items():
            cache_key = session.keys.get(name)
            if type(value) is _Pending:
                read_key = _key(f"glacier-read-{token}-{name}")
                validate = session.validation_mode(value.dataset) if value.check else "off"
                reads[read_key] = Task(read_key, read_input, value.dataset, cache_key, validate)
                by_dataset[name] = read_key
            else:
                given.append((name, (value, cache_key)))
        scattered = client.scatter([pair for _, pair in given], hash=False) if given else []
        for (name, _), future in zip(given, scattered, strict=True):
            by_dataset[name] = future.key
        graphs.append((None, reads, list(reads)))
        wanted_names = set(session.final_datasets())
        wanted_keys: dict[str, _Key] = {}
        context = session.context
        tasks = session.pipeline.tasks
        topic = self.topic
        client_pid = os.getpid()
        for position in session.order:
            plan = session.plans[position]
            key = _key(f"glacier-{token}-{plan.name}", position)
            resources = self.requests.for_compute(plan.name, _compute_of(tasks, plan))
            if resources != graphs[-1][0]:
                graphs.append((resources, {}, []))
            _, graph, keys = graphs[-1]
            graph[key] = Task(
                key,
                run_task,
                self.payloads[position],
                context,
                topic,
                client_pid,
                *[TaskRef(by_dataset[dataset]) for _, dataset in plan.inputs],
            )
            keys.append(key)
            self.keys[key] = position
            output = plan.output
            if output is not None and output.name not in session.given:
                by_dataset[output.name] = key
                if output.name in wanted_names:
                    wanted_keys[output.name] = key
        futures: dict[_Key, Future[Any]] = {}
        positions = self.keys
        for resources, graph, keys in graphs:
            if graph:
                submitted = client.get(_expression(graph), keys, resources=resources, sync=False)
                for key, future in zip(keys, submitted, strict=True):
                    futures[key] = future
                    if key in positions:
                        self.pending[positions[key]] = future  # cancelled on Ctrl-C from now on
        # Inputs (given or read) were held until every graph that reads them was submitted;
        # from now on the scheduler keeps each until its last reader has run.
        del scattered
        wanted = {name: futures[key] for name, key in wanted_keys.items()}
        self.wanted.update(wanted_keys.values())
        futures.clear()
        return wanted

    def _follow(self) -> None:
        """Report what the workers say, until every task has ended.

        The workers' messages carry every normal outcome. What no worker can tell (a task
        whose worker died too often, one that could not even start, one whose external input
        failed its check) shows in its future's state, which is looked at whenever the
        messages pause, and at least twice a second.
        """
        from glacier.executors.dask_worker import loads_messages

        session = self.session
        finished = session.finished
        plans = session.plans
        inbox = self.inbox
        next_look = time.monotonic() + 0.5
        while not all(finished):
            try:
                # A timeout, so Ctrl-C is seen at once whatever the platform's locks do.
                batch = inbox.get(timeout=0.1)
            except queue.Empty:
                batch = None
            if batch is None or time.monotonic() > next_look:
                self._look_at_futures()
                next_look = time.monotonic() + 0.5
                if batch is None:
                    self._release_ended()
                    continue
            for message in loads_messages(batch):
                kind, position = message[0], message[1]
                if finished[position]:
                    continue  # e.g. a rerun after a worker died: the session knows the task
                if kind == "started":
                    self._started(position)
                elif kind == "retried":
                    self._started(position)
                    session.task_retried(plans[position], message[2], message[3])
                else:  # "finished" or "failed"; a short task was not announced when it started
                    self._warn(message[3])
                    self._complete(position, message[2])
            self._release_ended()

    def _release_ended(self) -> None:
        """Let go of the futures of the tasks that ended, together, from the client's event loop.

        Dropping a future here would wake that loop once per future (to tell the scheduler);
        releasing them from the loop itself costs one wake-up per batch.
        """
        if self.ended:
            wanted = self.wanted
            ended = [future for future in self.ended if future.key not in wanted]
            self.ended = []
            loop = self.client.loop
            if ended and loop is not None:
                loop.add_callback(_release, ended)

    def _started(self, position: int) -> None:
        if position not in self.started:
            self.started.add(position)
            self.session.task_started(self.session.plans[position])

    def _warn(self, warned: Sequence[tuple[str, str]]) -> None:
        """Schema warnings of external inputs, once per dataset, as `LocalExecutor` gives them."""
        for dataset, text in warned:
            if dataset not in self.warned:
                self.warned.add(dataset)
                from glacier.schemas import SchemaWarning

                warnings.warn(SchemaWarning(text), stacklevel=2)

    def _look_at_futures(self) -> None:
        finished = self.session.finished
        for position, future in list(self.pending.items()):
            if finished[position]:
                self.ended.append(self.pending.pop(position))
            elif future.status == "error":
                self._failed(position, future.exception())
            elif future.status == "cancelled":
                self._complete(
                    position, Outcome("failed", attempts=1, error=RuntimeError("cancelled"))
                )

    def _failed(self, position: int, error: BaseException) -> None:
        from distributed import KilledWorker

        from glacier.executors.dask_worker import TaskFailedOnWorker

        if isinstance(error, TaskFailedOnWorker):
            if error.position == position:
                self._complete(position, error.outcome)
            return  # a dependent of the failed task: the session skips it
        if isinstance(error, KilledWorker) and self.keys.get(error.task) != position:
            return
        plans = self.session.plans
        if any(not self.session.finished[p] for p in plans[position].dependencies):
            # Dask passes an upstream failure down; decide once the upstream tasks have ended.
            self.deferred[position] = error
            return
        self._complete(position, Outcome("failed", attempts=1, error=error))

    def _complete(self, position: int, outcome: Outcome) -> None:
        session = self.session
        future = self.pending.pop(position, None)
        if future is not None:
            self.ended.append(future)
        self._started(position)  # every task that ends was started, as in LocalExecutor
        session.complete(session.plans[position], outcome)
        for waiting, error in list(self.deferred.items()):
            if session.finished[waiting]:
                del self.deferred[waiting]
            elif all(session.finished[p] for p in session.plans[waiting].dependencies):
                del self.deferred[waiting]
                self._failed(waiting, error)

    def _collect(self, wanted: dict[str, Future[Any]]) -> None:
        """Bring back the values of the outputs (and kept datasets) whose tasks succeeded."""
        session = self.session
        producers = {
            plan.output.name: position
            for position, plan in enumerate(session.plans)
            if plan.output is not None
        }
        from glacier.executors.dask_worker import StoredValue
        from glacier.run.session import _Pending

        outcomes = session.outcomes
        names = []
        for name in wanted:
            outcome = outcomes[producers[name]]
            if outcome is not None and outcome.status in ("succeeded", "cached"):
                names.append(name)
        values = self.client.gather([wanted[name] for name in names])
        for name, (value, _) in zip(names, values, strict=True):
            if isinstance(value, StoredValue):  # a cached output nobody read: the session reads it
                value = _Pending(value.dataset, value.location)
            session.values[name] = value


def _release(futures: list[Future[Any]]) -> None:
    """Release `futures` (in the client's event loop, where each release costs no wake-up)."""
    for future in futures:
        future.release()

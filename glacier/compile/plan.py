"""The target-independent deployment plan, made from the one project model.

`make_plan` reads only what the static analyzer and the runtime fill in identically
(ids, names, inputs, outputs, compute, storage, the graph and file paths relative to the
project root), so `glacier compile` from source and `pipeline.compile()` at run time get
the same plan and therefore write the same bytes. A target turns a plan into files and
knows nothing of where the plan came from.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from glacier.graph import Input
from glacier.model import DatasetInfo, PipelineInfo, Project, TaskInfo
from glacier.runtime.errors import GlacierError

#: Lock files a container image installs from, in order of preference.
LOCK_FILES = ("requirements.lock", "requirements.txt", "uv.lock", "poetry.lock")

#: What a task without ``compute=`` runs as.
DEFAULT_COMPUTE: Mapping[str, Any] = {"kind": "local", "workers": 1}

#: Task options a target acts on (``@task(retries=..., secrets=[...])``).
TASK_OPTION_FIELDS = ("retries", "secrets")


class CompileError(GlacierError):
    """The pipeline cannot be compiled; ``problems`` lists every reason, each a full sentence."""

    def __init__(self, problems: list[str] | tuple[str, ...]) -> None:
        self.problems = tuple(problems)
        if len(self.problems) == 1:
            message = self.problems[0]
        else:
            lines = [f"{len(self.problems)} problems prevent compiling:"]
            message = "\n".join([*lines, *(f"  {problem}" for problem in self.problems)])
        super().__init__(message)


@dataclass(frozen=True)
class PlannedDataset:
    """A dataset the pipeline reads or writes."""

    name: str
    #: ``Storage.to_dict()`` shape; ``None``: the target decides where it lives.
    storage: Mapping[str, Any] | None
    #: The task that produces it, ``None`` for an external input.
    producer: str | None
    #: Ids of the tasks that consume it, in list order.
    consumers: tuple[str, ...]


@dataclass(frozen=True)
class PlannedTask:
    """A task with where it runs and what it reads and writes."""

    id: str
    name: str
    #: The module to import to find the task (``shop.tasks``).
    module: str
    #: The file that defines it, relative to the project root (POSIX).
    source: str
    #: The folder, relative to the project root, from which ``module`` is importable.
    import_root: str
    inputs: tuple[Input, ...]
    output: str | None
    #: ``Compute.to_dict()`` shape; `DEFAULT_COMPUTE` when the task declares none.
    compute: Mapping[str, Any]
    #: Ids of the tasks whose output it consumes, in list order.
    dependencies: tuple[str, ...]
    #: Declared task options (``secrets``, ``retries``, ...) where the model has them.
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """One pipeline, ready for a target."""

    #: The pipeline's name, else its variable.
    pipeline: str
    #: Tasks in the order the pipeline lists them.
    tasks: tuple[PlannedTask, ...]
    #: Task ids in execution order.
    order: tuple[str, ...]
    #: Every dataset in order of first use (inputs before outputs, task by task).
    datasets: tuple[PlannedDataset, ...]
    #: ``[tool.glacier.<target>]`` tables by target name.
    target_options: Mapping[str, Mapping[str, Any]]
    #: The lock file images install from, relative to the project root.
    lock_file: str | None
    #: Whether the project root has a ``pyproject.toml`` (installed into images).
    has_pyproject: bool

    def task(self, task_id: str) -> PlannedTask:
        return next(task for task in self.tasks if task.id == task_id)

    def dataset(self, name: str) -> PlannedDataset:
        return next(dataset for dataset in self.datasets if dataset.name == name)

    @property
    def import_roots(self) -> tuple[str, ...]:
        """Every task's import root, in first-use order."""
        return tuple(dict.fromkeys(task.import_root for task in self.tasks))

    def to_dict(self) -> dict[str, Any]:
        """A JSON shape of the plan (tests compare plans with it)."""
        return {
            "pipeline": self.pipeline,
            "tasks": [
                {
                    "id": t.id,
                    "name": t.name,
                    "module": t.module,
                    "source": t.source,
                    "import_root": t.import_root,
                    "inputs": [{"parameter": i.parameter, "dataset": i.dataset} for i in t.inputs],
                    "output": t.output,
                    "compute": dict(t.compute),
                    "dependencies": list(t.dependencies),
                    "options": dict(t.options),
                }
                for t in self.tasks
            ],
            "order": list(self.order),
            "datasets": [
                {
                    "name": d.name,
                    "storage": dict(d.storage) if d.storage is not None else None,
                    "producer": d.producer,
                    "consumers": list(d.consumers),
                }
                for d in self.datasets
            ],
            "target_options": {k: dict(v) for k, v in self.target_options.items()},
            "lock_file": self.lock_file,
            "has_pyproject": self.has_pyproject,
        }


def project_root(configured_root: Path, path: Path) -> Path:
    """The folder a deployment packages: the project's (the nearest ``pyproject.toml``),
    else, for a script outside any project, the folder of ``path``."""
    path = Path(os.path.abspath(path))
    root = Path(os.path.abspath(configured_root))
    inside = path == root or root in path.parents
    if inside and (root / "pyproject.toml").is_file():
        return root
    return path if path.is_dir() else path.parent


def select_pipeline(project: Project, wanted: str | None, where: str) -> PipelineInfo:
    """The pipeline named (name or variable) ``wanted``, else the project's only one.

    Raises:
        CompileError: when there is none, or several and ``wanted`` is not given.
    """
    pipelines = project.pipelines
    if wanted is not None:
        chosen = [p for p in pipelines if wanted in (p.name, p.variable)]
        if not chosen:
            known = ", ".join(_label(p) for p in pipelines) or "none"
            raise CompileError([f"{where} has no pipeline `{wanted}` (pipelines: {known})"])
        return chosen[0]
    if not pipelines:
        raise CompileError([f"{where} defines no pipeline; create one with Pipeline([...])"])
    if len(pipelines) > 1:
        known = ", ".join(_label(p) for p in pipelines)
        raise CompileError(
            [
                f"{where} defines {len(pipelines)} pipelines ({known}); choose one with "
                "--pipeline NAME, or give the file that defines it"
            ]
        )
    return pipelines[0]


def _label(pipeline: PipelineInfo) -> str:
    where = f" in {os.path.basename(pipeline.span.filename)}" if pipeline.span else ""
    return f"`{pipeline.name or pipeline.variable or 'pipeline'}`{where}"


def make_plan(
    project: Project,
    pipeline: PipelineInfo,
    root: Path,
    target_options: Mapping[str, Mapping[str, Any]],
) -> Plan:
    """The plan of ``pipeline`` in ``project`` whose files live under ``root``.

    Raises:
        CompileError: when the pipeline's graph has problems (a cycle, a missing or
            duplicate producer) or a task is defined outside the project root.
    """
    graph = pipeline.graph
    names = {node.id: node.name for node in graph.tasks}
    problems = [p.message(pipeline.label, lambda i: names.get(i, i)) for p in graph.problems]
    if problems:
        raise CompileError(problems)
    root = Path(os.path.abspath(root))
    infos = {task.id: task for task in project.tasks}
    tasks: list[PlannedTask] = []
    for node in graph.tasks:
        info = infos.get(node.id)
        if info is None:
            problems.append(f"task `{node.name}` of pipeline {pipeline.label} was not found")
            continue
        planned = _planned_task(info, graph.dependencies(node.id), root)
        if isinstance(planned, str):
            problems.append(planned)
        else:
            tasks.append(planned)
    if problems:
        raise CompileError(problems)
    return Plan(
        pipeline=pipeline.name or pipeline.variable or "pipeline",
        tasks=tuple(tasks),
        order=graph.order,
        datasets=_datasets(project, tasks, root),
        target_options={name: dict(table) for name, table in sorted(target_options.items())},
        lock_file=next((name for name in LOCK_FILES if (root / name).is_file()), None),
        has_pyproject=(root / "pyproject.toml").is_file(),
    )


def _planned_task(info: TaskInfo, dependencies: tuple[str, ...], root: Path) -> PlannedTask | str:
    if info.span is None:
        return f"task `{info.name}` has no source file, so it cannot be packaged"
    try:
        relative = Path(os.path.abspath(info.span.filename)).relative_to(root)
    except ValueError:
        return (
            f"task `{info.name}` is defined in {info.span.filename}, outside the project root "
            f"{root}; move it into the project (the folder with pyproject.toml)"
        )
    source = PurePosixPath(relative.as_posix())
    module, import_root = _module_and_root(info, source)
    options = {
        name: getattr(info, name) for name in TASK_OPTION_FIELDS if getattr(info, name, None)
    }
    return PlannedTask(
        id=info.id,
        name=info.name,
        module=module,
        source=source.as_posix(),
        import_root=import_root,
        inputs=tuple(info.inputs),
        output=info.output,
        compute=dict(info.compute) if info.compute is not None else dict(DEFAULT_COMPUTE),
        dependencies=dependencies,
        options=options,
    )


def _module_and_root(info: TaskInfo, source: PurePosixPath) -> tuple[str, str]:
    """The module a task is imported from and the folder that makes it importable.

    The module comes from the task id (module-qualified, the same statically and at run
    time, even for a script run as ``__main__``); the folder is the source path without
    the module's own parts.
    """
    module = info.id[: -len(info.name) - 1] if info.id.endswith("." + info.name) else ""
    parts = source.with_suffix("").parts
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    dotted = module.split(".") if module else []
    if dotted and tuple(parts[-len(dotted) :]) == tuple(dotted):
        folder = parts[: -len(dotted)]
    else:  # not importable by its id (a script): import the file as a top-level module
        dotted, folder = [source.stem], source.parent.parts
    return ".".join(dotted), PurePosixPath(*folder).as_posix() if folder else "."


def _datasets(project: Project, tasks: list[PlannedTask], root: Path) -> tuple[PlannedDataset, ...]:
    producers: dict[str, str] = {}
    consumers: dict[str, list[str]] = {}
    order: dict[str, None] = {}
    for task in tasks:
        for item in task.inputs:
            order.setdefault(item.dataset)
            consumers.setdefault(item.dataset, []).append(task.id)
        if task.output is not None:
            order.setdefault(task.output)
            producers.setdefault(task.output, task.id)
    # A static project may declare a name in several unrelated programs: prefer the
    # declaration in a file of this pipeline's tasks.
    files = {(root / task.source).as_posix() for task in tasks}
    declared: dict[str, DatasetInfo] = {}
    for info in project.datasets:
        if info.name not in order:
            continue
        first = declared.get(info.name)
        if first is None or (_in(info, files) and not _in(first, files)):
            declared[info.name] = info
    planned: list[PlannedDataset] = []
    for name in order:
        known = declared.get(name)
        storage = known.storage if known is not None else None
        planned.append(
            PlannedDataset(
                name=name,
                storage=dict(storage) if storage is not None else None,
                producer=producers.get(name),
                consumers=tuple(dict.fromkeys(consumers.get(name, ()))),
            )
        )
    return tuple(planned)


def _in(info: DatasetInfo, files: set[str]) -> bool:
    return info.span is not None and Path(os.path.abspath(info.span.filename)).as_posix() in files

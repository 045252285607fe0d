"""Run one task in the cloud: import its module, read its inputs, call it, commit its output.

The same code serves the container entry point (``python -m glacier.cloud.run``) and the
Lambda handler. The module is imported with the import guard on, so a module's own
top-level ``pipeline.run()`` and ``compile()`` calls are skipped. Datasets without storage
live in the deployment bucket, one folder per dataset and execution.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from glacier.cloud.locations import intermediate_location
from glacier.runtime.errors import GlacierError
from glacier.runtime.task import Task


class EntryError(GlacierError):
    """The task cannot be set up (unknown task, no run id or location): not the task's fault."""


@dataclass(frozen=True)
class TaskCall:
    """Which task to run in which execution."""

    task_id: str
    run_id: str
    #: The module that defines the task; default: the task id without its last part.
    module: str | None = None
    #: Run parameters (``--param``), set on the task's parameters of those names.
    params: Mapping[str, Any] | None = None
    #: The deployment bucket's URI, where datasets without storage live.
    deployment_uri: str | None = None


def find_task(task_id: str, module_name: str | None) -> Task[Any, Any]:
    """Import the task's module under the import guard and return the task.

    Raises:
        EntryError: if the module has no task with that id.
    """
    from glacier.run.loading import TargetError, _import

    name = module_name or task_id.rpartition(".")[0]
    if not name:
        raise EntryError(f"task id `{task_id}` names no module; pass --module")
    try:
        module = _import(name, name)
    except TargetError as error:
        raise EntryError(f"{error}\n{error.user_traceback}".rstrip()) from None
    for value in vars(module).values():
        if isinstance(value, Task) and value.id == task_id:
            return value
    for value in vars(module).values():  # ids of a module run as a script
        if isinstance(value, Task) and value.id.rpartition(".")[2] == task_id.rpartition(".")[2]:
            return value
    raise EntryError(f"module `{name}` has no task `{task_id}`")


def location_for(dataset: Any, call: TaskCall) -> str | None:
    """``None`` for a dataset with storage, else its folder in this execution."""
    if dataset.storage is not None:
        return None
    base = call.deployment_uri or os.environ.get("GLACIER_DEPLOYMENT_URI")
    if not base:
        raise EntryError(
            f"dataset `{dataset.name}` has no storage and no deployment bucket is known; "
            "set GLACIER_DEPLOYMENT_URI (the deployment sets it)"
        )
    return intermediate_location(base, dataset.name, call.run_id)


def run_task(call: TaskCall) -> Any:
    """Run the task once: inputs from storage, the call, the output committed.

    Returns the task's return value. Raises whatever the task raises, `StorageError`
    for data that cannot be read or written, `EntryError` for a setup problem.
    """
    from glacier.storage import read_dataset, write_dataset

    task = find_task(call.task_id, call.module)
    arguments: dict[str, Any] = {
        parameter: read_dataset(dataset, location=location_for(dataset, call))
        for parameter, dataset in task.inputs.items()
    }
    params = dict(call.params or {})
    if params:
        for name, parameter in inspect.signature(task.fn).parameters.items():
            if (
                name in params
                and name not in arguments
                and parameter.default is not parameter.empty
            ):
                arguments[name] = params[name]
    value = task.fn(**arguments)
    output = task.output
    if output is not None:
        write_dataset(
            output,
            value,
            location=location_for(output, call),
            run_id=call.run_id,
            task_id=task.id,
        )
    return value

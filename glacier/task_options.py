"""The options of ``@task(...)`` besides ``compute``: retries, caching and secrets.

The runtime and the static analyzer validate them with the same `validate_task_options`,
so ``glacier check`` and the decorator reject exactly the same values with the same messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Option name -> its default, in the order messages and JSON list them.
TASK_OPTION_DEFAULTS: dict[str, Any] = {
    "retries": 0,
    "cache": True,
    "cache_version": None,
    "secrets": (),
}


class TaskOptionError(ValueError):
    """A ``@task(...)`` option with a bad value."""


@dataclass(frozen=True)
class TaskOptions:
    """How a task is run besides where: retries, caching, the secrets it needs."""

    #: Further attempts after a failure (0: run once).
    retries: int = 0
    #: Whether a run with the cache on may reuse this task's earlier result.
    cache: bool = True
    #: Part of the task's cache key: change it to invalidate earlier results by hand.
    cache_version: str | int | None = None
    #: Names or ARNs of the secrets the task needs (compile targets pass them in).
    secrets: tuple[str, ...] = ()


def validate_task_options(options: Mapping[str, Any], task: str | None = None) -> list[str]:
    """Every problem with the given ``@task(...)`` options, as messages a user can act on.

    >>> validate_task_options({"retries": -1}, "load")
    ['`retries` of task `load` must be a whole number of retries, 0 or more, got -1']
    >>> validate_task_options({"secrets": "db-password"})
    ['`secrets` of `@task()` must be a list of secret names or ARNs, e.g. ["db-password"], got str']
    """
    subject = f"task `{task}`" if task else "`@task()`"
    problems: list[str] = []
    for name, value in options.items():
        if name not in TASK_OPTION_DEFAULTS:
            problems.append(f"`@task()` has no option `{name}`")
        elif name == "retries":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                problems.append(
                    f"`retries` of {subject} must be a whole number of retries, 0 or more, "
                    f"got {value!r}"
                )
        elif name == "cache":
            if not isinstance(value, bool):
                problems.append(f"`cache` of {subject} must be True or False, got {value!r}")
        elif name == "cache_version":
            if value is not None and (isinstance(value, bool) or not isinstance(value, (str, int))):
                problems.append(
                    f"`cache_version` of {subject} must be a str or an int, "
                    f"got {type(value).__name__} {value!r}"
                )
        elif name == "secrets":
            problems.extend(_secret_problems(value, subject))
    return problems


def _secret_problems(value: Any, subject: str) -> list[str]:
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        return [
            f"`secrets` of {subject} must be a list of secret names or ARNs, "
            f'e.g. ["db-password"], got {type(value).__name__}'
        ]
    return [
        f"`secrets` of {subject} must hold non-empty strings, got {item!r}"
        for item in value
        if not isinstance(item, str) or not item.strip()
    ]


def make_task_options(task: str | None = None, **options: Any) -> TaskOptions:
    """Validate and build task options.

    Raises:
        TaskOptionError: listing every problem with the options.
    """
    problems = validate_task_options(options, task)
    if problems:
        raise TaskOptionError("; ".join(problems))
    values = {**TASK_OPTION_DEFAULTS, **options}
    return TaskOptions(
        retries=values["retries"],
        cache=values["cache"],
        cache_version=values["cache_version"],
        secrets=tuple(values["secrets"]),
    )

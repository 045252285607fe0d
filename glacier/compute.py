"""Provider-agnostic compute declarations: ``compute.local()``, ``.container()``, ``.serverless()``.

These are immutable, validated value objects. The static analyzer validates literal
arguments with the same `validate_compute` function, so `glacier check` and the runtime
reject exactly the same calls with the same messages.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Any, Literal

ComputeKind = Literal["local", "container", "serverless"]

#: Each kind's parameters: name -> (accepted types, required, must be positive).
_FIELDS: dict[str, dict[str, tuple[tuple[type, ...], bool, bool]]] = {
    "local": {"workers": ((int,), False, True)},
    "container": {
        "image": ((str,), True, False),
        "cpu": ((int, float), False, True),
        "memory": ((int,), False, True),
    },
    "serverless": {"memory": ((int,), False, True), "timeout": ((int, float), False, True)},
}
_DEFAULTS: dict[str, dict[str, Any]] = {
    "local": {"workers": 1},
    "container": {"cpu": None, "memory": None},
    "serverless": {"memory": None, "timeout": None},
}
_UNITS = {"memory": "MB", "timeout": "seconds", "cpu": "CPUs", "workers": "workers"}

COMPUTE_KINDS: tuple[str, ...] = tuple(_FIELDS)


class ComputeError(ValueError):
    """A compute declaration with an unknown argument or a bad value."""


def validate_compute(kind: str, arguments: dict[str, Any]) -> list[str]:
    """Every problem with ``compute.<kind>(**arguments)``, as messages a user can act on.

    >>> print(validate_compute("container", {"image": "spark", "cpus": 4})[0])
    `compute.container()` has no argument `cpus` (did you mean `cpu`?); it takes image, cpu, memory
    >>> validate_compute("serverless", {"memory": -1})
    ['`memory` of `compute.serverless()` must be a positive number of MB, got -1']
    """
    fields = _FIELDS.get(kind)
    if fields is None:
        hint = _did_you_mean(kind, list(_FIELDS))
        kinds = ", ".join(_FIELDS)
        return [f"`compute.{kind}()` is not a compute kind{hint}; use one of {kinds}"]
    problems: list[str] = []
    for name, value in arguments.items():
        if name not in fields:
            hint = _did_you_mean(name, list(fields))
            problems.append(
                f"`compute.{kind}()` has no argument `{name}`{hint}; it takes {', '.join(fields)}"
            )
            continue
        types, _, positive = fields[name]
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, types):
            expected = " or ".join(t.__name__ for t in types)
            problems.append(
                f"`{name}` of `compute.{kind}()` must be {expected}, got {type(value).__name__} "
                f"{value!r}"
            )
        elif positive and not (
            isinstance(value, (int, float)) and value > 0 and math.isfinite(value)
        ):
            problems.append(
                f"`{name}` of `compute.{kind}()` must be a positive number of {_UNITS[name]}, "
                f"got {value!r}"
            )
        elif isinstance(value, str) and not value.strip():
            problems.append(f"`{name}` of `compute.{kind}()` must not be empty")
    for name, (_, required, _) in fields.items():
        if required and arguments.get(name) is None:
            problems.append(f"`compute.{kind}()` needs `{name}=`")
    return problems


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean `{close[0]}`?)" if close else ""


@dataclass(frozen=True)
class Compute:
    """Where and how a task runs. Build one with `local`, `container` or `serverless`."""

    kind: ComputeKind
    #: The validated arguments with defaults filled in, in declaration order.
    options: tuple[tuple[str, Any], ...]

    def __getattr__(self, name: str) -> Any:
        if name == "options":
            # Unpickling looks attributes up before `options` is set: no recursion.
            raise AttributeError(name)
        for key, value in self.options:
            if key == name:
                return value
        raise AttributeError(name)

    def to_dict(self) -> dict[str, Any]:
        """The spec's JSON shape: ``{"kind": ..., <options>}``."""
        return {"kind": self.kind, **dict(self.options)}

    def summary(self) -> str:
        """A short label such as ``container · spark:latest · 4 CPU · 8 GB``."""
        return summarize_compute(self.to_dict())


def make_compute(kind: str, arguments: dict[str, Any]) -> Compute:
    """Validate and build a compute declaration.

    Raises:
        ComputeError: listing every problem with the arguments.
    """
    problems = validate_compute(kind, arguments)
    if problems:
        raise ComputeError("; ".join(problems))
    values = {**_DEFAULTS[kind], **arguments}
    options = tuple((name, values.get(name)) for name in _FIELDS[kind])
    return Compute(kind, options)  # type: ignore[arg-type]


def normalize_compute(kind: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """The JSON dict of a valid declaration, with defaults; used by the static analyzer."""
    return make_compute(kind, arguments).to_dict()


def summarize_compute(compute: dict[str, Any]) -> str:
    """A short human label for a compute dict, as shown in graphs and hovers.

    >>> summarize_compute({"kind": "serverless", "memory": 512, "timeout": None})
    'serverless · 512 MB'
    >>> summarize_compute({"kind": "container", "image": "spark:latest", "cpu": 4, "memory": 8192})
    'container · spark:latest · 4 CPU · 8 GB'
    """
    parts = [str(compute.get("kind"))]
    if compute.get("image"):
        parts.append(str(compute["image"]))
    if compute.get("cpu") is not None:
        parts.append(f"{_number(compute['cpu'])} CPU")
    if compute.get("memory") is not None:
        memory = compute["memory"]
        parts.append(f"{_number(memory / 1024)} GB" if memory >= 1024 else f"{memory} MB")
    if compute.get("timeout") is not None:
        parts.append(f"{_number(compute['timeout'])} s")
    if compute.get("kind") == "local" and compute.get("workers", 1) != 1:
        parts.append(f"{compute['workers']} workers")
    return " · ".join(parts)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def local(*, workers: int = 1) -> Compute:
    """Run in the local process pool (for development).

    Raises:
        ComputeError: if ``workers`` is not a positive int.
    """
    return make_compute("local", {"workers": workers})


def container(image: str, *, cpu: float | None = None, memory: int | None = None) -> Compute:
    """Run in a container (Docker, Kubernetes, ECS... chosen at compile time).

    Args:
        image: the container image, e.g. ``"spark:latest"``.
        cpu: CPUs to reserve.
        memory: memory to reserve, in MB.

    Raises:
        ComputeError: if an argument has the wrong type or is not positive.
    """
    return make_compute("container", {"image": image, "cpu": cpu, "memory": memory})


def serverless(*, memory: int | None = None, timeout: float | None = None) -> Compute:
    """Run as a serverless function (Lambda, Cloud Functions...).

    Args:
        memory: memory in MB.
        timeout: timeout in seconds.

    Raises:
        ComputeError: if an argument has the wrong type or is not positive.
    """
    return make_compute("serverless", {"memory": memory, "timeout": timeout})

"""What AWS can run: the one definition of the limits that compile errors and GLC015 report.

Figures: AWS Lambda quotas (memory 128–10,240 MB, timeout at most 900 s) and the task
sizes AWS Fargate accepts (CPU units and their memory ranges).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

LAMBDA_MIN_MEMORY = 128
LAMBDA_MAX_MEMORY = 10_240
LAMBDA_MAX_TIMEOUT = 900
#: A serverless task without ``memory=`` gets this much (MB).
DEFAULT_LAMBDA_MEMORY = 1024
#: A serverless task without ``timeout=`` may run this long (s): Lambda's own 3 s default
#: would stop almost any data task, so the default is the longest Lambda allows.
DEFAULT_LAMBDA_TIMEOUT = 900


def _steps(low: int, high: int, step: int) -> tuple[int, ...]:
    return tuple(range(low, high + 1, step))


#: Fargate CPU units -> the memory sizes (MB) allowed with them.
FARGATE_SIZES: tuple[tuple[int, tuple[int, ...]], ...] = (
    (256, (512, 1024, 2048)),
    (512, _steps(1024, 4096, 1024)),
    (1024, _steps(2048, 8192, 1024)),
    (2048, _steps(4096, 16384, 1024)),
    (4096, _steps(8192, 30720, 1024)),
    (8192, _steps(16384, 61440, 4096)),
    (16384, _steps(32768, 122880, 8192)),
)
FARGATE_MAX_CPU = FARGATE_SIZES[-1][0] // 1024
FARGATE_MAX_MEMORY = FARGATE_SIZES[-1][1][-1]


def fargate_size(cpu: float | None, memory: int | None) -> tuple[int, int] | None:
    """The smallest Fargate (CPU units, memory MB) with at least ``cpu`` vCPUs and ``memory`` MB.

    >>> fargate_size(4, 8192)
    (4096, 8192)
    >>> fargate_size(8, None)
    (8192, 16384)
    >>> fargate_size(0.3, 3000)
    (512, 3072)
    >>> fargate_size(32, None) is None
    True
    """
    units = math.ceil(cpu * 1024) if cpu is not None else 0
    wanted = memory or 0
    for size, memories in FARGATE_SIZES:
        if size < units:
            continue
        fitting = [m for m in memories if m >= wanted]
        if fitting:
            return size, fitting[0]
    return None


def container_size(compute: Mapping[str, Any]) -> tuple[int, int] | None:
    """The Fargate size of a ``container`` or ``local`` task (local: one vCPU per worker)."""
    if compute.get("kind") == "local":
        return fargate_size(float(compute.get("workers") or 1), None)
    return fargate_size(compute.get("cpu"), compute.get("memory"))


def compute_problems(compute: Mapping[str, Any]) -> list[str]:
    """Why AWS cannot run a task with this compute; empty when it can.

    >>> compute_problems({"kind": "serverless", "memory": 512, "timeout": None})
    []
    """
    kind = compute.get("kind")
    problems: list[str] = []
    if kind == "serverless":
        memory, timeout = compute.get("memory"), compute.get("timeout")
        if memory is not None and not LAMBDA_MIN_MEMORY <= memory <= LAMBDA_MAX_MEMORY:
            problems.append(
                f"`compute.serverless(memory={memory})` asks for {memory:,} MB; AWS Lambda gives "
                f"a function {LAMBDA_MIN_MEMORY} to {LAMBDA_MAX_MEMORY:,} MB"
            )
        if timeout is not None and timeout > LAMBDA_MAX_TIMEOUT:
            problems.append(
                f"`compute.serverless(timeout={timeout:g})` is longer than AWS Lambda's limit of "
                f"{LAMBDA_MAX_TIMEOUT} s; use `compute.container(...)` for longer tasks"
            )
    elif kind in ("container", "local") and container_size(compute) is None:
        if kind == "local":
            asked = f"`compute.local(workers={compute.get('workers')})`"
        else:
            arguments = ", ".join(
                f"{name}={compute[name]!r}" for name in ("cpu", "memory") if compute.get(name)
            )
            asked = f"`compute.container({arguments})`"
        problems.append(
            f"{asked} fits no AWS Fargate size; the largest is {FARGATE_MAX_CPU} vCPU with "
            f"{FARGATE_MAX_MEMORY // 1024} GB ({FARGATE_MAX_MEMORY:,} MB)"
        )
    return problems


def storage_problems(storage: Mapping[str, Any]) -> list[str]:
    """Why a task on AWS cannot reach this storage; empty for S3."""
    kind = storage.get("kind")
    if kind == "s3":
        return []
    where = storage.get("uri", kind)
    return [
        f"its storage {where} ({kind}) cannot be reached from AWS tasks; declare it with "
        "`S3(bucket=..., prefix=...)`"
    ]

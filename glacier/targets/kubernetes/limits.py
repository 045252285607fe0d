"""What Kubernetes (with Argo) cannot run as declared: the target's limits, written once.

`compile` refuses a pipeline with any of these problems before writing a file; the
GLC015 target-limit rule reports the same problems as diagnostics when
``[tool.glacier] target = "kubernetes"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from glacier.targets.kubernetes.manifests import KubernetesPlan, image_of
from glacier.targets.kubernetes.names import cpu_quantity, memory_quantity
from glacier.targets.kubernetes.target import (
    MIN_CPU,
    KubernetesTarget,
    image_problem,
    secret_reference_problem,
)


@dataclass(frozen=True)
class LimitProblem:
    """One thing the target cannot deploy, about a task, a dataset or an option."""

    subject: Literal["task", "dataset", "option"]
    #: The task id, dataset name, or option name.
    name: str
    message: str


def limit_problems(plan: KubernetesPlan, target: KubernetesTarget) -> list[LimitProblem]:
    """Every limit the plan breaks on this target, tasks first, in plan order."""
    problems = [LimitProblem("option", "kubernetes", m) for m in target.option_problems()]
    for task in plan.tasks:
        compute = dict(task.compute or {})
        where = f"task `{task.id}`"
        cpu = compute.get("cpu") if compute.get("kind") == "container" else None
        memory = compute.get("memory") if compute.get("kind") != "local" else None
        if cpu is not None and float(cpu) < MIN_CPU:
            problems.append(
                LimitProblem(
                    "task",
                    task.id,
                    f"{where} asks for cpu={cpu}; Kubernetes counts CPU in millicores, "
                    f"so it needs at least {MIN_CPU}",
                )
            )
        elif cpu is not None and target.max_cpu is not None and float(cpu) > target.max_cpu:
            problems.append(
                LimitProblem(
                    "task",
                    task.id,
                    f"{where} asks for {cpu_quantity(float(cpu))} CPUs but the largest node "
                    f"has {target.max_cpu} (max_cpu in [tool.glacier.kubernetes])",
                )
            )
        if memory is not None and target.max_memory is not None and memory > target.max_memory:
            problems.append(
                LimitProblem(
                    "task",
                    task.id,
                    f"{where} asks for {memory_quantity(int(memory))} of memory but the largest "
                    f"node has {memory_quantity(target.max_memory)} "
                    "(max_memory in [tool.glacier.kubernetes])",
                )
            )
        image = image_of(task, target)
        if image != target.runner_image and (problem := image_problem(image)) is not None:
            problems.append(
                LimitProblem("task", task.id, f"{where} runs image `{image}`, which {problem}")
            )
        for reference in task.secrets:
            if (problem := secret_reference_problem(reference)) is not None:
                problems.append(
                    LimitProblem(
                        "task", task.id, f"{where} reads secret `{reference}`, which {problem}"
                    )
                )
    for dataset in plan.datasets:
        kind = (dataset.storage or {}).get("kind")
        if kind == "local":
            problems.append(
                LimitProblem(
                    "dataset",
                    dataset.name,
                    f"dataset `{dataset.name}` is stored on a local path, which pods cannot "
                    "reach; give it S3, GCS or AzureBlob storage",
                )
            )
        elif dataset.storage is None and target.data is None:
            problems.append(
                LimitProblem(
                    "dataset",
                    dataset.name,
                    f'dataset `{dataset.name}` has no storage; set `data = "s3://bucket/prefix/"` '
                    "in [tool.glacier.kubernetes] (or KubernetesTarget(data=...)) for datasets "
                    "without storage",
                )
            )
    return problems

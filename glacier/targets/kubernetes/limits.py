"""What Kubernetes (with Argo) cannot run as declared: this target's limits, written once.

`compute_problems` and `storage_problems` need no options, so the GLC015 target-limit rule
reports them from source when ``[tool.glacier] target = "kubernetes"``; `plan_problems`
adds what depends on the options (the largest node, the data location, names). Compile
refuses a plan with any of them before writing a file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from glacier.targets.kubernetes.manifests import image_of, secrets_of, step_names
from glacier.targets.kubernetes.names import cpu_quantity, memory_quantity

if TYPE_CHECKING:
    from glacier.compile.plan import Plan
    from glacier.targets.kubernetes.target import KubernetesTarget

#: The smallest CPU amount Kubernetes can express (1 millicore).
MIN_CPU = 0.001
#: Schemes of object storage a pod can reach with its cloud identity.
OBJECT_STORES = ("s3://", "gs://", "az://", "abfs://")

# The reference grammar of container images (registry[:port]/path[:tag][@digest]), after
# the distribution spec: lowercase path components, tags of at most 128 characters.
_IMAGE = re.compile(
    r"(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?"
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
    r"(?:@sha256:[a-f0-9]{64})?"
)


def image_problem(image: str) -> str | None:
    """Why ``image`` is not a container image reference Kubernetes can pull, or None."""
    if _IMAGE.fullmatch(image):
        return None
    return (
        f"image `{image}` is not a valid image reference (registry/path:tag, the path in "
        "lowercase letters, digits and separators)"
    )


def compute_problems(compute: Mapping[str, Any]) -> list[str]:
    """Why a task with this compute cannot run on Kubernetes, whatever the options."""
    problems: list[str] = []
    if compute.get("kind") != "container":
        return problems
    cpu = compute.get("cpu")
    if cpu is not None and float(cpu) < MIN_CPU:
        problems.append(
            f"cpu={cpu} is below the smallest amount Kubernetes can request, "
            f"1 millicore (cpu={MIN_CPU})"
        )
    image = compute.get("image")
    if isinstance(image, str) and (problem := image_problem(image)) is not None:
        problems.append(problem)
    return problems


def storage_problems(storage: Mapping[str, Any]) -> list[str]:
    """Why a pod cannot reach a dataset stored here."""
    if storage.get("kind") == "local":
        return [
            "is stored on a local path, which pods cannot reach; give it S3, GCS or "
            "AzureBlob storage"
        ]
    return []


def plan_problems(plan: Plan, target: KubernetesTarget) -> list[str]:
    """The limits that depend on the target's options, each naming its task, dataset or option."""
    problems = [f"option {p}" for p in target.option_problems()]
    for task in plan.tasks:
        compute = task.compute
        where = f"task `{task.name}`"
        cpu = compute.get("cpu") if compute.get("kind") == "container" else None
        memory = compute.get("memory") if compute.get("kind") != "local" else None
        if cpu is not None and target.max_cpu is not None and float(cpu) > target.max_cpu:
            problems.append(
                f"{where}: asks for {cpu_quantity(float(cpu))} CPUs but the largest node has "
                f"{target.max_cpu:g} (max_cpu in [tool.glacier.kubernetes])"
            )
        if memory is not None and target.max_memory is not None and memory > target.max_memory:
            problems.append(
                f"{where}: asks for {memory_quantity(int(memory))} of memory but the largest "
                f"node has {memory_quantity(target.max_memory)} "
                "(max_memory in [tool.glacier.kubernetes])"
            )
        image = image_of(task, target)
        declared = compute.get("image")
        if image not in (target.runner_image, declared) and (p := image_problem(image)):
            problems.append(f"{where}: {p}")
        for reference in secrets_of(task):
            if (problem := target.secret_reference_problem(reference)) is not None:
                problems.append(f"{where}: secret `{reference}` {problem}")
    names = step_names(plan)
    if len(set(names.values())) < len(names):  # pragma: no cover - to_label keeps ids apart
        problems.append("two tasks map to one Argo step name; rename one of them")
    for dataset in plan.datasets:
        if dataset.storage is None and target.data is None:
            problems.append(
                f"dataset `{dataset.name}`: has no storage; set "
                '`data = "s3://bucket/prefix/"` in [tool.glacier.kubernetes] '
                "(or KubernetesTarget(data=...)) for datasets without storage"
            )
    return problems

"""Kubernetes objects for one pipeline: an Argo WorkflowTemplate and the RBAC it runs under.

Pure functions from the target-independent `Plan` and the target's options to dicts in a
fixed key order.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from glacier.cloud.secrets import secret_variable
from glacier.compile.plan import Plan, PlannedTask
from glacier.targets.kubernetes.names import (
    WORKFLOW_TEMPLATE_MAX,
    cpu_quantity,
    memory_quantity,
    to_label,
)

if TYPE_CHECKING:
    from glacier.targets.kubernetes.target import KubernetesTarget

ARGO_API = "argoproj.io/v1alpha1"
#: The DAG template's name. `to_label` never writes ``--``, so no task template can take it.
DAG_TEMPLATE = "glacier--dag"
#: Argo's variable for the id of the running Workflow: every step of one run shares it.
RUN_ID = "{{workflow.uid}}"
#: Environment variable that tells the entry point where datasets without storage live
#: (``<data>intermediate/<dataset>/<run id>/``, as on AWS).
DATA_ENV = "GLACIER_DEPLOYMENT_URI"
#: Environment variable naming the module that defines the task.
MODULE_ENV = "GLACIER_MODULE"
#: A writable scratch folder: the root file system is read-only.
SCRATCH = "/tmp"


def secrets_of(task: PlannedTask) -> tuple[str, ...]:
    """The Kubernetes Secrets (``name`` or ``name/key``) a task names with ``@task(secrets=)``."""
    return tuple(str(secret) for secret in task.options.get("secrets", ()))


def step_names(plan: Plan) -> dict[str, str]:
    """Task id → its DAG task and template name: ``shop.clean_users`` → ``clean-users``.

    The function's name when no other task of the pipeline shares it, else the whole id.
    """
    counts = Counter(task.name for task in plan.tasks)
    return {
        task.id: to_label(task.name if counts[task.name] == 1 else task.id) for task in plan.tasks
    }


def workflow_template_name(plan: Plan) -> str:
    """The pipeline's name as a WorkflowTemplate name (room left for Workflow suffixes)."""
    return to_label(plan.pipeline, WORKFLOW_TEMPLATE_MAX)


def service_account_name(plan: Plan, target: KubernetesTarget) -> str:
    return target.service_account or to_label(f"{plan.pipeline}-glacier")


def _labels(plan: Plan) -> dict[str, str]:
    return {
        "app.kubernetes.io/managed-by": "glacier",
        "app.kubernetes.io/part-of": workflow_template_name(plan),
    }


def _metadata(name: str, plan: Plan, target: KubernetesTarget) -> dict[str, Any]:
    return {"name": name, "namespace": target.namespace, "labels": _labels(plan)}


def rbac_objects(plan: Plan, target: KubernetesTarget) -> list[dict[str, Any]]:
    """The ServiceAccount (unless the target names an existing one), Role and RoleBinding.

    Argo's executor (emissary, Argo 3.4 and later) records each step's outputs in a
    `WorkflowTaskResult`; that is all the pod itself needs from the Kubernetes API. Access to
    the data comes from the pod's cloud identity, set by the ServiceAccount's annotations.
    """
    account = service_account_name(plan, target)
    role = to_label(f"{workflow_template_name(plan)}-executor")
    objects: list[dict[str, Any]] = []
    if target.service_account is None:
        metadata = _metadata(account, plan, target)
        if target.service_account_annotations:
            metadata["annotations"] = dict(sorted(target.service_account_annotations.items()))
        objects.append({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata})
    objects.append(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": _metadata(role, plan, target),
            "rules": [
                {
                    "apiGroups": ["argoproj.io"],
                    "resources": ["workflowtaskresults"],
                    "verbs": ["create", "patch"],
                }
            ],
        }
    )
    objects.append(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": _metadata(role, plan, target),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
            "subjects": [
                {"kind": "ServiceAccount", "name": account, "namespace": target.namespace}
            ],
        }
    )
    return objects


def workflow_template(plan: Plan, target: KubernetesTarget) -> dict[str, Any]:
    """The Argo WorkflowTemplate: one DAG template, one container template per task."""
    names = step_names(plan)
    return {
        "apiVersion": ARGO_API,
        "kind": "WorkflowTemplate",
        "metadata": _metadata(workflow_template_name(plan), plan, target),
        "spec": {
            "entrypoint": DAG_TEMPLATE,
            "serviceAccountName": service_account_name(plan, target),
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": target.run_as_user,
                "runAsGroup": target.run_as_user,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "podMetadata": {"labels": _labels(plan)},
            "volumes": [{"name": "scratch", "emptyDir": {}}],
            "templates": [
                _dag(plan, names),
                *(_container_template(t, names[t.id], target) for t in plan.tasks),
            ],
        },
    }


def _dag(plan: Plan, names: Mapping[str, str]) -> dict[str, Any]:
    tasks: list[dict[str, Any]] = []
    for task in plan.tasks:
        entry: dict[str, Any] = {"name": names[task.id], "template": names[task.id]}
        if task.dependencies:
            # `.Succeeded` on every input: a failed or skipped producer skips its consumers
            # (Argo marks them Omitted, and theirs in turn); other branches go on.
            entry["depends"] = " && ".join(
                f"{names[dependency]}.Succeeded" for dependency in task.dependencies
            )
        tasks.append(entry)
    return {"name": DAG_TEMPLATE, "dag": {"failFast": False, "tasks": tasks}}


def image_of(task: PlannedTask, target: KubernetesTarget) -> str:
    """``compute.container(image=...)`` (or what ``images`` maps it to), else the runner image."""
    compute = task.compute or {}
    if compute.get("kind") == "container" and compute.get("image"):
        declared = str(compute["image"])
        return target.images.get(declared, declared)
    return target.runner_image


def resources_of(task: PlannedTask) -> dict[str, Any]:
    """Requests equal to limits (Guaranteed QoS) for what the task's compute states."""
    compute = task.compute or {}
    amounts: dict[str, str] = {}
    if compute.get("kind") == "container" and compute.get("cpu") is not None:
        amounts["cpu"] = cpu_quantity(float(compute["cpu"]))
    if compute.get("kind") in ("container", "serverless") and compute.get("memory") is not None:
        amounts["memory"] = memory_quantity(int(compute["memory"]))
    return {"requests": dict(amounts), "limits": dict(amounts)} if amounts else {}


def command_of(task: PlannedTask) -> list[str]:
    """What every step runs: the one cloud entry point, for this task, in this run."""
    return ["python", "-m", "glacier.cloud.run", "--task", task.id, "--run-id", RUN_ID]


def environment_of(task: PlannedTask, target: KubernetesTarget) -> list[dict[str, Any]]:
    """Plain settings, then secrets by reference (never a value), in a stable order."""
    plain: dict[str, str] = {"HOME": SCRATCH, MODULE_ENV: task.module}
    if target.data is not None:
        plain[DATA_ENV] = target.data
    plain.update(target.env)
    env: list[dict[str, Any]] = [{"name": k, "value": v} for k, v in sorted(plain.items())]
    references = {**target.secrets, **{secret_variable(s): s for s in secrets_of(task)}}
    for variable, reference in sorted(references.items()):
        secret, _, key = reference.partition("/")
        env.append(
            {
                "name": variable,
                "valueFrom": {"secretKeyRef": {"name": secret, "key": key or "value"}},
            }
        )
    return env


def _container_template(task: PlannedTask, name: str, target: KubernetesTarget) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": "main",
        "image": image_of(task, target),
        "command": command_of(task),
        "env": environment_of(task, target),
    }
    resources = resources_of(task)
    if resources:
        container["resources"] = resources
    container["securityContext"] = {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    container["volumeMounts"] = [{"name": "scratch", "mountPath": SCRATCH}]
    template: dict[str, Any] = {
        "name": name,
        "metadata": {"annotations": {"glacier.dev/task": task.id}},
        "container": container,
    }
    compute = task.compute or {}
    if compute.get("kind") == "serverless" and compute.get("timeout") is not None:
        template["activeDeadlineSeconds"] = math.ceil(float(compute["timeout"]))
    return template

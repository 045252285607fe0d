"""The files of a Kubernetes deployment, as text, from a plan and the target's options."""

from __future__ import annotations

import json
from typing import Any

from glacier.targets.kubernetes.limits import LimitProblem, limit_problems
from glacier.targets.kubernetes.manifests import (
    KubernetesPlan,
    rbac_objects,
    workflow_template,
    workflow_template_name,
)
from glacier.targets.kubernetes.target import KubernetesTarget
from glacier.targets.kubernetes.yaml import dump_documents

WORKFLOW_TEMPLATE_FILE = "workflow-template.yaml"
RBAC_FILE = "rbac.yaml"
TERRAFORM_FILE = "kubernetes.tf.json"


class KubernetesCompileError(ValueError):
    """The pipeline breaks limits of the Kubernetes target; nothing was written."""

    def __init__(self, problems: list[LimitProblem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p.message}" for p in problems)
        super().__init__(f"cannot compile for Kubernetes:\n{lines}")


def manifests(plan: KubernetesPlan, target: KubernetesTarget) -> list[dict[str, Any]]:
    """Every object, RBAC first (a WorkflowTemplate names its ServiceAccount).

    Raises:
        KubernetesCompileError: listing every limit the plan breaks.
    """
    problems = limit_problems(plan, target)
    if problems:
        raise KubernetesCompileError(problems)
    return [*rbac_objects(plan, target), workflow_template(plan, target)]


def kubernetes_files(plan: KubernetesPlan, target: KubernetesTarget) -> dict[str, str]:
    """File name → YAML text for ``kubectl apply -f DIR``."""
    objects = manifests(plan, target)
    return {
        RBAC_FILE: dump_documents(objects[:-1]),
        WORKFLOW_TEMPLATE_FILE: dump_documents(objects[-1:]),
    }


def terraform_files(plan: KubernetesPlan, target: KubernetesTarget) -> dict[str, str]:
    """The same objects as Terraform ``kubernetes_manifest`` resources (``*.tf.json``).

    Argo's ``{{...}}`` placeholders pass through Terraform untouched (it expands ``${``
    and ``%{`` only); the Argo CRDs must be installed before ``terraform plan``.
    """
    objects = manifests(plan, target)
    resources: dict[str, dict[str, Any]] = {}
    for item in objects:
        name = f"{item['kind'].lower()}_{item['metadata']['name']}".replace("-", "_")
        resources[name] = {"manifest": item}
    template = f"workflowtemplate_{workflow_template_name(plan)}".replace("-", "_")
    rbac = [name for name in resources if name != template]
    resources[template]["depends_on"] = [f"kubernetes_manifest.{name}" for name in rbac]
    document = {
        "terraform": {
            "required_providers": {
                "kubernetes": {"source": "hashicorp/kubernetes", "version": ">= 2.20"}
            }
        },
        "resource": {"kubernetes_manifest": resources},
    }
    return {TERRAFORM_FILE: json.dumps(document, indent=2, sort_keys=False) + "\n"}

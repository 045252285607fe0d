"""The files of a Kubernetes deployment: YAML manifests and a Terraform wrapper of them."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from glacier.compile.plan import CompileError, Plan
from glacier.targets.kubernetes.images import dockerfiles
from glacier.targets.kubernetes.manifests import (
    rbac_objects,
    workflow_template,
    workflow_template_name,
)
from glacier.targets.kubernetes.yaml import dump_documents

if TYPE_CHECKING:
    from glacier.targets.kubernetes.target import KubernetesTarget

#: ``kubectl apply -f manifests/`` applies exactly these (no other file kubectl would read).
MANIFESTS = "manifests"
RBAC_FILE = f"{MANIFESTS}/rbac.yaml"
WORKFLOW_TEMPLATE_FILE = f"{MANIFESTS}/workflow-template.yaml"
TERRAFORM_FILE = "kubernetes.tf.json"


def manifests(plan: Plan, target: KubernetesTarget) -> list[dict[str, Any]]:
    """Every object, RBAC first (the WorkflowTemplate names its ServiceAccount).

    Raises:
        CompileError: listing every limit the plan breaks on this target.
    """
    problems = target.problems(plan)
    if problems:
        raise CompileError([f"{target.name}: {problem}" for problem in problems])
    return [*rbac_objects(plan, target), workflow_template(plan, target)]


def render_files(plan: Plan, target: KubernetesTarget) -> dict[str, bytes]:
    """Path → bytes: the manifests as YAML, the same objects as Terraform JSON, Dockerfiles."""
    objects = manifests(plan, target)
    return {
        RBAC_FILE: dump_documents(objects[:-1]).encode(),
        WORKFLOW_TEMPLATE_FILE: dump_documents(objects[-1:]).encode(),
        TERRAFORM_FILE: _terraform(plan, objects).encode(),
        **dockerfiles(plan, target),
    }


def _terraform(plan: Plan, objects: list[dict[str, Any]]) -> str:
    """The objects as ``kubernetes_manifest`` resources.

    Argo's ``{{...}}`` placeholders pass through Terraform untouched (it expands ``${`` and
    ``%{`` only). The Argo CRDs must be installed before ``terraform plan``.
    """
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
    return json.dumps(document, indent=2) + "\n"

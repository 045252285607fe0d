"""Deployment targets: `AWSTarget` (Terraform for Lambda, ECS Fargate and Step Functions),
`KubernetesTarget` (an Argo Workflows WorkflowTemplate and its RBAC).

``TARGETS`` maps the names used by ``glacier compile --target`` and ``[tool.glacier] target``
to their classes.
"""

from __future__ import annotations

from glacier.targets.aws import AWSTarget
from glacier.targets.base import Target
from glacier.targets.kubernetes import KubernetesTarget

#: Targets by name (``--target aws``).
TARGETS: dict[str, type[Target]] = {
    AWSTarget.name: AWSTarget,
    KubernetesTarget.name: KubernetesTarget,
}

__all__ = ["TARGETS", "AWSTarget", "KubernetesTarget", "Target"]

"""Compile a pipeline to Kubernetes: an Argo Workflows WorkflowTemplate and its RBAC."""

from glacier.targets.kubernetes.limits import LimitProblem, limit_problems
from glacier.targets.kubernetes.render import KubernetesCompileError
from glacier.targets.kubernetes.target import (
    DEFAULT_RUNNER_IMAGE,
    KubernetesOptionError,
    KubernetesTarget,
)

__all__ = [
    "DEFAULT_RUNNER_IMAGE",
    "KubernetesCompileError",
    "KubernetesOptionError",
    "KubernetesTarget",
    "LimitProblem",
    "limit_problems",
]

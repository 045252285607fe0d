"""The compiled example runs end to end: the state machine walked, every task in a fresh process.

S3 is moto's server; each task runs the real handler code (Lambda handler or the container
entry point) with the environment its Terraform gives it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from glacier import Dataset
from glacier.cli import main
from glacier.cloud.locations import intermediate_location
from tests.support.servers import moto_s3_server
from tests.targets.cloud import LocalCloud, copy_example, statuses

BUCKET = "glacier-analytics-e2e"
EXPECTED_METRICS = {"Ada": 37.5, "Grace": 12.5}


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_s3_server() as url:
        yield url


def deploy(tmp_path: Path, endpoint: str, replace: dict[str, str] | None = None) -> LocalCloud:
    import boto3

    project = tmp_path / "project"
    path = copy_example(project, replace=replace)
    infra = tmp_path / "infra"
    assert main(["compile", str(path), "--target", "aws", "--out", str(infra), "--no-cache"]) == 0
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if BUCKET not in existing:
        s3.create_bucket(Bucket=BUCKET)
    return LocalCloud(infra, project, endpoint, BUCKET)


def read_metrics(endpoint: str, run_id: str, monkeypatch: pytest.MonkeyPatch) -> object:
    from glacier.storage import read_dataset

    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    location = intermediate_location(f"s3://{BUCKET}/", "metrics", run_id)
    return read_dataset(Dataset("metrics"), location=location)


@pytest.mark.slow
def test_the_complete_example_produces_its_metrics_in_s3(
    tmp_path: Path, endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cloud = deploy(tmp_path, endpoint)
    execution = cloud.execute("run-ok-1")
    assert execution.status == "SUCCEEDED", execution.cause
    assert statuses(cloud.infra, execution) == dict.fromkeys(
        [
            "extract_users",
            "extract_orders",
            "clean_users",
            "clean_orders",
            "merge_data",
            "compute_metrics",
        ],
        "succeeded",
    )
    assert read_metrics(endpoint, "run-ok-1", monkeypatch) == EXPECTED_METRICS
    assert set(cloud.exit_codes.values()) == {0}


@pytest.mark.slow
def test_a_failing_task_skips_exactly_its_dependents(tmp_path: Path, endpoint: str) -> None:
    cloud = deploy(
        tmp_path,
        endpoint,
        replace={"return clean(orders)": "raise RuntimeError('the orders are broken')"},
    )
    execution = cloud.execute("run-fail-1")
    assert execution.status == "FAILED"
    assert execution.error == "Glacier.TasksFailed"
    assert execution.cause is not None and '["clean_orders"]' in execution.cause
    assert statuses(cloud.infra, execution) == {
        "extract_users": "succeeded",
        "extract_orders": "succeeded",
        "clean_users": "succeeded",
        "clean_orders": "failed",
        "merge_data": "skipped",
        "compute_metrics": "skipped",
    }
    # The skipped tasks never ran; the sibling branch finished.
    assert sorted(cloud.exit_codes) == [
        "clean_orders",
        "clean_users",
        "extract_orders",
        "extract_users",
    ]
    assert cloud.exit_codes["clean_orders"] == 1

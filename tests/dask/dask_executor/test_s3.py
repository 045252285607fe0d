"""S3 datasets on a Dask cluster, through moto's server: the workers build their own S3 clients."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from glacier import Dataset, Pipeline, task
from glacier.executors import DaskExecutor
from glacier.run.runner import run_pipeline
from glacier.storage import S3, read_dataset, read_manifest
from tests.support.dask_cluster import start_dask_processes
from tests.support.servers import moto_s3_server

pytestmark = pytest.mark.slow

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_s3_server() as url:
        boto3.client("s3", endpoint_url=url, **_boto_credentials()).create_bucket(Bucket="lake")
        yield url


def _boto_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
        "region_name": "us-east-1",
    }


def test_workers_write_and_read_s3_with_their_own_credentials(
    endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only the workers know the endpoint and the credentials: had the client written anything,
    # it would have tried real AWS (unreachable here) and failed.
    for name in ("AWS_ENDPOINT_URL", *CREDENTIALS):
        monkeypatch.delenv(name, raising=False)
    raw = Dataset("raw", storage=S3("lake", "raw/"))
    totals = Dataset("totals", storage=S3("lake", "totals/"))

    @task
    def extract() -> raw:
        return [{"user": "ada", "amount": 3}, {"user": "ada", "amount": 4}]

    @task
    def total(rows: raw) -> totals:
        return {"ada": sum(row["amount"] for row in rows)}

    environment = {"AWS_ENDPOINT_URL": endpoint, **CREDENTIALS}
    with start_dask_processes(2, env=environment) as processes:
        result = run_pipeline(
            Pipeline([extract, total], name="on_s3"),
            DaskExecutor(address=processes.address),
            progress=False,
            project_root=str(tmp_path),
        )
    assert result.succeeded, result.summary()
    assert result["totals"] == {"ada": 7}
    assert result.tasks["extract"].output_uri == "s3://lake/raw/"

    for name, value in {"AWS_ENDPOINT_URL": endpoint, **CREDENTIALS}.items():
        monkeypatch.setenv(name, value)
    assert read_dataset(raw) == [{"user": "ada", "amount": 3}, {"user": "ada", "amount": 4}]
    manifest = read_manifest(totals)
    assert manifest is not None
    assert manifest.run_id == result.run_id and manifest.task_id == total.id

"""Each task runs under its own generated policy, against moto's server with IAM enforced.

The policies are attached to one IAM user per task (moto evaluates user and role policies
alike). Moto checks actions and resources; it does not evaluate conditions, so the
``s3:prefix`` condition of ``ListBucket`` is checked by the Terraform tests instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from glacier.cli import main
from tests.support.servers import free_port
from tests.targets.cloud import LocalCloud, base_environment, copy_example
from tests.targets.helpers import load, policy

BUCKET = "glacier-analytics-iam"
ADMIN_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


@contextlib.contextmanager
def moto_with_iam() -> Iterator[tuple[str, dict[str, str]]]:
    """moto's server with IAM enforced after the first three requests, which make an admin."""
    import boto3

    port = free_port()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "3"}
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            time.sleep(0.05)
        endpoint = f"http://127.0.0.1:{port}"
        iam = boto3.client(
            "iam",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="bootstrap",
            aws_secret_access_key="bootstrap",
        )
        iam.create_user(UserName="admin")
        iam.put_user_policy(
            UserName="admin", PolicyName="admin", PolicyDocument=json.dumps(ADMIN_POLICY)
        )
        key = iam.create_access_key(UserName="admin")["AccessKey"]
        yield (
            endpoint,
            {
                "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
                "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
            },
        )
    finally:
        server.terminate()
        server.wait(timeout=10)


def client(service: str, endpoint: str, credentials: dict[str, str]) -> Any:
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
    )


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    tmp = tmp_path_factory.mktemp("iam")
    path = copy_example(tmp / "project")
    infra = tmp / "infra"
    assert main(["compile", str(path), "--target", "aws", "--out", str(infra), "--no-cache"]) == 0
    with moto_with_iam() as (endpoint, admin):
        client("s3", endpoint, admin).create_bucket(Bucket=BUCKET)
        iam = client("iam", endpoint, admin)
        cloud = LocalCloud(infra, tmp / "project", endpoint, BUCKET)
        for key in load(infra, "iam.tf.json")["locals"]:
            task = key[len("policy_") :]
            if task.endswith("_execution"):
                continue
            iam.create_user(UserName=task)
            document = policy(infra, task, BUCKET)
            iam.put_user_policy(
                UserName=task, PolicyName="task", PolicyDocument=json.dumps(document)
            )
            access = iam.create_access_key(UserName=task)["AccessKey"]
            cloud.credentials[task] = {
                "AWS_ACCESS_KEY_ID": access["AccessKeyId"],
                "AWS_SECRET_ACCESS_KEY": access["SecretAccessKey"],
            }
        yield cloud


@pytest.mark.slow
def test_every_task_runs_under_its_own_policy(deployed: LocalCloud) -> None:
    execution = deployed.execute("iam-run-1")
    assert execution.status == "SUCCEEDED", execution.cause
    assert len(deployed.exit_codes) == 6


@pytest.mark.slow
def test_a_task_is_refused_on_another_tasks_prefix(deployed: LocalCloud) -> None:
    from botocore.exceptions import ClientError

    if not deployed.exit_codes:
        assert deployed.execute("iam-run-1").status == "SUCCEEDED"
    s3 = client("s3", deployed.endpoint, deployed.credentials["clean_users"])
    own = "intermediate/raw_users/iam-run-1/"
    assert s3.list_objects_v2(Bucket=BUCKET, Prefix=own)["KeyCount"] > 0
    with pytest.raises(ClientError, match="AccessDenied"):
        s3.put_object(Bucket=BUCKET, Key="intermediate/clean_orders/iam-run-1/x", Body=b"x")
    other = client("s3", deployed.endpoint, deployed.credentials["clean_orders"])
    key = other.list_objects_v2(Bucket=BUCKET, Prefix="intermediate/raw_orders/")["Contents"][0]
    with pytest.raises(ClientError, match="AccessDenied"):
        s3.get_object(Bucket=BUCKET, Key=key["Key"])
    # The entry point of merge_data under clean_users' policy cannot read clean_orders.
    env = base_environment(deployed.endpoint, deployed.credentials["clean_users"])
    container = deployed.containers["merge_data"]
    env.update({item["name"]: item["value"] for item in container["environment"]})
    env["PYTHONPATH"] = deployed.python_path({})
    result = subprocess.run(
        [sys.executable, "-m", "glacier.cloud.run", *container["command"], "--run-id", "iam-run-1"],
        cwd=deployed.project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "clean_orders" in result.stderr
    assert "Traceback" not in result.stderr.split("glacier: task")[-1]


def test_moto_enforces_the_policy_at_all(tmp_path: Path) -> None:
    # Guards the tests above: a user without a policy is refused.
    from botocore.exceptions import ClientError

    with moto_with_iam() as (endpoint, admin):
        client("s3", endpoint, admin).create_bucket(Bucket="glacier-guard")
        iam = client("iam", endpoint, admin)
        iam.create_user(UserName="nobody")
        access = iam.create_access_key(UserName="nobody")["AccessKey"]
        nobody = {
            "AWS_ACCESS_KEY_ID": access["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": access["SecretAccessKey"],
        }
        with pytest.raises(ClientError, match="AccessDenied"):
            client("s3", endpoint, nobody).put_object(Bucket="glacier-guard", Key="x", Body=b"")

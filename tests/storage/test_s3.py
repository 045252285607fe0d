"""S3 through moto's server and the real s3fs/botocore stack."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from glacier import Dataset
from glacier.storage import (
    S3,
    StorageError,
    content_key,
    dataset_exists,
    read_dataset,
    read_manifest,
    write_dataset,
)
from glacier.storage.api import POINTER
from tests.storage.conftest import S3Env
from tests.support.servers import free_port


def test_roundtrip_and_versions(s3: S3Env) -> None:
    bucket = s3.bucket("lake")
    dataset = Dataset("orders", S3(bucket, "orders/"))
    frame = pd.DataFrame({"id": [1, 2], "total": [3.5, 4.0]})
    first = write_dataset(dataset, frame, run_id="r1")
    pd.testing.assert_frame_equal(read_dataset(dataset), frame)
    second = write_dataset(dataset, frame.head(1), run_id="r2")
    assert read_manifest(dataset) == second and content_key(dataset) == second.content_hash
    assert len(read_dataset(dataset)) == 1
    keys = {o["Key"] for o in s3.client().list_objects_v2(Bucket=bucket)["Contents"]}
    assert f"orders/{first.version}/part-0.parquet" in keys
    assert f"orders/{second.version}/_manifest.json" in keys
    pointer = json.loads(
        s3.client().get_object(Bucket=bucket, Key="orders/" + POINTER)["Body"].read()
    )
    assert pointer["version"] == second.version


def test_commit_and_read_request_budget(s3: S3Env) -> None:
    s3.bucket("lake")
    dataset = Dataset("d", S3("lake", "d/"))
    write_dataset(dataset, {"a": 1}, run_id="r0")
    s3.log.clear()
    write_dataset(dataset, {"a": 2}, run_id="r1")
    operations = [request.operation for request in s3.log]
    assert "CopyObject" not in operations
    assert len(operations) <= 1 + 3, operations  # one data file
    s3.log.clear()
    assert read_dataset(dataset) == {"a": 2}
    assert len(s3.log) <= 1 + 2, [request.operation for request in s3.log]


def test_pointer_is_swapped_conditionally(s3: S3Env) -> None:
    s3.bucket("lake")
    dataset = Dataset("d", S3("lake", "d/"))
    write_dataset(dataset, [1], run_id="r0")
    s3.log.clear()
    write_dataset(dataset, [2], run_id="r1")
    pointer_puts = [r for r in s3.log if r.method == "PUT" and r.path.endswith(POINTER)]
    assert len(pointer_puts) == 1 and "if-match" in pointer_puts[0].headers
    write_dataset(Dataset("e", S3("lake", "e/")), [1], run_id="r")
    first_put = [r for r in s3.log if r.method == "PUT" and r.path.endswith("e/" + POINTER)]
    assert first_put[0].headers.get("if-none-match") == "*"


def test_endpoint_url_argument_wins_over_the_environment(
    s3: S3Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3.bucket("lake")
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    dataset = Dataset("d", S3("lake", "x/", endpoint_url=s3.endpoint))
    write_dataset(dataset, "text", run_id="r")
    assert read_dataset(dataset) == "text" and dataset_exists(dataset)


def test_missing_bucket_is_one_clear_error(s3: S3Env) -> None:
    dataset = Dataset("raw", S3("no-such-bucket", "raw/"))
    with pytest.raises(StorageError) as caught:
        write_dataset(dataset, [1], run_id="r")
    message = str(caught.value)
    assert message.startswith("dataset `raw` at s3://no-such-bucket/raw/:")
    assert "bucket" in message and "does not exist" in message
    with pytest.raises(StorageError, match="dataset `raw` at s3://no-such-bucket/raw/"):
        read_dataset(dataset)


def test_unreachable_endpoint_is_one_clear_error(s3: S3Env) -> None:
    dataset = Dataset("raw", S3("lake", "raw/", endpoint_url=f"http://127.0.0.1:{free_port()}"))
    with pytest.raises(StorageError) as caught:
        read_dataset(dataset)
    assert "dataset `raw` at s3://lake/raw/" in str(caught.value)
    assert "cannot reach the storage endpoint" in str(caught.value)


def test_wrong_credentials_are_one_clear_error_without_the_secret(
    s3: S3Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto import settings

    s3.bucket("lake")
    dataset = Dataset("raw", S3("lake", "raw/"))
    write_dataset(dataset, [1], run_id="r")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAWRONGWRONGWRONG1")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "very-secret-value")
    monkeypatch.setattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
    with pytest.raises(StorageError) as caught:
        read_dataset(dataset)
    message = str(caught.value)
    assert "dataset `raw` at s3://lake/raw/" in message and "access denied" in message
    assert "very-secret-value" not in message
    monkeypatch.setattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT", float("inf"))
    assert read_dataset(dataset) == [1]  # nothing committed was lost


def test_bad_data_on_s3_is_one_clear_error_and_keeps_what_was_committed(s3: S3Env) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    client = s3.client()
    s3.bucket("lake")
    client.put_object(Bucket="lake", Key="mixed/a.csv", Body=b"a\n1\n")
    client.put_object(Bucket="lake", Key="mixed/b.json", Body=b"[]")
    with pytest.raises(StorageError, match=r"dataset `mixed` at s3://lake/mixed/: .*mixed formats"):
        read_dataset(Dataset("mixed", S3("lake", "mixed/")))

    sink = pa.BufferOutputStream()
    pq.write_table(pa.table({"a": list(range(100))}), sink)
    data = sink.getvalue().to_pybytes()
    client.put_object(Bucket="lake", Key="cut/part.parquet", Body=data[: len(data) // 2])
    with pytest.raises(StorageError, match=r"dataset `cut` at s3://lake/cut/: cannot read"):
        read_dataset(Dataset("cut", S3("lake", "cut/")))

    dataset = Dataset("d", S3("lake", "d/"))
    manifest = write_dataset(dataset, {"a": 1}, run_id="r")
    key = f"d/{manifest.version}/data.json"
    client.put_object(Bucket="lake", Key=key, Body=b'{"a":9}')
    with pytest.raises(StorageError, match="does not match its manifest"):
        read_dataset(dataset)
    client.put_object(Bucket="lake", Key=key, Body=b'{"a":1}')
    assert read_dataset(dataset) == {"a": 1}

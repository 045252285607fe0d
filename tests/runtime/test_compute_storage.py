"""Compute and storage are immutable, validated value objects with actionable messages."""

from __future__ import annotations

import dataclasses

import pytest

from glacier import ComputeError, Dataset, compute
from glacier.compute import summarize_compute
from glacier.storage import GCS, S3, AzureBlob, LocalPath


def test_compute_values_are_immutable_and_comparable() -> None:
    spec = compute.container(image="spark:latest", cpu=4, memory=8192)
    assert spec == compute.container("spark:latest", cpu=4, memory=8192)
    assert spec.image == "spark:latest" and spec.cpu == 4
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.kind = "local"  # type: ignore[misc]
    assert hash(spec) == hash(compute.container("spark:latest", cpu=4, memory=8192))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: compute.local(workers=0), "`workers` of `compute.local()` must be a positive"),
        (lambda: compute.local(workers="4"), "`workers` of `compute.local()` must be int, got str"),
        (lambda: compute.container(image=""), "`image` of `compute.container()` must not be empty"),
        (lambda: compute.container(image="x", cpu=-1), "must be a positive number of CPUs"),
        (lambda: compute.serverless(memory=1.5), "`memory` of `compute.serverless()` must be int"),
        (lambda: compute.serverless(timeout=0), "must be a positive number of seconds"),
        (lambda: compute.local(workers=True), "must be int, got bool"),
    ],
)
def test_bad_compute_values(make: object, message: str) -> None:
    with pytest.raises(ComputeError) as caught:
        make()  # type: ignore[operator]
    assert message in str(caught.value)


def test_unknown_keyword_suggests_the_right_one() -> None:
    with pytest.raises(TypeError, match="cpus"):
        compute.container(image="x", cpus=4)  # type: ignore[call-arg]
    from glacier.compute import make_compute

    with pytest.raises(ComputeError, match="did you mean `cpu`"):
        make_compute("container", {"image": "x", "cpus": 4})
    with pytest.raises(ComputeError, match="not a compute kind"):
        make_compute("gpu", {})


def test_summaries() -> None:
    assert compute.serverless(memory=512).summary() == "serverless · 512 MB"
    assert (
        compute.container(image="spark:latest", cpu=4, memory=8192).summary()
        == "container · spark:latest · 4 CPU · 8 GB"
    )
    assert compute.local(workers=4).summary() == "local · 4 workers"
    assert summarize_compute({"kind": "serverless", "memory": 1024, "timeout": 30}) == (
        "serverless · 1 GB · 30 s"
    )


def test_storage_locations() -> None:
    assert S3(bucket="b", prefix="raw/").uri == "s3://b/raw/"
    assert GCS("b", "/x").uri == "gs://b/x/"
    assert AzureBlob("c", "p").uri == "az://c/p/"
    assert LocalPath("/data/raw").uri == "file:///data/raw/"
    assert S3("b", "p").to_dict() == {"kind": "s3", "bucket": "b", "prefix": "p", "uri": "s3://b/p/"}
    with pytest.raises(ValueError, match="`bucket` of `S3` must not be empty"):
        S3(bucket="")
    with pytest.raises(TypeError, match="must be str"):
        S3(bucket=3)  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        S3("b").bucket = "c"  # type: ignore[misc]


def test_dataset_arguments_are_checked() -> None:
    with pytest.raises(TypeError, match="Dataset name must be a str"):
        Dataset(3)  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="must not be empty"):
        Dataset(" ")
    with pytest.raises(TypeError, match=r"glacier\.storage location"):
        Dataset("x", storage="s3://b")  # type: ignore[call-overload]

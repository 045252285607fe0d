"""Datasets on S3 through moto's server: external inputs, committed outputs, the cache."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from glacier import LocalExecutor, Pipeline, RunSetupError
from glacier.storage import read_dataset, read_manifest

from .conftest import Write

FLOW = """\
from glacier import Dataset, Pipeline, task
from glacier.storage import S3

orders = Dataset("orders", storage=S3(bucket="lake", prefix="raw/orders"))
totals = Dataset("totals", storage=S3(bucket="lake", prefix="gold/totals"))
report = Dataset("report")
CALLS = []


@task
def total(rows: orders) -> totals:
    CALLS.append("total")
    return {"sum": sum(rows.column("amount").to_pylist())}


@task
def describe(t: totals) -> report:
    CALLS.append("describe")
    return f"total {t['sum']}"


pipeline = Pipeline([total, describe], name="s3-flow")
"""


def test_s3_inputs_outputs_and_cache(
    s3: Any, write: Write, load: Callable[[str], Pipeline]
) -> None:
    s3.bucket("lake")
    write("s3_flow.py", FLOW)
    pipeline = load("s3_flow.py")
    with pytest.raises(
        RunSetupError, match="external input `orders` is missing.*s3://lake/raw/orders/"
    ):
        pipeline.run(progress=False)
    body = json.dumps([{"amount": 3.5}, {"amount": 1.5}]).encode()
    s3.client().put_object(Bucket="lake", Key="raw/orders/part-0.json", Body=body)
    result = pipeline.run(executor=LocalExecutor(workers=2), progress=False, cache=True)
    assert result["report"] == "total 5.0"
    totals = pipeline.tasks[0].output
    assert totals is not None
    assert read_dataset(totals) == {"sum": 5.0}
    manifest = read_manifest(totals)
    assert manifest is not None and manifest.cache_key == result.tasks["total"].cache_key
    assert result.tasks["total"].output_uri == "s3://lake/gold/totals/"
    module = __import__("s3_flow")
    module.CALLS.clear()
    again = pipeline.run(progress=False, cache=True)
    assert module.CALLS == []
    assert again.tasks["total"].status == "cached" and again["report"] == "total 5.0"
    # New input data changes the input's key: everything runs again.
    s3.client().put_object(Bucket="lake", Key="raw/orders/part-1.json", Body=body)
    third = pipeline.run(progress=False, cache=True)
    assert module.CALLS == ["total", "describe"]
    assert third["report"] == "total 10.0"


def test_inputs_given_in_code_win_over_storage(
    s3: Any, write: Write, load: Callable[[str], Pipeline]
) -> None:
    import pyarrow as pa

    s3.bucket("lake")
    write("s3_given.py", FLOW)
    pipeline = load("s3_given.py")
    result = pipeline.run(inputs={"orders": pa.table({"amount": [1.0, 2.0]})}, progress=False)
    assert result["report"] == "total 3.0"

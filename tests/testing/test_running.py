"""`run_task`, `run_pipeline` (in-memory storage, values through their codecs) and the
assertions on a `RunResult`."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import pandas as pd
import pytest

from glacier import Dataset, LocalExecutor, Pipeline, task
from glacier.schemas import SchemaMismatch
from glacier.storage import S3, LocalPath
from glacier.testing import (
    assert_failed,
    assert_outputs,
    assert_statuses,
    assert_succeeded,
    run_pipeline,
    run_task,
)


@dataclasses.dataclass
class Order:
    id: int
    amount: float


orders = Dataset("orders", storage=S3("no-such-bucket", "orders/"), schema=list[Order])
totals = Dataset("totals", storage=S3("no-such-bucket", "totals/"))
report = Dataset("report")


@task
def total(rows: orders, currency: str = "EUR") -> totals:
    return {"sum": sum(r.amount for r in rows), "currency": currency}


@task
def render(summary: totals) -> report:
    return f"{summary['sum']:.2f} {summary['currency']}"


PIPELINE = Pipeline([total, render])


def test_run_task_by_parameter_name_and_by_dataset() -> None:
    rows = [Order(1, 2.5), Order(2, 4.0)]
    assert run_task(total, rows=rows) == {"sum": 6.5, "currency": "EUR"}
    assert run_task(total, {orders: rows}, currency="USD") == {"sum": 6.5, "currency": "USD"}
    assert run_task(render, {"totals": {"sum": 1, "currency": "EUR"}}) == "1.00 EUR"


def test_run_task_raises_the_tasks_own_error_and_checks_the_schema() -> None:
    with pytest.raises(KeyError, match="sum"):
        run_task(render, summary={})
    bad = Dataset("bad_orders", schema=list[Order])

    @task
    def make() -> bad:
        return [Order(1, "lots")]  # type: ignore[arg-type]

    with pytest.raises(SchemaMismatch, match="row 0, field `amount`"):
        run_task(make)


def test_run_task_names_a_missing_or_unknown_input() -> None:
    with pytest.raises(TypeError, match=r"missing input `rows` \(dataset `orders`\)"):
        run_task(total)
    with pytest.raises(TypeError, match="is not an input of this task"):
        run_task(total, {"report": 1})
    with pytest.raises(TypeError, match="has no parameter `colour`"):
        run_task(total, rows=[], colour="red")


def test_run_pipeline_replaces_every_storage_by_memory() -> None:
    result = run_pipeline(PIPELINE, inputs={orders: [Order(1, 2.0), Order(2, 3.0)]})
    assert_succeeded(result)
    assert_outputs(result, {"totals": {"sum": 5.0, "currency": "EUR"}, report: "5.00 EUR"})
    assert result.tasks["total"].output_uri.startswith("memory://glacier-testing-")
    assert orders.storage == S3("no-such-bucket", "orders/")  # restored afterwards


def test_each_call_has_its_own_memory() -> None:
    first = run_pipeline(PIPELINE, inputs={orders: [Order(1, 1.0)]})
    second = run_pipeline(PIPELINE, inputs={orders: [Order(1, 2.0)]})
    assert (first["report"], second["report"]) == ("1.00 EUR", "2.00 EUR")
    assert first.tasks["total"].output_uri != second.tasks["total"].output_uri


def test_an_input_with_storage_is_read_back_through_its_codec_and_schema() -> None:
    result = run_pipeline(PIPELINE, inputs={orders: [{"id": 1, "amount": "many"}]})
    error = assert_failed(result, total, SchemaMismatch, match="dataset `orders`")
    assert "field `amount`" in str(error)
    assert_statuses(result, {"total": "failed", "render": "skipped"})


def test_values_handed_on_go_through_their_codec() -> None:
    data = Dataset("handed_data")
    same = Dataset("same_object")
    produced: list[object] = []

    @task
    def make() -> data:
        value = {"rows": [1, 2, 3]}
        produced.append(value)
        return value

    @task
    def look(value: data) -> same:
        return value is produced[0]

    result = run_pipeline(Pipeline([make, look]))
    assert_succeeded(result)
    assert result["same_object"] is False  # the consumer read what was stored
    assert result["handed_data"] == {"rows": [1, 2, 3]}
    assert "/handoff/" in (result.tasks["make"].output_uri or "")


def test_a_value_that_cannot_be_stored_fails_as_it_would_deployed() -> None:
    unstorable = Dataset("lock_holder")

    @task
    def make() -> unstorable:
        return threading.Lock()

    result = run_pipeline(Pipeline([make]))
    assert_failed(result, make)


def test_frames_are_compared_with_their_own_equality() -> None:
    frame_data = Dataset("frame_data", storage=LocalPath("never-written"))

    @task
    def make() -> frame_data:
        return pd.DataFrame({"a": [1, 2]})

    result = run_pipeline(Pipeline([make]))
    assert_outputs(result, {frame_data: pd.DataFrame({"a": [1, 2]})})
    with pytest.raises(AssertionError, match="frame_data"):
        assert_outputs(result, {frame_data: pd.DataFrame({"a": [1, 3]})})


def test_storage_in_a_folder(tmp_path: Path) -> None:
    result = run_pipeline(PIPELINE, inputs={orders: [Order(1, 1.5)]}, storage=tmp_path)
    assert_succeeded(result)
    assert (tmp_path / "totals").is_dir() and (tmp_path / "orders").is_dir()


def test_processes_mode() -> None:
    result = run_pipeline(
        PIPELINE,
        inputs={orders: [Order(1, 1.0)]},
        executor=LocalExecutor(workers=2, processes=True),
    )
    assert_succeeded(result)
    assert result["report"] == "1.00 EUR"


def test_assert_succeeded_shows_the_failure_with_the_users_traceback() -> None:
    broken = Dataset("broken")

    @task
    def explode(summary: totals) -> broken:
        raise ValueError(f"cannot render {summary['currency']}")

    result = run_pipeline(Pipeline([total, explode]), inputs={orders: [Order(1, 1.0)]})
    assert_statuses(result, {total: "succeeded", "explode": "failed"})
    with pytest.raises(AssertionError) as caught:
        assert_succeeded(result)
    text = str(caught.value)
    assert "explode: failed: ValueError: cannot render EUR" in text
    assert "test_running.py" in text and "in explode" in text
    assert "glacier/run" not in text


def test_assert_statuses_and_failed_say_what_differs() -> None:
    result = run_pipeline(PIPELINE, inputs={orders: [Order(1, 1.0)]})
    with pytest.raises(AssertionError, match="render: expected failed, got succeeded"):
        assert_statuses(result, {"render": "failed"})
    with pytest.raises(AssertionError, match="task `total` succeeded, expected it to fail"):
        assert_failed(result, "total")
    with pytest.raises(
        AssertionError, match="no task `nope` in this run; its tasks: total, render"
    ):
        assert_statuses(result, {"nope": "failed"})
    with pytest.raises(AssertionError, match=r"report: expected 'x', got '1.00 EUR'"):
        assert_outputs(result, {"report": "x"})

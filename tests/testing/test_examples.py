"""The project's examples tested the way users test theirs: with glacier.testing
(every value through its codec, storage in memory), as a deployed run would see them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from glacier import LocalExecutor, Pipeline
from glacier.run.loading import load_pipeline
from glacier.testing import (
    assert_outputs,
    assert_statuses,
    assert_succeeded,
    run_pipeline,
    run_task,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _load(relative: str) -> tuple[Pipeline, Any]:
    pipeline = load_pipeline(str(EXAMPLES / relative))
    return pipeline, sys.modules[pipeline.tasks[0].fn.__module__]


def test_analytics_through_codecs() -> None:
    pipeline, _ = _load("analytics/pipeline.py")
    result = run_pipeline(pipeline)
    assert_succeeded(result)
    assert_outputs(result, {"metrics": {"Ada": 37.5, "Grace": 12.5}})
    assert_statuses(result, {task: "succeeded" for task in pipeline.tasks})


def test_analytics_tasks_one_by_one() -> None:
    _, module = _load("analytics/pipeline.py")
    users = run_task(module.clean_users, users=module.fetch_users_from_api())
    assert users == [{"id": 1, "name": "Ada"}, {"id": 2, "name": "Grace"}]
    orders = run_task(module.clean_orders, {"raw_orders": module.fetch_orders_from_db()})
    merged = run_task(module.merge_data, users=users, orders=orders)
    assert run_task(module.compute_metrics, data=merged) == {"Ada": 37.5, "Grace": 12.5}


def test_diamond_in_worker_processes() -> None:
    pipeline, _ = _load("patterns/diamond.py")
    result = run_pipeline(pipeline, executor=LocalExecutor(workers=2, processes=True))
    assert_succeeded(result)
    expected = run_pipeline(pipeline, executor=LocalExecutor(workers=1))
    assert dict(result.outputs) == dict(expected.outputs)


def test_patterns() -> None:
    for name in ("fan_in", "fan_out", "diamond"):
        pipeline, _ = _load(f"patterns/{name}.py")
        result = run_pipeline(pipeline)
        assert_succeeded(result)
        for task in pipeline.get_execution_order():
            if task.output is None:
                continue
            inputs = {parameter: result[dataset] for parameter, dataset in task.inputs.items()}
            assert result[task.output] == task(**inputs) == run_task(task, **inputs)

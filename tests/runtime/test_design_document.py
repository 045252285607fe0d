"""Every snippet of the design document works exactly as written."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from glacier import Dataset, Pipeline, Task, compute, task
from glacier.storage import S3
from tests.conftest import EXAMPLES

Loader = Callable[..., ModuleType]


def names(tasks: list[Task[Any, Any]]) -> list[str]:
    return [t.name for t in tasks]


def test_datasets_are_named_artifacts() -> None:
    raw_data = Dataset("raw_data")
    clean_data = Dataset("clean_data")
    assert (raw_data.name, clean_data.name) == ("raw_data", "clean_data")
    assert raw_data.storage is None and raw_data.schema is None


def test_dataset_with_storage_and_schema() -> None:
    @dataclasses.dataclass
    class RawSchema:
        id: int

    raw_data = Dataset(
        name="raw_data", storage=S3(bucket="my-bucket", prefix="raw/"), schema=RawSchema
    )
    assert raw_data.storage == S3("my-bucket", "raw/")
    assert raw_data.storage is not None and raw_data.storage.uri == "s3://my-bucket/raw/"
    assert raw_data.schema is RawSchema and raw_data.schema_name == "RawSchema"


def test_tasks_with_compute_keep_their_function_and_signature() -> None:
    raw_data = Dataset("raw_data")
    clean_data = Dataset("clean_data")
    metrics = Dataset("metrics")

    @task(compute=compute.local())
    def extract() -> raw_data:
        """Functions declare what they produce via return type"""
        return [1, 2]

    @task(compute=compute.serverless(memory=1024))
    def transform(data: raw_data) -> clean_data:
        return [x * 2 for x in data]

    @task(compute=compute.container(image="analytics:latest", cpu=4))
    def analyze(data: clean_data) -> metrics:
        return sum(data)

    assert extract.name == "extract" and extract.inputs == {} and extract.output is raw_data
    assert transform.inputs == {"data": raw_data} and transform.output is clean_data
    assert analyze.compute == compute.container(image="analytics:latest", cpu=4)
    assert transform.compute is not None and transform.compute.to_dict() == {
        "kind": "serverless",
        "memory": 1024,
        "timeout": None,
    }
    # Calling a task calls the plain function: tasks stay unit-testable.
    assert analyze(transform(extract())) == 6
    assert extract.__doc__ == "Functions declare what they produce via return type"

    pipeline = Pipeline(tasks=[extract, transform, analyze], name="analytics-pipeline")
    pipeline.validate()
    assert names(pipeline.get_execution_order()) == ["extract", "transform", "analyze"]
    assert pipeline.name == "analytics-pipeline"


def test_bare_and_empty_call_decorators() -> None:
    out = Dataset("out")

    @task
    def bare() -> out: ...

    @task()
    def called(data: out) -> None: ...

    assert isinstance(bare, Task) and isinstance(called, Task)
    assert called.output is None and called.inputs == {"data": out}


def test_provider_agnostic_compute() -> None:
    assert compute.local(workers=4).to_dict() == {"kind": "local", "workers": 4}
    assert compute.container(image="python:3.11", cpu=2.0, memory=4096).to_dict() == {
        "kind": "container",
        "image": "python:3.11",
        "cpu": 2.0,
        "memory": 4096,
    }
    assert compute.serverless(memory=1024, timeout=300).to_dict() == {
        "kind": "serverless",
        "memory": 1024,
        "timeout": 300,
    }


@pytest.mark.parametrize(
    ("example", "order", "sources", "sinks", "dependencies", "consumers"),
    [
        (
            "patterns/fan_in.py",
            ["extract_users", "extract_orders", "merge"],
            ["extract_users", "extract_orders"],
            ["merge"],
            {"merge": ["extract_users", "extract_orders"], "extract_users": []},
            {"extract_users": ["merge"], "merge": []},
        ),
        (
            "patterns/fan_out.py",
            ["extract", "summarize", "detail_report"],
            ["extract"],
            ["summarize", "detail_report"],
            {"summarize": ["extract"], "detail_report": ["extract"], "extract": []},
            {"extract": ["summarize", "detail_report"]},
        ),
        (
            "patterns/diamond.py",
            ["source", "left", "right", "merge"],
            ["source"],
            ["merge"],
            {"merge": ["left", "right"], "left": ["source"], "right": ["source"]},
            {"source": ["left", "right"], "left": ["merge"], "merge": []},
        ),
        (
            "analytics/pipeline.py",
            [
                "extract_users",
                "extract_orders",
                "clean_users",
                "clean_orders",
                "merge_data",
                "compute_metrics",
            ],
            ["extract_users", "extract_orders"],
            ["compute_metrics"],
            {
                "clean_users": ["extract_users"],
                "merge_data": ["clean_users", "clean_orders"],
                "compute_metrics": ["merge_data"],
            },
            {"extract_users": ["clean_users"], "clean_orders": ["merge_data"]},
        ),
    ],
)
def test_examples_structure(
    load_module: Loader,
    example: str,
    order: list[str],
    sources: list[str],
    sinks: list[str],
    dependencies: dict[str, list[str]],
    consumers: dict[str, list[str]],
) -> None:
    module = load_module(EXAMPLES / example)
    pipeline: Pipeline = module.pipeline
    pipeline.validate()
    by_name = {t.name: t for t in pipeline.tasks}
    assert names(pipeline.get_execution_order()) == order
    assert names(pipeline.get_source_tasks()) == sources
    assert names(pipeline.get_sink_tasks()) == sinks
    for name, expected in dependencies.items():
        assert names(pipeline.get_dependencies(by_name[name])) == expected
    for name, expected in consumers.items():
        assert names(pipeline.get_consumers(by_name[name])) == expected
    assert pipeline.inputs == []


def test_complete_example_resolves_shadowed_names(load_module: Loader) -> None:
    """`def clean_users(...) -> clean_users` produces the dataset, and later
    `merge_data(users: clean_users)` consumes that dataset through the task."""
    module = load_module(EXAMPLES / "analytics/pipeline.py")
    pipeline: Pipeline = module.pipeline
    merge_data = module.merge_data
    assert isinstance(module.clean_users, Task)
    assert module.clean_users.output is not None
    assert module.clean_users.output.name == "clean_users"
    assert {p: d.name for p, d in merge_data.inputs.items()} == {
        "users": "clean_users",
        "orders": "clean_orders",
    }
    assert [d.name for d in pipeline.datasets] == [
        "raw_users",
        "raw_orders",
        "clean_users",
        "clean_orders",
        "merged",
        "metrics",
    ]
    data = pipeline.to_dict()
    assert data["name"] == "analytics" and data["variable"] == "pipeline"
    assert data["edges"][2] == {
        "source": f"{module.__name__}.clean_users",
        "target": f"{module.__name__}.merge_data",
        "dataset": "clean_users",
    }


def test_visualize_draws_every_task_and_dataset(load_module: Loader) -> None:
    pipeline: Pipeline = load_module(EXAMPLES / "analytics/pipeline.py").pipeline
    drawing = pipeline.visualize()
    assert isinstance(drawing, str)
    for t in pipeline.tasks:
        assert t.name in drawing
    for d in pipeline.datasets:
        assert d.name in drawing


def test_complete_example_runs_as_a_script(tmp_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "analytics/pipeline.py")],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    # The design document's last line, `pipeline.run(executor=LocalExecutor())`, runs it.
    assert "run " in result.stderr and "succeeded" in result.stderr
    assert "6 succeeded" in result.stderr


def test_deferred_annotations_mean_the_same(load_module: Loader, tmp_path: Path) -> None:
    source = (EXAMPLES / "analytics/pipeline.py").read_text()
    deferred = tmp_path / "deferred.py"
    deferred.write_text("from __future__ import annotations\n" + source.split('"""', 2)[2])
    eager = load_module(EXAMPLES / "analytics/pipeline.py").pipeline.to_dict()
    lazy = load_module(deferred).pipeline.to_dict()

    def strip(data: dict[str, Any]) -> str:
        text = repr(data)
        for module_name in (".".join(t.split(".")[:-1]) for t in data["tasks"]):
            text = text.replace(module_name + ".", "")
        return text

    assert strip(eager) == strip(lazy)


FORWARD_REFERENCES = """
from glacier import Dataset, Pipeline, task

first = Dataset("first")


@task
def produce() -> "first":
    return 1


@task
def consume(value: "later") -> None:
    return None


later = Dataset("later")


@task
def make_later(value: first) -> later:
    return value


pipeline = Pipeline([consume, produce, make_later])
"""


def test_string_annotations_and_forward_references(load_module: Loader, tmp_path: Path) -> None:
    path = tmp_path / "forward.py"
    path.write_text(FORWARD_REFERENCES)
    module = load_module(path)
    pipeline: Pipeline = module.pipeline
    assert module.produce.output is module.first
    pipeline.validate()
    assert names(pipeline.get_execution_order()) == ["produce", "make_later", "consume"]
    assert module.consume.inputs == {"value": module.later}


def test_quoted_annotations_under_future_import(load_module: Loader, tmp_path: Path) -> None:
    path = tmp_path / "quoted.py"
    path.write_text(
        "from __future__ import annotations\n"
        "from glacier import Dataset, task\n"
        'raw = Dataset("raw")\n'
        "@task\n"
        'def quoted(x: "raw") -> "raw": ...\n'
    )
    module = load_module(path)
    assert module.quoted.output is module.raw
    assert module.quoted.inputs == {"x": module.raw}


def test_configuration_parameters_with_defaults_are_not_inputs() -> None:
    raw = Dataset("raw_cfg")

    @task
    def sample(data: raw, fraction: float = 0.1) -> None:
        return None

    assert sample.inputs == {"data": raw}

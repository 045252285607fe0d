"""`validate()` reports every problem at once, each with its rule's code, name and message."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from glacier import (
    CycleError,
    Dataset,
    Pipeline,
    PipelineValidationError,
    TaskDefinitionError,
    task,
)
from glacier.storage import S3

Loader = Callable[..., ModuleType]

a, b, c = Dataset("a"), Dataset("b"), Dataset("c")
external = Dataset("external", storage=S3(bucket="lake", prefix="in/"))


@task
def make_a(x: c) -> a: ...


@task
def make_b(x: a) -> b: ...


@task
def make_c(x: b) -> c: ...


@task
def self_loop(x: a) -> a: ...


@task
def read_external(x: external) -> b: ...


def plain_function() -> None: ...


def codes(error: PipelineValidationError) -> list[str]:
    return [problem.code for problem in error.problems]


def test_glc001_cycle_is_reported_with_the_loop() -> None:
    pipeline = Pipeline([make_a, make_b, make_c], name="loop")
    with pytest.raises(PipelineValidationError) as caught:
        pipeline.validate()
    (problem,) = caught.value.problems
    assert (problem.code, problem.name) == ("GLC001", "cycle")
    assert problem.message == (
        "Pipeline `loop` has a cycle: `make_a` -> `make_b` -> `make_c` -> `make_a`"
    )
    with pytest.raises(CycleError):
        pipeline.get_execution_order()
    assert pipeline.to_dict()["order"] == []
    assert len(pipeline.to_dict()["edges"]) == 3


def test_a_task_consuming_its_own_output_is_a_cycle() -> None:
    with pytest.raises(PipelineValidationError) as caught:
        Pipeline([self_loop], name="self").validate()
    assert codes(caught.value) == ["GLC001"]


def test_glc002_missing_producer_names_dataset_and_consumers() -> None:
    with pytest.raises(PipelineValidationError) as caught:
        Pipeline([make_b, make_c], name="p").validate()
    (problem,) = caught.value.problems
    assert problem.code == "GLC002" and problem.name == "missing-producer"
    assert "`a`" in problem.message and "`make_b`" in problem.message


def test_dataset_with_storage_is_an_external_input() -> None:
    pipeline = Pipeline([read_external, make_c])
    pipeline.validate()
    assert pipeline.inputs == [external]
    assert pipeline.to_dict()["inputs"] == ["external"]


def test_glc003_duplicate_producer() -> None:
    with pytest.raises(PipelineValidationError) as caught:
        Pipeline([read_external, make_b, make_a, make_c], name="dup").validate()
    assert "GLC003" in codes(caught.value)
    (dup,) = [p for p in caught.value.problems if p.code == "GLC003"]
    assert "`read_external`, `make_b`" in dup.message


def test_glc004_non_dataset_annotation_is_a_definition_error() -> None:
    with pytest.raises(TaskDefinitionError) as caught:

        @task
        def bad(rows: int) -> a: ...

    assert codes(caught.value) == ["GLC004"]
    assert "Parameter `rows` of task `bad`" in str(caught.value)
    assert isinstance(caught.value, TypeError)


def test_glc004_return_annotation_and_missing_annotation() -> None:
    with pytest.raises(TaskDefinitionError) as caught:

        @task
        def bad(rows) -> int: ...  # type: ignore[no-untyped-def]

    assert codes(caught.value) == ["GLC004", "GLC004"]


def test_glc005_not_a_task() -> None:
    with pytest.raises(PipelineValidationError) as caught:
        Pipeline([make_a, plain_function, a]).validate()
    not_tasks = [p for p in caught.value.problems if p.code == "GLC005"]
    assert [p.message for p in not_tasks] == [
        "`plain_function` is not a task; decorate it with `@task` or remove it from the pipeline",
        "Dataset `a` is not a task; decorate it with `@task` or remove it from the pipeline",
    ]


DUPLICATE_NAMES = """
from glacier import Dataset, Pipeline, task

first = Dataset("same")
second = Dataset("same")


@task
def produce() -> first: ...


@task
def consume(x: second) -> None: ...


pipeline = Pipeline([produce, consume])
"""


def test_glc006_duplicate_dataset_name(load_module: Loader, tmp_path: Path) -> None:
    path = tmp_path / "dupnames.py"
    path.write_text(DUPLICATE_NAMES)
    pipeline = load_module(path).pipeline
    with pytest.raises(PipelineValidationError) as caught:
        pipeline.validate()
    assert codes(caught.value) == ["GLC006"]
    assert f"{path}:4" in caught.value.problems[0].message


ALL_AT_ONCE = """
from glacier import Dataset, Pipeline, task

a = Dataset("a")
b = Dataset("b")
dup = Dataset("b")
missing = Dataset("missing")


@task
def loop_one(x: a) -> b: ...


@task
def loop_two(x: dup) -> a: ...


@task
def also_b(x: missing) -> b: ...


@task
def late(x: "never_defined") -> None: ...


def not_a_task() -> None: ...


pipeline = Pipeline([loop_one, loop_two, also_b, not_a_task, late], name="everything")
"""


def test_every_problem_is_reported_together(load_module: Loader, tmp_path: Path) -> None:
    path = tmp_path / "everything.py"
    path.write_text(ALL_AT_ONCE)
    pipeline: Pipeline = load_module(path).pipeline
    with pytest.raises(PipelineValidationError) as caught:
        pipeline.validate()
    assert sorted(codes(caught.value)) == [
        "GLC001",
        "GLC002",
        "GLC003",
        "GLC005",
        "GLC006",
        "GLC012",
    ]
    text = str(caught.value)
    assert text.startswith("6 problems found")
    assert "never_defined" in text


def test_constructing_a_broken_pipeline_never_raises() -> None:
    pipeline = Pipeline([make_a, make_b, make_c, plain_function])
    assert [t.name for t in pipeline.get_source_tasks()] == []
    assert pipeline.to_dict()["order"] == []


def test_bad_arguments_get_clear_messages() -> None:
    with pytest.raises(TypeError, match="list of tasks"):
        Pipeline(make_a)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="decorates a function"):
        task(42)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"must come from glacier\.compute"):
        task(compute="local")  # type: ignore[arg-type]
    with pytest.raises(KeyError, match="is not a task of"):
        Pipeline([make_a]).get_dependencies(make_b)

"""The plan: the same from source and at run time; clear errors for what cannot be compiled."""

from __future__ import annotations

from pathlib import Path

import pytest

from glacier import Dataset, Pipeline, task
from glacier.compile import CompileError, make_plan
from glacier.compile.deployment import write_files
from tests.compile.helpers import EXAMPLE, ROOT, runtime_plan, static_plan


def test_example_plan_is_the_same_from_source_and_at_run_time() -> None:
    static = static_plan(EXAMPLE)
    assert static.to_dict() == runtime_plan(EXAMPLE, "pipeline").to_dict()
    assert static.pipeline == "analytics"
    assert static.order[-1] == "pipeline.compute_metrics"
    merge = static.task("pipeline.merge_data")
    assert merge.dependencies == ("pipeline.clean_users", "pipeline.clean_orders")
    assert merge.import_root == "examples/analytics"
    assert merge.module == "pipeline"
    assert static.task("pipeline.clean_users").compute == {"kind": "local", "workers": 1}
    assert [d.name for d in static.datasets][:2] == ["raw_users", "raw_orders"]
    assert static.dataset("merged").producer == "pipeline.merge_data"


def test_a_cyclic_pipeline_is_refused_naming_the_loop() -> None:
    a, b = Dataset("plan_cycle_a"), Dataset("plan_cycle_b")

    @task
    def first(x: b) -> a: ...  # type: ignore[valid-type]

    @task
    def second(y: a) -> b: ...  # type: ignore[valid-type]

    pipeline = Pipeline([first, second], name="loop")
    with pytest.raises(CompileError, match="cycle"):
        make_plan(pipeline.to_project(), pipeline.info(), ROOT, {})


def test_a_task_outside_the_project_root_is_refused(tmp_path: Path) -> None:
    out = Dataset("plan_outside")

    @task
    def make() -> out:  # type: ignore[valid-type]
        return 1

    pipeline = Pipeline([make])
    with pytest.raises(CompileError, match="outside the project root"):
        make_plan(pipeline.to_project(), pipeline.info(), tmp_path, {})


def test_writing_refuses_a_folder_with_other_files_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(CompileError, match=r"notes\.txt"):
        write_files(tmp_path, {"main.tf.json": b"{}"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_rewriting_replaces_own_files_and_keeps_terraform_state(tmp_path: Path) -> None:
    infra = tmp_path / "infra"
    write_files(infra, {"a.tf.json": b"1", "images/x/Dockerfile": b"FROM x"})
    (infra / "terraform.tfstate").write_text("{}")
    (infra / ".terraform").mkdir()
    (infra / ".terraform" / "plugin").write_text("p")
    write_files(infra, {"a.tf.json": b"2"})
    assert (infra / "a.tf.json").read_bytes() == b"2"
    assert not (infra / "images").exists()
    assert (infra / "terraform.tfstate").exists() and (infra / ".terraform" / "plugin").exists()
    assert sorted(p.name for p in infra.iterdir() if p.name.startswith(".glacier-compile-")) == []

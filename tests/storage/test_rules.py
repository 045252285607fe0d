"""GLC013 overlapping-storage and GLC014 invalid-format, statically and at run time."""

from __future__ import annotations

from pathlib import Path

import pytest

from glacier import Dataset, Pipeline, PipelineValidationError, task
from glacier.storage import S3, LocalPath
from tests.analysis.helpers import analyze, codes


def test_validate_reports_overlapping_storage() -> None:
    raw = Dataset("raw_o", storage=S3("lake", "shop/"))
    clean = Dataset("clean_o", storage=S3("lake", "shop/clean/"))
    apart = Dataset("apart_o", storage=S3("lake", "shop_archive/"))

    @task
    def tidy(data: raw) -> clean: ...  # type: ignore[valid-type]

    @task
    def archive(data: clean) -> apart: ...  # type: ignore[valid-type]

    pipeline = Pipeline([tidy, archive], name="shop")
    with pytest.raises(PipelineValidationError) as caught:
        pipeline.validate()
    (problem,) = caught.value.problems
    assert problem.code == "GLC013" and problem.name == "overlapping-storage"
    assert problem.message == (
        "Datasets `raw_o` and `clean_o` of pipeline `shop` nest one folder inside the other: "
        "s3://lake/shop/ ⊃ s3://lake/shop/clean/"
    )


def test_static_and_runtime_agree_on_relative_local_paths(tmp_path: Path) -> None:
    source = """
from glacier import Dataset, Pipeline, task
from glacier.storage import LocalPath

a = Dataset("a", storage=LocalPath("data/a"))
b = Dataset("b", storage=LocalPath("data/a/"), format="json")


@task
def copy(x: a) -> b: ...


shop = Pipeline([copy])
"""
    result = analyze(tmp_path, {"pyproject.toml": "[project]\nname='x'\n", "shop.py": source})
    assert codes(result) == ["GLC013"]
    (diagnostic,) = result.diagnostics
    uri = (tmp_path / "data" / "a").resolve().as_uri() + "/"
    assert diagnostic.message == (
        f"Datasets `a` and `b` of pipeline `shop` share one storage folder: {uri}"
    )
    assert [r.message for r in diagnostic.related] == [
        "dataset `a` is declared here",
        "dataset `b` is declared here",
    ]
    dataset = result.project.dataset("b")
    assert dataset is not None and dataset.format == "json"
    assert dataset.storage == {"kind": "local", "path": "data/a/", "uri": uri}
    exported = result.project.to_dict()["datasets"]
    assert [d["format"] for d in exported] == [None, "json"]


def test_format_is_in_the_runtime_model() -> None:
    out = Dataset("out_f", LocalPath("/tmp/out_f"), format="jsonl")

    @task
    def make() -> out: ...  # type: ignore[valid-type]

    project = Pipeline([make]).to_project()
    assert project.to_dict()["datasets"][0]["format"] == "jsonl"
    assert project.to_dict()["datasets"][0]["storage"]["uri"] == "file:///tmp/out_f/"


def test_unknown_format_at_run_time_suggests() -> None:
    with pytest.raises(ValueError, match=r"unknown format 'jsn' .*\(did you mean 'json'\?\)"):
        Dataset("x", format="jsn")
    with pytest.raises(TypeError, match="format of Dataset 'x' must be a str"):
        Dataset("x", format=3)  # type: ignore[call-overload]

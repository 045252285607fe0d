"""`glacier lineage`: OpenLineage jobs and datasets from source, the same as a run reports."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from glacier.cli import main
from glacier.lineage.mapping import dataset_identity, lineage_jobs
from glacier.lineage.schema import runtime_schema_fields
from glacier.lineage.static import design_time_lineage
from tests.lineage.openlineage_schema import validate

MODELS = """\
from dataclasses import dataclass
from typing import ClassVar


@dataclass
class Order:
    id: int
    amount: float
    tags: list[str]
    kind: ClassVar[str] = "order"
"""

FLOW = """\
from glacier import Dataset, Pipeline, task
from glacier.storage import S3, LocalPath

from shop.models import Order

raw = Dataset("raw", storage=S3(bucket="lake", prefix="raw/orders/"), schema=Order)
clean = Dataset("clean", schema=Order)
report = Dataset("report", storage=LocalPath("out/report"))


@task
def extract() -> raw:
    return []


@task
def tidy(rows: raw) -> clean:
    return rows


@task
def summarize(rows: clean) -> report:
    return rows


nightly = Pipeline([extract, tidy, summarize], name="nightly")
"""


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "shop"\n')
    package = tmp_path / "shop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text(MODELS)
    (package / "flow.py").write_text(FLOW)
    previous = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(previous)


@pytest.mark.parametrize(
    ("storage", "expected"),
    [
        (None, ("glacier-dataset://glacier", "raw")),
        ({"kind": "s3", "uri": "s3://lake/raw/"}, ("s3://lake", "raw")),
        ({"kind": "s3", "uri": "s3://lake/"}, ("s3://lake", "/")),
        ({"kind": "gcs", "uri": "gs://bucket/a/b/"}, ("gs://bucket", "a/b")),
        ({"kind": "azure_blob", "uri": "az://box/x/"}, ("az://box", "x")),
        ({"kind": "local", "path": "data/raw", "uri": "file://data/raw/"}, ("file", "/p/data/raw")),
        ({"kind": "local", "path": "/srv/raw/", "uri": "file:///srv/raw/"}, ("file", "/srv/raw")),
    ],
)
def test_datasets_are_named_by_their_storage(
    storage: dict[str, str] | None, expected: tuple[str, str]
) -> None:
    assert dataset_identity("raw", storage, namespace="glacier", root=Path("/p")) == expected


def test_json_names_jobs_and_datasets(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lineage", "shop", "--format", "json", "--namespace", "team"]) == 0
    lineage = json.loads(capsys.readouterr().out)
    assert [job["name"] for job in lineage["jobs"]] == [
        "nightly.shop.flow.extract",
        "nightly.shop.flow.tidy",
        "nightly.shop.flow.summarize",
    ]
    tidy = lineage["jobs"][1]
    assert tidy == {
        "namespace": "team",
        "name": "nightly.shop.flow.tidy",
        "pipeline": "nightly",
        "task": "shop.flow.tidy",
        "source": {"path": "shop/flow.py", "line": 17},
        "inputs": [{"namespace": "s3://lake", "name": "raw/orders", "dataset": "raw"}],
        "outputs": [{"namespace": "glacier-dataset://team", "name": "clean", "dataset": "clean"}],
    }
    order = [
        {"name": "id", "type": "int"},
        {"name": "amount", "type": "float"},
        {"name": "tags", "type": "list[str]"},
    ]
    assert lineage["datasets"] == [
        {
            "namespace": "file",
            "name": f"{project.resolve()}/out/report",
            "dataset": "report",
            "schema": None,
        },
        {
            "namespace": "glacier-dataset://team",
            "name": "clean",
            "dataset": "clean",
            "schema": order,
        },
        {"namespace": "s3://lake", "name": "raw/orders", "dataset": "raw", "schema": order},
    ]


def test_openlineage_events_are_valid_and_deterministic(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    outputs = []
    for _ in range(2):
        assert main(["lineage", "shop"]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    events = [json.loads(line) for line in outputs[0].splitlines()]
    assert len(events) == 3
    for event in events:
        validate(event)
        assert event["eventTime"] == "2026-01-01T00:00:00Z"
        assert event["schemaURL"].endswith("#/$defs/JobEvent")
        assert event["job"]["namespace"] == "glacier"
    extract = events[0]
    assert extract["job"]["facets"]["jobType"]["integration"] == "GLACIER"
    location = extract["job"]["facets"]["sourceCodeLocation"]
    assert location["path"] == "shop/flow.py"
    assert location["url"] == (project / "shop" / "flow.py").resolve().as_uri() + "#L12"
    [output] = extract["outputs"]
    assert (output["namespace"], output["name"]) == ("s3://lake", "raw/orders")
    fields = output["facets"]["schema"]["fields"]
    assert [(f["name"], f["type"]) for f in fields] == [
        ("id", "int"),
        ("amount", "float"),
        ("tags", "list[str]"),
    ]


def test_never_imports_the_code(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flow = project / "shop" / "flow.py"
    flow.write_text("raise SystemExit('imported!')\n" + FLOW)
    assert main(["lineage", "shop", "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["jobs"]) == 3


def test_unknown_pipeline_and_missing_path(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lineage", "shop", "--pipeline", "weekly"]) == 2
    assert "no pipeline named `weekly`; the pipelines are: nightly" in capsys.readouterr().err
    assert main(["lineage", "nowhere"]) == 2
    assert "no such file or directory: nowhere" in capsys.readouterr().err


def test_a_run_reports_the_same_jobs_and_datasets(
    project: Path, load_module: Callable[..., ModuleType], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(project))
    module = load_module(project / "shop" / "flow.py", "shop.flow")
    pipeline = module.nightly
    fields = {
        d.name: found for d in pipeline.datasets if (found := runtime_schema_fields(d.schema))
    }
    at_run = lineage_jobs(
        pipeline.to_project(), namespace="glacier", root=project.resolve(), schema_fields=fields
    )
    from_source = design_time_lineage([Path("shop")], namespace="glacier", cache=False).jobs
    assert at_run == from_source


def test_emit_sends_the_job_events_through_the_configured_client(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in list(os.environ):
        if key.startswith("OPENLINEAGE"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(project))
    assert main(["lineage", "shop", "--emit"]) == 2
    assert "--emit needs OpenLineage configured" in capsys.readouterr().err

    sent = project / "sent.jsonl"
    (project / "openlineage.yml").write_text(
        f"transport:\n  type: file\n  log_file_path: {sent}\n  append: true\n"
    )
    assert main(["lineage", "shop", "--emit", "-o", "printed.jsonl"]) == 0
    printed = (project / "printed.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in sent.read_text().splitlines()] == [
        json.loads(line) for line in printed
    ]

"""Partial input: one file checked or drawn gives what the whole project gives for that file."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from glacier.cli import main

#: Two packages under ``src`` and one at the top, importing each other, with findings spread
#: over several files (and imports that a single file cannot resolve alone).
PROJECT = {
    "pyproject.toml": '[tool.glacier]\nsrc = ["src"]\n',
    "src/shop/__init__.py": "",
    "src/shop/datasets.py": """\
from glacier import Dataset
from glacier.storage import S3

raw_orders = Dataset("raw_orders", storage=S3(bucket="shop", prefix="raw/orders"))
raw_customers = Dataset("raw_customers", storage=S3(bucket="shop", prefix="raw/customers"))
valid_orders = Dataset("valid_orders")
enriched = Dataset("enriched")
daily_revenue = Dataset("daily_revenue")
forgotten = Dataset("forgotten")
""",
    "src/shop/ingest.py": """\
from glacier import task

from shop.datasets import enriched, raw_customers, raw_orders, valid_orders


@task
def validate_orders(orders: raw_orders) -> valid_orders:
    return orders


@task
def enrich(orders: valid_orders, customers: raw_customers) -> enriched:
    return orders


@task
def stray(orders: raw_orders) -> None:
    return None
""",
    "src/shop/reporting.py": """\
from glacier import task
from glacier.compute import container

from shop import datasets as ds


@task(compute=container(image="python:3.12", cpu=2, memory=4096))
def revenue(rows: ds.enriched) -> ds.daily_revenue:
    return rows


@task
def audit(rows: ds.daily_revenue, extra: ds.missing_thing) -> None:
    return None
""",
    "src/shop/pipeline.py": """\
from glacier import Pipeline

from shop.ingest import enrich, validate_orders
from shop.reporting import audit, revenue

nightly = Pipeline([validate_orders, enrich, revenue, audit], name="nightly")
""",
    "src/billing/__init__.py": "from billing.tasks import invoice as invoice\n",
    "src/billing/tasks.py": """\
from glacier import Dataset, task

from shop.datasets import daily_revenue

invoices = Dataset("invoices")
reminders = Dataset("reminders")


@task
def invoice(revenue: daily_revenue) -> invoices:
    return revenue


@task
def remind(due: reminders) -> None:
    return None
""",
    "src/billing/flow.py": """\
from glacier import Pipeline

from billing import invoice
from billing.tasks import remind
from shop.reporting import revenue
from shop.ingest import enrich, validate_orders

monthly = Pipeline([validate_orders, enrich, revenue, invoice, remind], name="monthly")
broken = Pipeline([invoice, not_defined_anywhere, "text"])
""",
    "scripts/backfill.py": """\
from glacier import Pipeline

from shop.pipeline import nightly
from shop.ingest import validate_orders

again = Pipeline([validate_orders], name="backfill")
""",
}


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def run(cwd: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    old = Path.cwd()
    os.chdir(cwd)
    try:
        code = main([*argv])
    finally:
        os.chdir(old)
    out, _ = capsys.readouterr()
    return code, out


def findings(cwd: Path, capsys: pytest.CaptureFixture[str], *paths: str) -> list[Any]:
    _, out = run(cwd, capsys, "check", *paths, "--output-format", "json", "--no-cache")
    found: list[Any] = json.loads(out)
    return found


def graph(cwd: Path, capsys: pytest.CaptureFixture[str], *paths: str) -> dict[str, Any]:
    _, out = run(cwd, capsys, "graph", *paths, "--format", "json", "--no-cache")
    drawn: dict[str, Any] = json.loads(out)
    return drawn


def python_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.py"))


def _filename(finding: dict[str, Any]) -> str:
    value = finding.get("filename") or finding["location"]["file"]
    return str(value)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write(tmp_path / "proj", PROJECT)


def test_the_project_has_findings_in_several_files(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = findings(project, capsys, ".")
    codes = {(_filename(f), f["code"]) for f in whole}
    assert ("src/shop/datasets.py", "GLC008") in codes  # forgotten
    assert ("src/shop/ingest.py", "GLC009") in codes  # stray
    assert ("src/shop/reporting.py", "GLC012") in codes  # ds.missing_thing
    assert ("src/billing/flow.py", "GLC005") in codes  # "text"
    # Imports resolve: no task or dataset of another file is mistaken for something else.
    mistaken = [f for f in whole if f["code"] in ("GLC004", "GLC005")]
    assert [_filename(f) for f in mistaken] == ["src/billing/flow.py"]


def test_every_file_alone_gives_its_findings_in_the_whole_project(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = findings(project, capsys, ".")
    for name in python_files(project):
        expected = [f for f in whole if _filename(f) == name]
        assert findings(project, capsys, name) == expected, name
    # A folder is the files under it.
    assert findings(project, capsys, "src/billing") == [
        f for f in whole if _filename(f).startswith("src/billing/")
    ]


def test_every_file_alone_draws_its_pipelines_whole(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = graph(project, capsys, ".")
    tasks = {t["id"]: t for t in whole["tasks"]}
    for name in python_files(project):
        drawn = graph(project, capsys, name)
        pipelines = [p for p in whole["pipelines"] if p["filename"] == name]
        assert drawn["pipelines"] == pipelines, name
        members = {task_id for p in pipelines for task_id in p["tasks"]}
        defined = {t["id"] for t in whole["tasks"] if t["filename"] == name}
        assert {t["id"] for t in drawn["tasks"]} == members | defined, name
        assert all(t == tasks[t["id"]] for t in drawn["tasks"]), name
        used = {i["dataset"] for t in drawn["tasks"] for i in t["inputs"]} | {
            t["output"] for t in drawn["tasks"] if t["output"]
        }
        assert used <= {d["name"] for d in drawn["datasets"]}, name
        assert all(d in whole["datasets"] for d in drawn["datasets"]), name
    nightly = graph(project, capsys, "src/shop/pipeline.py")["pipelines"]
    assert [len(p["tasks"]) for p in nightly] == [4]


def test_without_pyproject_the_root_is_above_the_outermost_package(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {k.removeprefix("src/"): v for k, v in PROJECT.items() if k.startswith("src/")}
    root = write(tmp_path / "plain", files)
    whole = findings(root, capsys, ".")
    # Run from elsewhere: the root comes from the package structure, not the current folder.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for name in ("shop/reporting.py", "billing/flow.py", "shop/pipeline.py"):
        alone = findings(elsewhere, capsys, str(root / name))
        expected = [f for f in whole if _filename(f) == name]
        assert [(f["code"], f["message"], f["location"]) for f in alone] == [
            (f["code"], f["message"], f["location"]) for f in expected
        ], name
    assert findings(root, capsys, "shop/pipeline.py") == []


def test_whole_project_also_reports_errors_of_importers(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alone = findings(project, capsys, "src/shop/ingest.py")
    hook = json.loads(
        run(
            project,
            capsys,
            "check",
            "--whole-project",
            "src/shop/ingest.py",
            "--output-format",
            "json",
            "--no-cache",
        )[1]
    )
    assert alone == [f for f in hook if _filename(f) == "src/shop/ingest.py"]
    assert {_filename(f) for f in hook if f["severity"] == "error"} >= {"src/billing/flow.py"}


def test_no_python_files_is_said_as_ruff_says_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("nothing to see\n")
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        code = main(["check", "."])
    finally:
        os.chdir(old)
    out, err = capsys.readouterr()
    assert code == 0
    assert "All checks passed" not in out
    assert "No Python files found" in err

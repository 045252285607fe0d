"""GLC015 target-limit: with `target = "aws"`, check, mypy and the editor report what AWS
cannot deploy, with the limits the compile target defines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from glacier.analysis import Workspace
from glacier.cli import main
from glacier.config import load_settings

SOURCE = """\
from glacier import Dataset, Pipeline, compute, task
from glacier.storage import GCS

report = Dataset("report")
raw = Dataset("raw", storage=GCS(bucket="lake", prefix="raw/"))


@task(compute=compute.serverless(memory=99999))
def build_report(data: raw) -> report: ...


pipeline = Pipeline([build_report])
"""


def project(tmp_path: Path, target: str | None) -> Path:
    table = f'[tool.glacier]\ntarget = "{target}"\n' if target else "[project]\nname = 'x'\n"
    (tmp_path / "pyproject.toml").write_text(table)
    (tmp_path / "flow.py").write_text(SOURCE)
    return tmp_path


def check_json(path: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    main(["check", str(path), "--output-format", "json", "--no-cache"])
    found: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return found


def test_glacier_check_reports_the_limits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    found = [d for d in check_json(project(tmp_path, "aws"), capsys) if d["code"] == "GLC015"]
    assert [(d["location"]["row"], d["severity"]) for d in found] == [(5, "error"), (9, "error")]  # type: ignore[index]
    messages = " ".join(str(d["message"]) for d in found)
    assert "10,240 MB" in messages and "gs://lake/raw/" in messages


def test_without_a_target_nothing_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert [d for d in check_json(project(tmp_path, None), capsys) if d["code"] == "GLC015"] == []


def test_an_unknown_target_is_a_configuration_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project(tmp_path, "azure")
    assert main(["check", str(tmp_path), "--no-cache"]) == 2
    assert "target must be one of aws, kubernetes" in capsys.readouterr().err


def test_the_editor_reports_them_too(tmp_path: Path) -> None:
    root = project(tmp_path, "aws")
    workspace = Workspace(root, load_settings(root))
    workspace.index()
    codes = [d.code for d in workspace.analyze().diagnostics]
    assert codes.count("GLC015") == 2


def test_mypy_reports_them_at_the_compute_call(tmp_path: Path) -> None:
    from mypy import api

    root = project(tmp_path, "aws")
    (root / "mypy.ini").write_text("[mypy]\nplugins = glacier_mypy\n")
    out, _, status = api.run(
        ["--config-file", str(root / "mypy.ini"), "--no-incremental", str(root / "flow.py")]
    )
    assert status == 1
    assert "flow.py:8: error: AWS cannot deploy this task" in out
    assert "[glacier-target-limit]" in out

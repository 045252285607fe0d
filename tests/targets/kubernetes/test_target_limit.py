"""GLC015 with `target = "kubernetes"`: check, the editor and mypy report what Kubernetes
cannot run, with the limits `KubernetesTarget` defines (the ones compile enforces)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from glacier.analysis import Workspace
from glacier.cli import main
from glacier.config import load_settings

SOURCE = """\
from glacier import Dataset, Pipeline, compute, task
from glacier.storage import LocalPath

report = Dataset("report", storage=LocalPath("out/report/"))
raw = Dataset("raw")


@task(compute=compute.container(image="Spark:Latest", cpu=0.0001))
def load() -> raw: ...


@task(compute=compute.serverless(memory=99999))
def build(rows: raw) -> report: ...


pipeline = Pipeline([load, build])
"""


def _project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.glacier]\ntarget = "kubernetes"\n')
    (tmp_path / "flow.py").write_text(SOURCE)
    return tmp_path


def test_glacier_check_reports_kubernetes_limits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["check", str(_project(tmp_path)), "--output-format", "json", "--no-cache"])
    found = [d for d in json.loads(capsys.readouterr().out) if d["code"] == "GLC015"]
    assert [(d["location"]["row"], d["message"]) for d in found] == [
        (
            4,
            "Kubernetes cannot deploy dataset `report`: is stored on a local path, which pods "
            "cannot reach; give it S3, GCS or AzureBlob storage",
        ),
        (
            9,
            "Kubernetes cannot deploy task `load`: cpu=0.0001 is below the smallest amount "
            "Kubernetes can request, 1 millicore (cpu=0.001)",
        ),
        (
            9,
            "Kubernetes cannot deploy task `load`: image `Spark:Latest` is not a valid image "
            "reference (registry/path:tag, the path in lowercase letters, digits and separators)",
        ),
    ]


def test_the_editor_reports_them_too(tmp_path: Path) -> None:
    root = _project(tmp_path)
    workspace = Workspace(root, load_settings(root))
    workspace.index()
    assert [d.code for d in workspace.analyze().diagnostics].count("GLC015") == 3


def test_mypy_reports_them_at_the_compute_call(tmp_path: Path) -> None:
    from mypy import api

    root = _project(tmp_path)
    (root / "mypy.ini").write_text("[mypy]\nplugins = glacier_mypy\n")
    out, _, status = api.run(
        ["--config-file", str(root / "mypy.ini"), "--no-incremental", str(root / "flow.py")]
    )
    assert status == 1
    assert "flow.py:8: error: Kubernetes cannot deploy this task: cpu=0.0001" in out
    assert "[glacier-target-limit]" in out
    assert "99999" not in out  # Kubernetes has no serverless memory limit


def test_compile_refuses_the_same_tasks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _project(tmp_path)
    out = tmp_path / "k8s"
    assert main(["compile", str(root), "--target", "kubernetes", "--out", str(out)]) == 1
    captured = capsys.readouterr()
    # With the target configured, the GLC015 diagnostics themselves block the compile.
    assert captured.out.count("GLC015") == 3
    assert "has errors (above); fix them before compiling" in captured.err
    assert not out.exists()

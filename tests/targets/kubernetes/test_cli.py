"""`glacier compile --target kubernetes` and `Deployment.to_kubernetes` write the same folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from glacier.cli import main
from glacier.compile import CompileError

FLOW = """
from glacier import Dataset, Pipeline, compute, task
from glacier.storage import S3

raw = Dataset("raw", storage=S3(bucket="lake", prefix="raw/"))
report = Dataset("report")


@task(compute=compute.container(image="spark:3.5", cpu=2, memory=4096))
def build(rows: raw) -> report:
    return len(rows)


pipeline = Pipeline([build], name="reports")
"""


def _project(root: Path, options: str = 'data = "s3://lake/glacier/"') -> Path:
    root.mkdir()
    (root / "pyproject.toml").write_text(f"[tool.glacier.kubernetes]\n{options}\n")
    (root / "flow.py").write_text(FLOW)
    return root


def test_compile_writes_manifests(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _project(tmp_path / "p")
    out = tmp_path / "k8s"
    assert main(["compile", str(root), "--target", "kubernetes", "--out", str(out)]) == 0
    assert "wrote 5 files for pipeline `reports`" in capsys.readouterr().out
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == [
        ".glacier-compile.json",
        "images/spark-3-5/Dockerfile",
        "images/spark-3-5/Dockerfile.dockerignore",
        "kubernetes.tf.json",
        "manifests/rbac.yaml",
        "manifests/workflow-template.yaml",
    ]
    # The same files from the running program, through Deployment.to_kubernetes.
    again = tmp_path / "again"
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); import flow; "
        "from glacier import KubernetesTarget; "
        "flow.pipeline.compile(target=KubernetesTarget()).to_kubernetes(sys.argv[2])"
    )
    subprocess.run([sys.executable, "-c", script, str(root), str(again)], check=True, cwd=root)
    for name in written:
        assert (again / name).read_bytes() == (out / name).read_bytes(), name


def test_limits_fail_before_writing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _project(tmp_path / "p", "max_cpu = 1")
    out = tmp_path / "k8s"
    assert main(["compile", str(root), "--target", "kubernetes", "--out", str(out)]) == 1
    errors = capsys.readouterr().err.splitlines()
    assert errors == [
        "glacier: error: kubernetes: task `build`: asks for 2 CPUs but the largest node has 1 "
        "(max_cpu in [tool.glacier.kubernetes])",
        "glacier: error: kubernetes: dataset `report`: has no storage; set "
        '`data = "s3://bucket/prefix/"` in [tool.glacier.kubernetes] (or '
        "KubernetesTarget(data=...)) for datasets without storage",
    ]
    assert not out.exists()


def test_bad_option_in_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _project(tmp_path / "p", 'namespace = 5\ndata = "s3://x/"')
    assert main(["compile", str(root), "--target", "kubernetes", "--out", str(tmp_path / "o")]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.endswith("[tool.glacier.kubernetes]: `namespace` must be a non-empty string, got 5")


def test_to_kubernetes_needs_the_kubernetes_target() -> None:
    from glacier.compile import Deployment
    from glacier.targets import AWSTarget
    from tests.targets.kubernetes.plans import plan, task

    with pytest.raises(CompileError, match=r"to_kubernetes\(\) needs KubernetesTarget\(\)"):
        Deployment(plan("p", task("a")), AWSTarget()).to_kubernetes("unused")

"""Compile at run time == compile from source, byte for byte, on generated projects.

Hypothesis writes a pipeline file (random DAG, compute of every kind, storage or none,
secrets); the analyzer's model and the imported pipeline's model (in a fresh process, as a
user's program would) are each compiled with the same options, and the files compared.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glacier.cli.compile import analyze_project
from glacier.compile import compile_project, select_pipeline
from glacier.targets.kubernetes import KubernetesTarget

REPO = Path(__file__).resolve().parents[3]
PYPROJECT = """
[tool.glacier.kubernetes]
namespace = "data"
data = "s3://lake/glacier/"
env = { AWS_REGION = "eu-west-1" }
secrets = { DB_PASSWORD = "orders-db/password" }
"""

COMPUTE = st.sampled_from(
    [
        "",
        "compute=compute.local()",
        "compute=compute.serverless(memory=512)",
        "compute=compute.serverless(memory=1024, timeout=30.5)",
        'compute=compute.container(image="spark:3.5", cpu=4, memory=8192)',
        'compute=compute.container(image="registry.example.com/team/job:1.0", cpu=0.25)',
        'compute=compute.container(image="analytics:latest")',
    ]
)


@st.composite
def sources(draw: st.DrawFn) -> str:
    count = draw(st.integers(1, 6))
    lines = [
        "from glacier import Dataset, Pipeline, compute, task",
        "from glacier.storage import S3",
        "",
    ]
    body: list[str] = []
    for i in range(count):
        storage = draw(st.booleans())
        where = f', storage=S3(bucket="lake", prefix="d{i}/")' if storage else ""
        lines.append(f'd{i} = Dataset("data_{i}"{where})')
        inputs = draw(st.lists(st.integers(0, i - 1), unique=True, max_size=3)) if i else []
        options = [o for o in [draw(COMPUTE)] if o]
        if draw(st.integers(0, 3)) == 0:
            options.append('secrets=["orders-db/password"]')
        parameters = ", ".join(f"x{j}: d{j}" for j in inputs)
        body += [
            f"@task({', '.join(options)})",
            f"def step_{i}({parameters}) -> d{i}:",
            f"    return {i}",
            "",
        ]
    name = draw(st.sampled_from(["analytics", "Nightly_Report", "p" * 70]))
    steps = ", ".join(f"step_{i}" for i in range(count))
    return "\n".join([*lines, "", *body, f'pipeline = Pipeline([{steps}], name="{name}")', ""])


RUNTIME = textwrap.dedent(
    """
    import importlib, json, sys
    sys.path.insert(0, sys.argv[1])
    from glacier import KubernetesTarget
    pipeline = importlib.import_module("flow").pipeline
    files = pipeline.compile(target=KubernetesTarget(image="r.example.com/runner:1")).files()
    print(json.dumps({path: data.decode() for path, data in files.items()}))
    """
)


def _runtime_files(root: Path) -> dict[str, str]:
    completed = subprocess.run(
        [sys.executable, "-c", RUNTIME, str(root)],
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        cwd=root,
    )
    assert completed.returncode == 0, completed.stderr
    files: dict[str, str] = json.loads(completed.stdout)
    return files


def _source_files(root: Path) -> dict[str, str]:
    settings, project, _ = analyze_project(root, cache=False)
    pipeline = select_pipeline(project, None, str(root))
    target = KubernetesTarget(image="r.example.com/runner:1")
    where = str(root / "pyproject.toml")
    deployment = compile_project(
        project, pipeline, settings.root, target, settings.target_options, where
    )
    return {path: data.decode() for path, data in deployment.files().items()}


@pytest.mark.slow
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sources())
def test_runtime_and_source_compile_agree(
    tmp_path_factory: pytest.TempPathFactory, source: str
) -> None:
    root = tmp_path_factory.mktemp("project")
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "flow.py").write_text(source)
    source_files = _source_files(root)
    assert {"kubernetes.tf.json", "manifests/rbac.yaml", "manifests/workflow-template.yaml"} <= set(
        source_files
    )
    assert source_files == _runtime_files(root)

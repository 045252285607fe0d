"""`glacier-graph` / `glacier graph` end to end, on the static analyzer's project."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from glacier.cli import graph_main, main
from tests.outputs.conftest import FIXTURES, REPO, assert_golden

SVG = "{http://www.w3.org/2000/svg}"
PROBLEMS = str(FIXTURES.relative_to(REPO) / "problems.py")


@pytest.fixture(autouse=True)
def _at_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["graph", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_process(
    *argv: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "glacier", "graph", *argv],
        cwd=REPO,
        capture_output=True,
        env=env,
        check=False,
        timeout=120,
    )


def svg_ids(svg: str) -> set[str]:
    return {g.get("id") or "" for g in ET.fromstring(svg).iter(f"{SVG}g")}


def test_default_is_svg_on_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "examples/analytics/pipeline.py")
    assert code == 0, err
    ids = svg_ids(out)
    _, listing, _ = run(capsys, "examples/analytics/pipeline.py", "--format", "json")
    project = json.loads(listing)
    for task in project["tasks"]:
        assert f"task:{task['id']}" in ids
    for dataset in project["datasets"]:
        assert f"dataset:{dataset['name']}" in ids
    # Tooltips: file:line relative to the current directory.
    line = next(t["line"] for t in project["tasks"] if t["name"] == "extract_users")
    assert f"examples/analytics/pipeline.py:{line}" in out


def test_glacier_graph_is_glacier_graph_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    assert graph_main(["examples/analytics", "--format", "dot"]) == 0
    first = capsys.readouterr().out
    code, second, _ = run(capsys, "examples/analytics", "--format", "dot")
    assert code == 0 and first == second


def test_json_is_the_project_dict(capsys: pytest.CaptureFixture[str]) -> None:
    from glacier.analysis import analyze_paths
    from glacier.config import load_settings

    code, out, _ = run(capsys, "examples", "--format", "json")
    assert code == 0
    expected = analyze_paths(["examples"], load_settings(Path.cwd())).project
    assert json.loads(out) == expected.to_dict(relative_to=Path.cwd())
    assert {"datasets", "tasks", "pipelines"} == set(json.loads(out))


def test_folders_draw_one_cluster_per_pipeline(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "examples", "--format", "dot")
    assert code == 0
    assert out.count("subgraph cluster_") == 4
    assert 'label="analytics"' in out


def test_pipeline_selection(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "examples", "--pipeline", "analytics", "--format", "dot")
    assert code == 0
    assert (
        out.count("subgraph cluster_") == 1 and "merge_data" in out and "detail_report" not in out
    )
    code, out, err = run(capsys, "examples", "--pipeline", "nightly", "--format", "dot")
    assert code == 2 and out == ""
    assert "no pipeline named `nightly`" in err and "analytics" in err
    assert "examples/patterns/diamond.py:45" in err


def test_error_diagnostics_exit_1_but_still_draw(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, PROBLEMS, "--format", "dot")
    assert code == 1
    assert "digraph glacier" in out
    assert "GLC001" in err and "GLC002" in err and "GLC003" in err
    assert "#d32f2f" in out


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "no/such/file.py")
    assert code == 2 and "no such file" in err
    code, _, _ = run(capsys, "examples", "--format", "gif")
    assert code == 2


def test_binary_formats_refuse_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    code, out, err = run(capsys, "examples/analytics", "--format", "png")
    assert code == 2 and out == "" and "-o FILE" in err


def test_binary_formats_to_a_pipe_and_to_files(tmp_path: Path) -> None:
    result = run_process("examples/analytics", "--format", "png")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(b"\x89PNG\r\n\x1a\n")
    target = tmp_path / "dag.pdf"
    result = run_process("examples/analytics", "-o", str(target))  # format from the suffix
    assert result.returncode == 0 and result.stdout == b""
    assert target.read_bytes().startswith(b"%PDF")


def test_two_runs_give_identical_bytes(capsys: pytest.CaptureFixture[str]) -> None:
    first = run(capsys, "examples")[1]
    assert run(capsys, "examples")[1] == first


def test_without_dot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {**os.environ, "PATH": str(tmp_path)}
    # SVG, PNG and PDF are drawn by the Graphviz that comes with Glacier then
    # (tests/cli/test_graph_without_dot.py); the message for no Graphviz at all is in
    # tests/outputs/test_graph_render.py.
    result = run_process("examples/analytics", "--format", "pdf", env=env)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.startswith(b"%PDF")
    monkeypatch.setenv("PATH", str(tmp_path))
    for fmt in ("dot", "mermaid", "json", "ascii"):
        code, out, err = run(capsys, "examples/analytics", "--format", fmt)
        assert code == 0, (fmt, err)
        assert out


def test_datasets_as_edges(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "examples/analytics", "--format", "dot", "--datasets", "edges")
    assert code == 0
    assert 'id="dataset:merged"' not in out and 'label="merged"' in out
    assert 'id="dataset:metrics"' in out  # a final output stays a node


def test_mermaid_and_ascii(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "examples/analytics", "--format", "mermaid")
    assert code == 0 and out.startswith("flowchart LR\n")
    code, out, _ = run(capsys, "examples/analytics", "--format", "ascii", "--width", "120")
    assert code == 0 and "│ merge_data" in out and "▼" in out


def test_examples_dot_golden(capsys: pytest.CaptureFixture[str]) -> None:
    """End to end: the analyzer's project of examples/, drawn (ids from module names)."""
    code, out, _ = run(capsys, "examples", "--format", "dot")
    assert code == 0
    assert_golden("cli_examples.dot", out)
    code, out, _ = run(capsys, PROBLEMS, "--format", "dot")
    assert code == 1
    assert_golden("cli_problems.dot", out)


def test_packages_and_selection_by_variable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = tmp_path / "shop"
    (shop / "tasks").mkdir(parents=True)
    (shop / "__init__.py").write_text("")
    (shop / "tasks" / "__init__.py").write_text("")
    (shop / "datasets.py").write_text(
        "from glacier import Dataset\n"
        "from glacier.storage import S3\n"
        'orders = Dataset("orders", storage=S3(bucket="shop", prefix="orders/"))\n'
        'clean = Dataset("clean_orders")\n'
    )
    (shop / "tasks" / "cleaning.py").write_text(
        "from glacier import compute, task\n"
        "from shop.datasets import clean, orders\n\n"
        "@task(compute=compute.serverless(memory=256))\n"
        "def clean_orders(raw: orders) -> clean:\n"
        "    return raw\n"
    )
    (shop / "pipelines.py").write_text(
        "from glacier import Pipeline\n"
        "from shop.tasks.cleaning import clean_orders\n"
        'nightly_run = Pipeline([clean_orders], name="nightly")\n'
    )
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "shop", "--pipeline", "nightly_run", "--format", "dot")
    assert code == 0, err
    assert 'id="task:shop.tasks.cleaning.clean_orders"' in out
    assert 'tooltip="shop.tasks.cleaning.clean_orders\\nshop/tasks/cleaning.py:5' in out
    assert 'shape="cylinder"' in out and "s3://shop/orders/" in out
    code, out, err = run(capsys, "shop", "--pipeline", "weekly")
    assert code == 2 and "nightly (variable `nightly_run`) at shop/pipelines.py:3" in err

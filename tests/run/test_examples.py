"""The seed's examples run and give the right values (fan-in, fan-out, diamond, complete)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from glacier import LocalExecutor, Pipeline
from glacier.run.loading import load_pipeline

from .conftest import ROOT, glacier_command, glacier_env

EXAMPLES = ROOT / "examples"


def _load(relative: str) -> tuple[Pipeline, Any]:
    pipeline = load_pipeline(str(EXAMPLES / relative))
    module = sys.modules[pipeline.tasks[0].fn.__module__]
    return pipeline, module


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_analytics_metrics(workers: int) -> None:
    pipeline, module = _load("analytics/pipeline.py")
    result = pipeline.run(executor=LocalExecutor(workers=workers), progress=False, keep="all")
    assert result.succeeded
    users = module.clean(module.fetch_users_from_api())
    orders = module.clean(module.fetch_orders_from_db())
    assert result["clean_users"] == users
    assert result["metrics"] == module.calculate(module.join(users, orders))
    assert result["metrics"] == {"Ada": 37.5, "Grace": 12.5}
    assert {run.status for run in result.tasks.values()} == {"succeeded"}


def test_final_outputs_only_by_default() -> None:
    pipeline, _ = _load("analytics/pipeline.py")
    result = pipeline.run(progress=False)
    assert list(result.outputs) == ["metrics"]
    assert result[pipeline.tasks[-1].output] == {"Ada": 37.5, "Grace": 12.5}
    with pytest.raises(KeyError, match="keep="):
        result["merged"]


def test_fan_in() -> None:
    pipeline, module = _load("patterns/fan_in.py")
    result = pipeline.run(progress=False)
    assert result["merged"] == module.join(module.fetch_users(), module.fetch_orders())


def test_fan_out() -> None:
    pipeline, _module = _load("patterns/fan_out.py")
    result = pipeline.run(progress=False, keep="all")
    assert result.succeeded
    sinks = [t for t in pipeline.get_sink_tasks()]
    assert len(sinks) >= 2
    for task in pipeline.tasks:
        kwargs = {p: result[d] for p, d in task.inputs.items()}
        if task.output is not None:
            assert result[task.output] == task(**kwargs)


def test_diamond() -> None:
    pipeline, _ = _load("patterns/diamond.py")
    result = pipeline.run(progress=False, keep="all")
    assert result.succeeded
    for task in pipeline.get_execution_order():
        kwargs = {p: result[d] for p, d in task.inputs.items()}
        if task.output is not None:
            assert result[task.output] == task(**kwargs)


def test_complete_example_through_glacier_run(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            glacier_command(),
            "run",
            str(EXAMPLES / "analytics/pipeline.py"),
            "--output-format",
            "json",
        ],
        capture_output=True,
        text=True,
        env=glacier_env(),
        cwd=tmp_path,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "skipped pipeline `analytics`.run() at module top level" in out.stderr
    import json

    summary = json.loads(out.stdout)
    assert summary["status"] == "succeeded"
    assert [t["id"] for t in summary["tasks"]] == [
        "pipeline.extract_users",
        "pipeline.extract_orders",
        "pipeline.clean_users",
        "pipeline.clean_orders",
        "pipeline.merge_data",
        "pipeline.compute_metrics",
    ]


def test_script_ids_equal_static_ids(tmp_path: Path) -> None:
    """Run as a script (``__main__``), task ids are the analyzer's."""
    from glacier.analysis import analyze_paths
    from glacier.config import load_settings

    script = EXAMPLES / "analytics/pipeline.py"
    code = (
        "import runpy, json, sys\n"
        "from glacier.run import add_listener, RunStarted\n"
        "seen = []\n"
        "add_listener(lambda e: seen.extend(e.tasks) if isinstance(e, RunStarted) else None)\n"
        f"runpy.run_path({str(script)!r}, run_name='__main__')\n"
        "print(json.dumps(seen))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=glacier_env(),
        check=True,
        cwd=tmp_path,  # the script compiles to ./infra at top level
    )
    import json

    runtime_ids = json.loads(out.stdout.strip().splitlines()[-1])
    result = analyze_paths([script.parent], load_settings(script.parent), cache=False)
    static_ids = list(result.project.pipelines[0].graph.order)
    assert runtime_ids == static_ids


def test_unguarded_run_is_skipped_when_glacier_imports_the_module() -> None:
    spec = importlib.util.find_spec("glacier.runtime.importing")
    assert spec is not None
    pipeline, _ = _load("analytics/pipeline.py")
    assert pipeline.name == "analytics"

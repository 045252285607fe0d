"""Helpers for the graph renderer tests: example projects and golden files.

Goldens live in ``tests/outputs/goldens/``. After an intended change to a drawing, regenerate
them with::

    GLACIER_UPDATE_GOLDENS=1 .venv/bin/pytest tests/outputs

and review the diff before committing.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from glacier.model import PipelineInfo, Project
from glacier.runtime.importing import importing_user_code
from glacier.runtime.pipeline import Pipeline

REPO = Path(__file__).resolve().parents[2]
GOLDENS = Path(__file__).parent / "goldens"
FIXTURES = Path(__file__).parent / "fixtures"

#: (golden stem, file, module name) of every drawn example.
EXAMPLES: list[tuple[str, Path, str]] = [
    ("analytics", REPO / "examples" / "analytics" / "pipeline.py", "analytics.pipeline"),
    *(
        (path.stem, path, f"patterns.{path.stem}")
        for path in sorted((REPO / "examples" / "patterns").glob("*.py"))
    ),
    ("problems", FIXTURES / "problems.py", "fixtures.problems"),
]

UPDATE_HINT = "GLACIER_UPDATE_GOLDENS=1 .venv/bin/pytest tests/outputs"


def runtime_project(path: Path, module_name: str) -> Project:
    """Import ``path`` as ``module_name`` and build the project of its pipelines.

    The renderers only see a `Project`, so the runtime gives the same input the static
    analyzer would (task ids ``<module_name>.<function>``), without depending on it.
    """
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        # Only the graph is wanted: top-level run()/compile() lines are skipped, as when
        # glacier itself imports user code (they would write ./infra otherwise).
        with importing_user_code():
            spec.loader.exec_module(module)
        pipelines = [value for value in vars(module).values() if isinstance(value, Pipeline)]
        datasets: dict[str, object] = {}
        tasks: dict[str, object] = {}
        infos: list[PipelineInfo] = []
        for pipeline in pipelines:
            project = pipeline.to_project()
            infos.extend(project.pipelines)
            for dataset in project.datasets:
                datasets.setdefault(dataset.name, dataset)
            for task in project.tasks:
                tasks.setdefault(task.id, task)
        return Project(tuple(datasets.values()), tuple(tasks.values()), tuple(infos))  # type: ignore[arg-type]
    finally:
        sys.modules.pop(module_name, None)


def assert_golden(name: str, actual: str) -> None:
    """Compare ``actual`` with ``goldens/<name>``; rewrite it under GLACIER_UPDATE_GOLDENS=1."""
    path = GOLDENS / name
    if os.environ.get("GLACIER_UPDATE_GOLDENS"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"golden {path.name} is missing; create it with: {UPDATE_HINT}"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, (
        f"{name} differs from its golden; if the change is intended, regenerate with: {UPDATE_HINT}"
    )

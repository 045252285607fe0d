"""External inputs are checked against their schemas when read on a Dask worker, exactly as
`LocalExecutor` checks them: ``[tool.glacier] validate`` and each dataset's ``validate=``."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path
from typing import Any

import pytest
from distributed import Client

from glacier import Dataset, Pipeline, task
from glacier.executors import DaskExecutor, LocalExecutor
from glacier.run.runner import run_pipeline
from glacier.schemas import SchemaWarning
from glacier.storage import LocalPath


@dataclasses.dataclass
class Person:
    name: str
    age: int


def people_pipeline(lake: Path, validate: str | None) -> Pipeline:
    """Two tasks reading one external input whose second row does not match `Person`."""
    folder = lake / "people"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "part-0.csv").write_text("name,age\nada,36\nbob,x\n")
    people = Dataset(
        "people", storage=LocalPath(str(folder)), schema=list[Person], validate=validate
    )
    people_count = Dataset("people_count")
    first_name = Dataset("first_name")

    @task
    def count_people(rows: people) -> people_count:
        return len(rows)

    @task
    def name_first(rows: people) -> first_name:
        return str(rows[0]["name"] if isinstance(rows[0], dict) else rows[0].name)

    return Pipeline([count_people, name_first], name="people")


def observed(pipeline: Pipeline, executor: Any, project: Path) -> dict[str, Any]:
    """Statuses, errors, outputs and schema warnings of one run."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run_pipeline(
            pipeline,
            executor,
            raise_on_error=False,
            progress=False,
            records=False,
            project_root=str(project),
        )
    return {
        "statuses": {name: run.status for name, run in result.tasks.items()},
        "errors": {
            name: f"{type(run.error).__name__}: {run.error}"
            for name, run in result.tasks.items()
            if run.error is not None
        },
        "outputs": dict(result.outputs),
        "warnings": [str(w.message) for w in caught if issubclass(w.category, SchemaWarning)],
    }


@pytest.mark.parametrize(
    ("project_setting", "dataset_setting", "fails", "warns"),
    [
        ("error", None, True, False),
        ("warn", None, False, True),
        ("off", None, False, False),
        ("off", "error", True, False),  # the dataset's own setting wins
        ("error", "warn", False, True),
    ],
)
def test_external_inputs_are_checked_as_local_runs_check_them(
    dask_client: Client,
    tmp_path: Path,
    project_setting: str,
    dataset_setting: str | None,
    fails: bool,
    warns: bool,
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\n[tool.glacier]\nvalidate = "{project_setting}"\n'
    )
    pipeline = people_pipeline(tmp_path / "lake", dataset_setting)
    local = observed(pipeline, LocalExecutor(workers=2), tmp_path)
    on_dask = observed(pipeline, DaskExecutor(client=dask_client), tmp_path)
    assert on_dask == local
    mismatch = "dataset `people` does not match its schema list[Person]: row 1, field `age`"
    if fails:
        assert set(on_dask["statuses"].values()) == {"failed"}
        assert all(
            error.startswith(f"SchemaMismatch: {mismatch}") for error in on_dask["errors"].values()
        )
    else:
        assert set(on_dask["statuses"].values()) == {"succeeded"}
        assert on_dask["outputs"]["people_count"] == 2
    assert len(on_dask["warnings"]) == (1 if warns else 0)
    assert all(text.startswith(mismatch) for text in on_dask["warnings"])

"""LocalExecutor and DaskExecutor agree: generated pipelines with random failing tasks.

Each generated task combines its inputs' values with its own number, so a wrong wiring, a lost
value or a task run after its input failed shows in the outputs or the statuses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from distributed import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glacier import Dataset, Pipeline, Task, task
from glacier.executors import DaskExecutor, LocalExecutor
from glacier.run.runner import run_pipeline

#: Task number -> (the earlier tasks it reads, whether it raises, retries).
Shape = dict[int, tuple[list[int], bool, int]]


@st.composite
def shapes(draw: st.DrawFn) -> Shape:
    count = draw(st.integers(min_value=1, max_value=12))
    shape: Shape = {}
    for number in range(count):
        reads = (
            draw(st.lists(st.integers(0, number - 1), max_size=3, unique=True)) if number else []
        )
        fails = draw(st.integers(0, 3)) == 0
        retries = draw(st.sampled_from([0, 0, 1]))
        shape[number] = (sorted(reads), fails, retries)
    return shape


def build(shape: Shape) -> Pipeline:
    namespace: dict[str, Any] = {"task": task, "__name__": "generated"}
    lines = []
    for number, (reads, fails, retries) in shape.items():
        namespace[f"d{number}"] = Dataset(f"d{number}")
        params = ", ".join(f"x{read}: d{read}" for read in reads)
        body = (
            f"    raise ValueError('t{number} fails')\n"
            if fails
            else f"    return [{number}, {', '.join(f'x{read}' for read in reads)}]\n"
        )
        lines.append(f"@task(retries={retries})\ndef t{number}({params}) -> d{number}:\n{body}")
    exec(compile("\n".join(lines), "<generated pipeline>", "exec"), namespace)  # the test's code
    tasks: list[Task[Any, Any]] = [namespace[f"t{number}"] for number in shape]
    return Pipeline(tasks, name="generated")


def summary(
    pipeline: Pipeline, executor: Any, project: Path
) -> tuple[dict[str, Any], dict[str, str]]:
    result = run_pipeline(
        pipeline,
        executor,
        raise_on_error=False,
        keep="all",
        progress=False,
        project_root=str(project),
    )
    statuses = {name: run.status for name, run in result.tasks.items()}
    errors = {
        name: f"{type(run.error).__name__}: {run.error}"
        for name, run in result.tasks.items()
        if run.error is not None
    }
    return dict(result.outputs), {**statuses, **{f"{k} error": v for k, v in errors.items()}}


@pytest.mark.slow
# Dask's client threads draw from `random` while Hypothesis generates an example; harmless here.
@pytest.mark.filterwarnings("ignore:Do not use the `random` module")
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(shape=shapes())
def test_dask_and_local_executors_agree(dask_client: Client, tmp_path: Path, shape: Shape) -> None:
    pipeline = build(shape)
    local = summary(pipeline, LocalExecutor(workers=2), tmp_path)
    on_dask = summary(pipeline, DaskExecutor(client=dask_client), tmp_path)
    assert on_dask == local

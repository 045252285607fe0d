"""A module that does not parse contributes "unknown", not "absent".

Property: inserting a syntax error into one module of a generated project adds exactly one
error (GLC000, reported first) and removes no true finding of the other modules. The only
findings elsewhere that may go are the graph checks of a pipeline that takes tasks or
datasets from the broken module; that pipeline then carries one GLC011 info saying so.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glacier.analysis import AnalysisResult
from tests.analysis.helpers import analyze

BREAKS = (
    "def oops(:\n    pass\n",
    "values = [1, 2\n",
    "@task\ndef half(x: \n",
    "class Broken\n    pass\n",
)


@dataclass(frozen=True)
class TaskSpec:
    name: str
    inputs: tuple[int, ...]
    output: int | None
    #: "" for a clean task; "int" (GLC004) or "undefined" (GLC012) for a faulty annotation.
    fault: str


@dataclass(frozen=True)
class ProjectSpec:
    datasets: tuple[bool, ...]  # stored or not, per dataset d0, d1, ...
    modules: tuple[tuple[TaskSpec, ...], ...]  # task modules t0, t1, ...
    flows: tuple[tuple[tuple[str, ...], bool], ...]  # task names per pipeline, a bad element?

    def files(self) -> dict[str, str]:
        blocks: dict[str, list[str]] = {}
        blocks["gen/__init__.py"] = ['"""Generated."""\n']
        blocks["gen/datasets.py"] = [
            "from glacier import Dataset\nfrom glacier.storage import S3\n",
            *(
                f'd{i} = Dataset("d{i}"'
                + (f', storage=S3(bucket="b", prefix="d{i}")' if s else "")
                + ")\n"
                for i, s in enumerate(self.datasets)
            ),
        ]
        where: dict[str, str] = {}
        for number, tasks in enumerate(self.modules):
            used = sorted(
                {i for t in tasks for i in t.inputs}
                | {t.output for t in tasks if t.output is not None}
            )
            header = "from glacier import task\n"
            if used:
                header += f"from gen.datasets import {', '.join(f'd{i}' for i in used)}\n"
            module = [header]
            for task in tasks:
                where[task.name] = f"gen.tasks{number}"
                params = [f"p{k}: d{i}" for k, i in enumerate(task.inputs)]
                if task.fault == "int":
                    params.append("count: int")
                elif task.fault == "undefined":
                    params.append(f"extra: no_such_{task.name}")
                returns = f" -> d{task.output}" if task.output is not None else " -> None"
                module.append(f"@task\ndef {task.name}({', '.join(params)}){returns}:\n    ...\n")
            blocks[f"gen/tasks{number}.py"] = module
        for number, (names, bad) in enumerate(self.flows):
            module = ["from glacier import Pipeline\n"]
            by_module: dict[str, list[str]] = {}
            for name in names:
                by_module.setdefault(where[name], []).append(name)
            for source, listed in sorted(by_module.items()):
                module.append(f"from {source} import {', '.join(sorted(listed))}\n")
            elements = [*names, '"text"'] if bad else list(names)
            module.append(f'flow{number} = Pipeline([{", ".join(elements)}], name="p{number}")\n')
            blocks[f"gen/flow{number}.py"] = module
        return {path: "\n\n".join(parts) for path, parts in blocks.items()}


@st.composite
def projects(draw: st.DrawFn) -> ProjectSpec:
    datasets = tuple(draw(st.lists(st.booleans(), min_size=2, max_size=6)))
    indexes = st.integers(0, len(datasets) - 1)
    modules: list[tuple[TaskSpec, ...]] = []
    count = 0
    for _ in range(draw(st.integers(1, 3))):
        tasks = []
        for _ in range(draw(st.integers(1, 3))):
            tasks.append(
                TaskSpec(
                    f"task{count}",
                    tuple(draw(st.lists(indexes, max_size=2, unique=True))),
                    draw(st.none() | indexes),
                    draw(st.sampled_from(["", "", "", "int", "undefined"])),
                )
            )
            count += 1
        modules.append(tuple(tasks))
    names = [t.name for tasks in modules for t in tasks]
    flows = tuple(
        (
            tuple(draw(st.lists(st.sampled_from(names), min_size=1, unique=True))),
            draw(st.booleans()),
        )
        for _ in range(draw(st.integers(0, 2)))
    )
    return ProjectSpec(datasets, tuple(modules), flows)


Key = tuple[str, int, int, str, str]


def keyed(result: AnalysisResult, root: Path, skip: str) -> set[Key]:
    return {
        (
            Path(d.span.filename).relative_to(root).as_posix(),
            d.span.line,
            d.span.column,
            d.code,
            d.message,
        )
        for d in result.diagnostics
        if Path(d.span.filename).relative_to(root).as_posix() != skip
    }


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(projects(), st.data())
def test_a_syntax_error_adds_one_error_and_removes_no_true_finding(
    project: ProjectSpec, data: st.DataObject
) -> None:
    files = project.files()
    broken = data.draw(st.sampled_from(sorted(files)), label="broken module")
    blocks = files[broken].split("\n\n")
    at = data.draw(st.integers(0, len(blocks)), label="insert at block")
    snippet = data.draw(st.sampled_from(BREAKS), label="syntax error")
    damaged = {**files, broken: "\n\n".join([*blocks[:at], snippet, *blocks[at:]])}
    top = Path(tempfile.mkdtemp(prefix="glacier-contain-"))
    try:
        before = analyze(top / "before", files)
        after = analyze(top / "after", damaged)
        old = keyed(before, top / "before", broken)
        new = keyed(after, top / "after", broken)
        here = [d for d in after.diagnostics if d.span.filename.endswith(broken)]
        # Exactly one error is added: the syntax error, first in the list.
        assert [d.code for d in here] == ["GLC000"], here
        assert after.diagnostics[0].code == "GLC000"
        # A pipeline that takes something from the broken module says so with one GLC011;
        # its own graph findings may then name fewer tasks (a producer in the broken module
        # is unknown), but nothing new appears anywhere else.
        informed = {(k[0], k[1], k[2]) for k in new - old if k[3] == "GLC011"}
        assert {k for k in new - old if k[3] != "GLC011" and k[:3] not in informed} == set()
        # No true finding elsewhere goes, except the graph checks of informed pipelines.
        removed = {k for k in old - new if (k[0], k[1], k[2]) not in informed}
        assert removed == set()
        assert all(
            sum(1 for k in new if (k[0], k[1], k[2]) == spot and k[3] == "GLC011") == 1
            for spot in informed
        )
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_the_reported_case(tmp_path: Path) -> None:
    """An unclosed ``[`` in a task module: GLC000 first, no false GLC012/GLC002/GLC008."""
    files = {
        "shop/__init__.py": "",
        "shop/datasets.py": """\
            from glacier import Dataset
            from glacier.storage import S3

            raw = Dataset("raw", storage=S3(bucket="b", prefix="raw"))
            clean = Dataset("clean")
            report = Dataset("report")
            """,
        "shop/ingest.py": """\
            from glacier import task

            from shop.datasets import clean, raw


            @task
            def validate(rows: raw) -> clean:
                return [r for r in rows
            """,
        "shop/reporting.py": """\
            from glacier import task

            from shop.datasets import clean, report


            @task
            def summarize(rows: clean) -> report:
                return rows
            """,
        "shop/pipeline.py": """\
            from glacier import Pipeline

            from shop.ingest import validate
            from shop.reporting import summarize

            nightly = Pipeline([validate, summarize], name="nightly")
            """,
    }
    result = analyze(tmp_path, files)
    assert [(Path(d.span.filename).name, d.code) for d in result.diagnostics] == [
        ("ingest.py", "GLC000"),
        ("pipeline.py", "GLC011"),
    ]
    info = result.diagnostics[1]
    assert "`shop.ingest`" in info.message and "`nightly`" in info.message
    nightly = result.project.pipelines[0]
    assert [t.id for t in nightly.graph.tasks] == ["shop.reporting.summarize"]


def test_star_imports_and_decorators_from_a_broken_module_are_opaque(tmp_path: Path) -> None:
    files = {
        "helpers.py": "from glacier import task\n\n\ndef deco(:\n",
        "flow.py": """\
            from glacier import Dataset, Pipeline, task
            from helpers import *
            from helpers import deco

            out = Dataset("out")


            @deco
            def made(x: something_from_helpers) -> out: ...


            @task(compute=helper_compute())
            def typed(x: another_name) -> out: ...


            flow = Pipeline([made, typed, yet_another], name="flow")
            """,
    }
    result = analyze(tmp_path, files)
    assert [d.code for d in result.diagnostics] == ["GLC000", "GLC011"]

"""Differential test: the static analyzer and the runtime agree on generated projects.

Hypothesis generates multi-module pipeline projects (random DAG shapes, import
spellings, aliases, string and deferred annotations, the shadowing pattern, seeded
errors); each is analysed statically, then imported for real in a subprocess, and
``Pipeline.to_dict()`` and the codes of ``validate()`` are compared.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.analysis.helpers import analyze, write_project

SPELLINGS = ("from", "module_alias", "absolute", "relative", "star", "alias", "reexport")
GLACIER = ("plain", "module", "alias")
PIPELINE_CODES = {"GLC001", "GLC002", "GLC003", "GLC004", "GLC005", "GLC012"}


@dataclass
class TaskSpec:
    name: str
    module: int
    inputs: list[int]  # dataset indices
    output: int | None
    shadow: bool = False
    compute: bool = False
    config: bool = False


@dataclass
class ProjectSpec:
    tasks: list[TaskSpec]
    datasets: list[str]
    #: dataset index -> task module that declares it (shadowed datasets), else datasets.py
    declared_in: dict[int, int]
    storage: set[int]
    spellings: list[str]
    glacier: list[str]
    strings: list[bool]
    future: list[bool]
    order: list[int]
    keyword: bool
    non_task: bool
    element_style: list[str]
    extra: list[str] = field(default_factory=list)


@st.composite
def projects(draw: st.DrawFn) -> ProjectSpec:
    count = draw(st.integers(2, 7))
    modules = draw(st.integers(1, 3))
    assignment = sorted(draw(st.lists(st.integers(0, modules - 1), min_size=count, max_size=count)))
    datasets: list[str] = []
    tasks: list[TaskSpec] = []
    declared_in: dict[int, int] = {}
    for i in range(count):
        producing = [t for t in tasks if t.output is not None]
        chosen = (
            draw(st.lists(st.sampled_from(producing), max_size=3, unique_by=lambda t: t.name))
            if producing
            else []
        )
        inputs = [t.output for t in chosen if t.output is not None]
        has_output = draw(st.booleans()) or i < count - 1 or not inputs
        output = None
        shadow = False
        if has_output:
            datasets.append(f"d{len(datasets)}")
            output = len(datasets) - 1
            shadow = draw(st.integers(0, 4)) == 0
            if shadow:
                declared_in[output] = assignment[i]
        name = datasets[output] if shadow and output is not None else f"t{i}"
        tasks.append(
            TaskSpec(
                name,
                assignment[i],
                inputs,
                output,
                shadow,
                draw(st.booleans()),
                draw(st.integers(0, 5)) == 0,
            )
        )
    storage: set[int] = set()
    seeds = draw(
        st.sets(st.sampled_from(["cycle", "missing", "external", "duplicate"]), max_size=2)
    )
    if "missing" in seeds or "external" in seeds:
        for seed in ("missing", "external"):
            if seed in seeds:
                datasets.append(f"{seed}_data")
                index = len(datasets) - 1
                if seed == "external":
                    storage.add(index)
                draw_task = tasks[draw(st.integers(0, count - 1))]
                draw_task.inputs.append(index)
    if "cycle" in seeds:
        last = next((t for t in reversed(tasks) if t.output is not None and not t.shadow), None)
        if last is not None and tasks[0] is not last:
            tasks[0].inputs.append(last.output)  # type: ignore[arg-type]
    if "duplicate" in seeds:
        plain = [t for t in tasks if t.output is not None and not t.shadow]
        if len(plain) >= 2:
            plain[-1].output = plain[0].output
    for task in tasks:
        task.inputs = list(dict.fromkeys(task.inputs))
    order = draw(st.permutations(list(range(count))))
    return ProjectSpec(
        tasks=tasks,
        datasets=datasets,
        declared_in=declared_in,
        storage=storage,
        spellings=[draw(st.sampled_from(SPELLINGS)) for _ in range(modules)],
        glacier=[draw(st.sampled_from(GLACIER)) for _ in range(modules)],
        strings=[draw(st.booleans()) for _ in range(modules)],
        future=[draw(st.booleans()) for _ in range(modules)],
        order=list(order),
        keyword=draw(st.booleans()),
        non_task=draw(st.integers(0, 4)) == 0,
        element_style=[draw(st.sampled_from(["from", "module"])) for _ in range(modules)],
    )


def render(spec: ProjectSpec) -> dict[str, str]:
    files: dict[str, str] = {}
    shared = [i for i in range(len(spec.datasets)) if i not in spec.declared_in]
    lines = ["from glacier import Dataset", "from glacier.storage import S3", ""]
    for i in shared:
        storage = ', storage=S3(bucket="lake")' if i in spec.storage else ""
        lines.append(f'{spec.datasets[i]} = Dataset("ds_{spec.datasets[i]}"{storage})')
    files["proj/datasets.py"] = "\n".join(lines) + "\n"
    reexport = any(s == "reexport" for s in spec.spellings)
    files["proj/__init__.py"] = "from proj.datasets import *  # noqa\n" if reexport else ""
    modules = sorted({t.module for t in spec.tasks})
    for module in modules:
        spelling = spec.spellings[module]
        style = spec.glacier[module]
        lines = []
        if spec.future[module]:
            lines.append("from __future__ import annotations")
        decorator = {"plain": "task", "module": "g.task", "alias": "step"}[style]
        lines.append(
            {
                "plain": "from glacier import Dataset, task, compute",
                "module": "import glacier as g\nfrom glacier import Dataset, compute",
                "alias": "from glacier import Dataset, compute\nfrom glacier import task as step",
            }[style]
        )
        used = {i for t in spec.tasks if t.module == module for i in t.inputs}
        used |= {t.output for t in spec.tasks if t.module == module and t.output is not None}
        refs: dict[int, str] = {}
        for i in sorted(used):
            name = spec.datasets[i]
            owner = spec.declared_in.get(i)
            if owner is not None:
                if owner != module:
                    lines.append(f"from proj.tasks_{owner} import {name}")
                refs[i] = name
            elif spelling == "from":
                lines.append(f"from proj.datasets import {name}")
                refs[i] = name
            elif spelling == "module_alias":
                lines.append("from proj import datasets as ds")
                refs[i] = f"ds.{name}"
            elif spelling == "absolute":
                lines.append("import proj.datasets")
                refs[i] = f"proj.datasets.{name}"
            elif spelling == "relative":
                lines.append(f"from .datasets import {name}")
                refs[i] = name
            elif spelling == "star":
                lines.append("from proj.datasets import *")
                refs[i] = name
            elif spelling == "alias":
                lines.append(f"from proj.datasets import {name} as alias_{name}")
                refs[i] = f"alias_{name}"
            else:
                lines.append(f"from proj import {name}")
                refs[i] = name
        for i in sorted(used):
            if spec.declared_in.get(i) == module:
                lines.append(f'{spec.datasets[i]} = Dataset("ds_{spec.datasets[i]}")')
        quote = '"' if spec.strings[module] and not spec.future[module] else ""
        for task in (t for t in spec.tasks if t.module == module):
            params = [f"p{k}: {quote}{refs[i]}{quote}" for k, i in enumerate(task.inputs)]
            if task.config:
                params.append("limit: int = 3")
            returns = f"{quote}{refs[task.output]}{quote}" if task.output is not None else "None"
            compute = "(compute=compute.local())" if task.compute else ""
            lines += [
                "",
                "",
                f"@{decorator}{compute}",
                f"def {task.name}({', '.join(params)}) -> {returns}:",
                "    return None",
            ]
        files[f"proj/tasks_{module}.py"] = "\n".join(lines) + "\n"
    lines = ["from glacier import Pipeline"]
    elements = []
    for index in spec.order:
        task = spec.tasks[index]
        if spec.element_style[task.module] == "module":
            lines.append(f"from proj import tasks_{task.module}")
            elements.append(f"tasks_{task.module}.{task.name}")
        else:
            lines.append(f"from proj.tasks_{task.module} import {task.name}")
            elements.append(task.name)
    if spec.non_task:
        lines += ["", "", "def helper():", "    return None"]
        elements.insert(len(elements) // 2, "helper")
    listed = "[" + ", ".join(elements) + "]"
    call = f'Pipeline(tasks={listed}, name="generated")' if spec.keyword else f"Pipeline({listed})"
    lines += ["", f"pipeline = {call}"]
    files["proj/pipeline.py"] = "\n".join(lines) + "\n"
    return files


_RUNTIME = """
import json, sys
sys.path.insert(0, sys.argv[1])
from glacier import PipelineValidationError
import proj.pipeline as module
pipeline = module.pipeline
try:
    pipeline.validate()
    codes = []
except PipelineValidationError as error:
    codes = sorted({p.code for p in error.problems})
print(json.dumps({"dict": pipeline.to_dict(), "codes": codes}))
"""


def runtime(root: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _RUNTIME, str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(spec=projects())
def test_static_matches_runtime(spec: ProjectSpec, tmp_path_factory: object) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        write_project(root, render(spec))
        result = analyze(root)
        pipeline = next(p for p in result.project.pipelines if p.variable == "pipeline")
        static_codes = sorted(
            {
                d.code
                for d in result.diagnostics
                if d.code in PIPELINE_CODES and Path(d.span.filename).name == "pipeline.py"
            }
        )
        assert not [d for d in result.diagnostics if d.code in ("GLC000", "GLC011")]
        real = runtime(root)
        assert pipeline.to_dict() == real["dict"]
        assert static_codes == real["codes"]

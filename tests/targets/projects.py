"""Write pipeline projects to disk (for compiling from source and importing)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def write_project(
    root: Path,
    tasks: Sequence[tuple[str, Sequence[int], str]],
    *,
    name: str = "generated",
    pyproject: str = "",
    module: str = "flow",
) -> Path:
    """A project whose task ``i`` is ``(name, dependencies, compute expression)``.

    Task ``i`` produces dataset ``d{i}`` and consumes the outputs of its dependencies.
    Returns the pipeline file.
    """
    (root / "pyproject.toml").write_text(f"[project]\nname = 'x'\n{pyproject}", encoding="utf-8")
    lines = ["from glacier import Dataset, Pipeline, compute, task", ""]
    lines += [f'd{i} = Dataset("d{i}")' for i in range(len(tasks))]
    for i, (task_name, dependencies, compute) in enumerate(tasks):
        parameters = ", ".join(f"x{d}: d{d}" for d in dependencies)
        body = " + ".join(f"x{d}" for d in dependencies) or "1"
        decorator = f"@task(compute={compute})" if compute else "@task"
        lines += ["", decorator, f"def {task_name}({parameters}) -> d{i}:", f"    return {body}"]
    listed = ", ".join(t[0] for t in tasks)
    lines += ["", f'pipeline = Pipeline([{listed}], name="{name}")', ""]
    path = root / f"{module}.py"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path

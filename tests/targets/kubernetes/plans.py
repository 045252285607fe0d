"""Small target-independent plans built directly, for tests of the Kubernetes target alone."""

from __future__ import annotations

from typing import Any

from glacier.compile.plan import DEFAULT_COMPUTE, Plan, PlannedDataset, PlannedTask
from glacier.graph import Input


def task(
    name: str,
    *dependencies: str,
    compute: dict[str, Any] | None = None,
    secrets: tuple[str, ...] = (),
    module: str = "shop",
) -> PlannedTask:
    """Task ``module.name`` reading the outputs (``d_<dep>``) of ``dependencies``."""
    return PlannedTask(
        id=f"{module}.{name}",
        name=name,
        module=module,
        source=f"{module}.py",
        import_root=".",
        inputs=tuple(Input(f"x{i}", f"d_{d}") for i, d in enumerate(dependencies)),
        output=f"d_{name}",
        compute=compute or dict(DEFAULT_COMPUTE),
        dependencies=tuple(f"{module}.{d}" for d in dependencies),
        options={"secrets": secrets} if secrets else {},
    )


def plan(name: str, *tasks: PlannedTask, storage: dict[str, dict[str, Any]] | None = None) -> Plan:
    """A plan of ``tasks``; ``storage`` gives some datasets (by name) a storage dict."""
    storage = storage or {}
    datasets = tuple(
        PlannedDataset(t.output or "", storage.get(t.output or ""), t.id, ()) for t in tasks
    )
    return Plan(
        pipeline=name,
        tasks=tasks,
        order=tuple(t.id for t in tasks),
        datasets=datasets,
        target_options={},
        lock_file=None,
        has_pyproject=True,
    )

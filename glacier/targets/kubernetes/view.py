"""The target's view of a pipeline (`KubernetesPlan`), taken from the project model."""

from __future__ import annotations

from glacier.model import PipelineInfo, Project
from glacier.targets.kubernetes.manifests import KubernetesPlan, PlannedDataset, PlannedTask


def plan_from_project(project: Project, pipeline: PipelineInfo) -> KubernetesPlan:
    """Tasks in the pipeline's list order with their dependencies; every dataset they touch."""
    graph = pipeline.graph
    tasks: list[PlannedTask] = []
    names: list[str] = []
    for node in graph.tasks:
        info = project.task(node.id)
        tasks.append(
            PlannedTask(
                id=node.id,
                name=node.name,
                compute=dict(info.compute) if info and info.compute is not None else None,
                dependencies=graph.dependencies(node.id),
                secrets=tuple(info.secrets) if info is not None else (),
            )
        )
        for name in (*(i.dataset for i in node.inputs), *([node.output] if node.output else [])):
            if name not in names:
                names.append(name)
    datasets = []
    for name in names:
        declared = project.dataset(name)
        storage = declared.storage if declared is not None else None
        datasets.append(PlannedDataset(name, dict(storage) if storage is not None else None))
    label = pipeline.name or pipeline.variable or "pipeline"
    return KubernetesPlan(pipeline=label, tasks=tuple(tasks), datasets=tuple(datasets))

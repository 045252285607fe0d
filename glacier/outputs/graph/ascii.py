"""ASCII drawing of pipelines for terminals (`pipeline.visualize()`, ``--format ascii``)."""

from __future__ import annotations

from glacier.compute import summarize_compute
from glacier.model import PipelineInfo, Project


def render_ascii(project: Project, *, width: int = 100) -> str:
    """Each pipeline as a list of tasks in execution order with their outgoing data."""
    return "\n".join(_render_pipeline(project, pipeline) for pipeline in project.pipelines)


def _render_pipeline(project: Project, pipeline: PipelineInfo) -> str:
    graph = pipeline.graph
    names = {task.id: task.name for task in graph.tasks}
    lines = [f"Pipeline {pipeline.label} ({len(graph.tasks)} tasks)"]
    for dataset in graph.inputs:
        info = project.dataset(dataset)
        uri = info.storage.get("uri") if info is not None and info.storage else None
        lines.append(f"  input {dataset}" + (f" <- {uri}" if uri else ""))
    order = graph.order or tuple(task.id for task in graph.tasks)
    if not graph.order:
        lines.append("  (cycle: no execution order; tasks in list order)")
    for task_id in order:
        node = graph.task(task_id)
        task = project.task(task_id)
        compute = f"  [{summarize_compute(dict(task.compute))}]" if task and task.compute else ""
        lines.append(f"  {node.name}{compute}")
        consumers = [names[c] for c in graph.consumers(task_id)]
        if node.output is not None:
            target = ", ".join(consumers) if consumers else "(final output)"
            lines.append(f"    └─ {node.output} ─> {target}")
    return "\n".join(lines) + "\n"

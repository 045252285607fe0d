"""Design-time lineage: the jobs and datasets a run would report, from source alone."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from glacier.config import Settings, load_settings
from glacier.diagnostics import Diagnostic
from glacier.lineage.mapping import LineageJob, lineage_jobs
from glacier.lineage.schema import static_schema_fields
from glacier.model import PipelineInfo


class UnknownPipelineError(LookupError):
    """``--pipeline`` names no pipeline; the message lists the known ones."""


@dataclass(frozen=True)
class DesignTimeLineage:
    jobs: tuple[LineageJob, ...]
    #: ``SOURCE_DATE_EPOCH`` if set, else the newest modification time of the analysed files.
    event_time: str
    root: Path
    diagnostics: tuple[Diagnostic, ...]
    failures: tuple[str, ...]
    pipelines: tuple[PipelineInfo, ...]


def project_settings(paths: Sequence[Path]) -> Settings:
    """Settings and root for ``paths``: the nearest ``pyproject.toml`` above the first one.

    The one place that finds the project; whole-project resolution can replace it.
    """
    return load_settings(paths[0] if paths else Path.cwd())


def event_time(files: Sequence[Path]) -> str:
    """A deterministic ``eventTime`` for design-time events (RFC 3339, UTC)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        seconds = float(epoch)
    else:
        times = [path.stat().st_mtime for path in files if path.exists()]
        seconds = float(int(max(times))) if times else 0.0
    moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
    return moment.isoformat().replace("+00:00", "Z")


def design_time_lineage(
    paths: Sequence[Path],
    *,
    namespace: str,
    pipeline: str | None = None,
    settings: Settings | None = None,
    cache: bool = True,
) -> DesignTimeLineage:
    """Analyse ``paths`` (never importing them) and map every pipeline's tasks to jobs.

    Raises:
        UnknownPipelineError: if ``pipeline`` names no pipeline (by name, else variable).
    """
    from glacier.analysis import analyze_paths

    settings = settings or project_settings(paths)
    result = analyze_paths(list(paths), settings, cache=cache)
    project = result.project
    fields = static_schema_fields(project, result.files)
    chosen = tuple(project.pipelines)
    if pipeline is not None:
        chosen = tuple(p for p in chosen if p.name == pipeline) or tuple(
            p for p in chosen if p.variable == pipeline
        )
        if not chosen:
            known = ", ".join(sorted({p.name or p.variable or "?" for p in project.pipelines}))
            raise UnknownPipelineError(
                f"no pipeline named `{pipeline}`"
                + (f"; the pipelines are: {known}" if known else ": no `Pipeline(...)` found")
            )
    jobs = lineage_jobs(
        project, namespace=namespace, root=settings.root, schema_fields=fields, pipelines=chosen
    )
    return DesignTimeLineage(
        jobs=jobs,
        event_time=event_time(result.files),
        root=settings.root,
        diagnostics=result.diagnostics,
        failures=result.failures,
        pipelines=tuple(project.pipelines),
    )


def lineage_to_dict(lineage: DesignTimeLineage) -> dict[str, Any]:
    """Glacier's own JSON of design-time lineage (see docs/lineage.md)."""
    from glacier.lineage.mapping import source_url

    def dataset(d: Any) -> dict[str, str]:
        return {"namespace": d.namespace, "name": d.name, "dataset": d.dataset}

    jobs = []
    datasets: dict[tuple[str, str], dict[str, Any]] = {}
    for job in lineage.jobs:
        location = source_url(job)
        jobs.append(
            {
                "namespace": job.namespace,
                "name": job.name,
                "pipeline": job.pipeline,
                "task": job.task,
                "source": (
                    {"path": location[1], "line": job.source.line}
                    if location is not None and job.source is not None
                    else None
                ),
                "inputs": [dataset(d) for d in job.inputs],
                "outputs": [dataset(d) for d in job.outputs],
            }
        )
        for d in (*job.inputs, *job.outputs):
            datasets.setdefault(
                (d.namespace, d.name),
                {
                    **dataset(d),
                    "schema": (
                        [{"name": f.name, "type": f.type} for f in d.fields]
                        if d.fields is not None
                        else None
                    ),
                },
            )
    return {"jobs": jobs, "datasets": [datasets[key] for key in sorted(datasets)]}

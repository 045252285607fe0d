"""The custom request ``glacier/graph`` (spec §4), answered by ``glacier.outputs.graph``.

Params ``{"uri", "pipeline": null|str, "format": "svg"|"dot"|"json"}``; result ``{"content"}``.
``svg``/``dot`` draw the named pipeline (matched by name, then variable), or with ``pipeline``
null every pipeline defined in the file (a file without one draws its own tasks). ``json`` is the
whole project (`Project.to_dict`, absolute filenames), so a client can list and locate everything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from glacier.model import PipelineInfo, Project
from glacier.outputs.graph.dot import render_dot
from glacier.outputs.graph.svg import render_svg
from glacier_lsp.convert import path_key

METHOD = "glacier/graph"
FORMATS = ("svg", "dot", "json")


@dataclass(frozen=True)
class GraphRequest:
    uri: str
    pipeline: str | None
    format: str


def parse(params: Any) -> GraphRequest:
    """Validate the params (a dict or pygls' namedtuple-like object).

    Raises:
        ValueError: for a missing ``uri`` or an unknown ``format``; pygls answers with an error.
    """

    def get(key: str) -> Any:
        return params.get(key) if isinstance(params, dict) else getattr(params, key, None)

    uri, pipeline, format_ = get("uri"), get("pipeline"), get("format") or "svg"
    if not isinstance(uri, str) or not uri:
        raise ValueError("glacier/graph needs a `uri`")
    if format_ not in FORMATS:
        raise ValueError(f"glacier/graph: unknown format {format_!r}; use one of {FORMATS}")
    if pipeline is not None and not isinstance(pipeline, str):
        raise ValueError("glacier/graph: `pipeline` must be a string or null")
    return GraphRequest(uri, pipeline, format_)


def render(project: Project, path: str, request: GraphRequest) -> str:
    """The ``content`` string for ``request`` about the file at ``path``."""
    if request.format == "json":
        return json.dumps(project.to_dict(), indent=2)
    selected = select(project, path, request.pipeline)
    if request.format == "dot":
        return render_dot(selected)
    return render_svg(selected)


def select(project: Project, path: str, pipeline: str | None) -> Project:
    """The part of ``project`` to draw.

    Raises:
        ValueError: if no pipeline has the requested name or variable.
    """
    key = path_key(path)

    def in_file(span_owner: PipelineInfo) -> bool:
        return span_owner.span is not None and path_key(span_owner.span.filename) == key

    if pipeline is not None:
        matches = [p for p in project.pipelines if p.name == pipeline] or [
            p for p in project.pipelines if p.variable == pipeline
        ]
        matches = [p for p in matches if in_file(p)] or matches
        if not matches:
            raise ValueError(f"no pipeline named `{pipeline}`")
        return replace(project, pipelines=(matches[0],))
    here = tuple(p for p in project.pipelines if in_file(p))
    if here:
        return replace(project, pipelines=here)
    tasks = tuple(t for t in project.tasks if t.span and path_key(t.span.filename) == key)
    return replace(project, tasks=tasks, pipelines=())

"""The project as the spec's JSON (§3), as ``glacier-graph --format json`` prints it."""

from __future__ import annotations

import json
from pathlib import Path

from glacier.model import Project


def render_json(project: Project, *, relative_to: Path | None = None) -> str:
    """``project.to_dict(relative_to)`` as indented JSON with a final newline.

    Keys keep the model's order (no sorting), so the output is stable and reads in the
    order of the spec.
    """
    return json.dumps(project.to_dict(relative_to=relative_to), indent=2, ensure_ascii=False) + "\n"

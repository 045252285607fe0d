"""Build the same project statically and at run time (imported under its analyzer name)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from glacier.cli.compile import analyze_project
from glacier.compile import Plan, make_plan, select_pipeline
from glacier.config import load_settings
from glacier.model import Project
from glacier.runtime.importing import importing_user_code

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "analytics" / "pipeline.py"


def static_plan(path: Path, pipeline: str | None = None) -> Plan:
    settings, project, _ = analyze_project(path, cache=False)
    chosen = select_pipeline(_only(project, path), pipeline, str(path))
    return make_plan(project, chosen, settings.root, settings.target_options)


def _only(project: Project, path: Path) -> Project:
    from glacier.cli.compile import _defined_in

    return _defined_in(project, path)


def import_module(path: Path, name: str, *, as_glacier: bool = True) -> ModuleType:
    """Import ``path`` as module ``name`` (the name the analyzer gives it), fresh.

    ``as_glacier`` imports it the way glacier does; ``False`` runs it as ``python file.py`` would.
    """
    sys.modules.pop(name, None)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        # Only the graph is wanted: top-level run()/compile() lines are skipped, as when
        # glacier itself imports user code (they would write ./infra otherwise).
        if as_glacier:
            with importing_user_code():
                spec.loader.exec_module(module)
        else:
            spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    return module


def runtime_plan(path: Path, module_name: str, variable: str = "pipeline") -> Plan:
    module = import_module(path, module_name)
    pipeline = getattr(module, variable)
    settings = load_settings(path)
    return make_plan(pipeline.to_project(), pipeline.info(), settings.root, settings.target_options)

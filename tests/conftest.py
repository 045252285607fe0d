"""Shared fixtures: paths of the repository and its examples."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import settings

# CI explores the same examples on every run, so a red build is reproducible and a green one
# cannot turn red by chance; local runs keep exploring new examples (and keep what fails).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

#: pytester runs real pytest sessions (tests/testing: Glacier's own pytest plugin).
pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"


@pytest.fixture
def load_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Import a file as a fresh module (runtime tests only; static tools never do this).

    The module runs in a fresh working directory: the design document's example calls
    `pipeline.compile(...).to_terraform("./infra")` at top level, which writes there.
    """
    loaded: list[str] = []

    def load(path: Path, name: str | None = None) -> ModuleType:
        module_name = name or f"_glacier_test_{path.stem}_{len(loaded)}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        loaded.append(module_name)
        previous = Path.cwd()
        os.chdir(tmp_path_factory.mktemp("cwd"))
        try:
            spec.loader.exec_module(module)
        finally:
            os.chdir(previous)
        return module

    yield load
    for name in loaded:
        sys.modules.pop(name, None)


@pytest.fixture(autouse=True)
def runs_keep_their_state_out_of_the_checkout(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A pipeline defined in a test file belongs to this repository's project, so its run
    records and cache would land in the checkout's `.glacier/`; they go to a temporary
    project instead (a test that names its own project root keeps it)."""
    import glacier.run.session as session

    original = session.run_project_root

    def outside_the_checkout(pipeline: object) -> str:
        root = original(pipeline)  # type: ignore[arg-type]
        if Path(root).resolve() == REPO:
            return str(tmp_path_factory.mktemp("project"))
        return root

    monkeypatch.setattr(session, "run_project_root", outside_the_checkout)

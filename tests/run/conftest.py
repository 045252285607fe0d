"""Fixtures for run tests: a private signing key, a project folder, loading its pipelines."""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from glacier import Pipeline
from glacier.run.loading import load_pipeline
from tests.storage.conftest import s3, s3_server  # noqa: F401 - fixtures used by tests here

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def signing_key_file(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test signs pickles with its own key, never the user's."""
    path = tmp_path_factory.mktemp("key") / "signing-key"
    monkeypatch.setenv("GLACIER_SIGNING_KEY_FILE", str(path))
    return path


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """An empty project (a pyproject.toml); its modules are forgotten afterwards."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'demo'\n", encoding="utf-8")
    yield root
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", "") or "").startswith(str(root)):
            del sys.modules[name]
    while str(root) in sys.path:
        sys.path.remove(str(root))


Write = Callable[[str, str], Path]


@pytest.fixture
def write(project: Path) -> Write:
    """Write ``source`` (dedented) to ``name`` in the project."""

    def write_file(name: str, source: str) -> Path:
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source), encoding="utf-8")
        return path

    return write_file


@pytest.fixture
def load(project: Path) -> Callable[[str], Pipeline]:
    """Import a project file as ``glacier run`` does and return its pipeline."""

    def load_file(target: str) -> Pipeline:
        return load_pipeline(str(project / target))

    return load_file


def glacier_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    env.pop("COLUMNS", None)
    return env


def glacier_command() -> str:
    return str(Path(sys.executable).parent / "glacier")

"""Shared set-up for the mypy plugin tests.

* ``test_*.yml`` cases (pytest-mypy-plugins) use ``tests/mypy/mypy.ini``
  (``plugins = glacier_mypy``) unless ``--mypy-ini-file`` says otherwise, and a cache
  directory of their own for the session.
* Every mypy run gets ``GLACIER_STRICT=1``, so a plugin bug fails the test loudly
  instead of being swallowed by the plugin's guards.
* YAML items get an empty ``funcargs``: pytest-lsp's ``pytest_runtest_call`` wrapper
  returns without yielding for items that lack it, which fails every non-Python item.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_configure(config: pytest.Config) -> None:
    option = config.option
    if getattr(option, "mypy_testing_base", None) == tempfile.gettempdir():
        # Not the shared /tmp/.mypy_cache: mypy's cache is not safe for concurrent runs.
        option.mypy_testing_base = tempfile.mkdtemp(prefix="glacier-mypy-tests-")
        config.add_cleanup(lambda: shutil.rmtree(option.mypy_testing_base, ignore_errors=True))
    if getattr(option, "mypy_ini_file", None) is None and not getattr(
        option, "mypy_pyproject_toml_file", None
    ):
        option.mypy_ini_file = str(HERE / "mypy.ini")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        env = getattr(item, "environment_variables", None)
        if isinstance(env, dict):
            env.setdefault("GLACIER_STRICT", "1")
        if not hasattr(item, "funcargs"):
            item.funcargs = {}  # type: ignore[attr-defined]

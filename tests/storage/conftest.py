"""Storage fixtures: a private signing key for every test, and a moto S3 server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def signing_key_file(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Each test signs pickles with its own key, never the user's."""
    path = tmp_path_factory.mktemp("key") / "signing-key"
    monkeypatch.setenv("GLACIER_SIGNING_KEY_FILE", str(path))
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[str]:
    """A dataset folder URI on the local file system."""
    yield (tmp_path / "data").as_uri() + "/"

"""Each test signs pickles with its own key, never the user's."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def signing_key_file(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    path = tmp_path_factory.mktemp("key") / "signing-key"
    monkeypatch.setenv("GLACIER_SIGNING_KEY_FILE", str(path))
    return path

"""Settings from ``initializationOptions`` (a server of its own, started with them)."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp.conftest import codes, diagnostics

WORKSPACE = "broken"
SETTINGS = {"ignore": ["GLC009"], "severity": {"GLC012": "warning"}, "select": []}
pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_initialization_options_settings(client: LanguageClient) -> None:
    items = await diagnostics(client, "shop/tasks.py", lambda items: bool(items))
    assert codes(items) == ["GLC012"]
    assert items[0].severity == types.DiagnosticSeverity.Warning

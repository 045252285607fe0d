"""Invalid editor settings reach the user as one ``window/showMessage`` warning, through a real
client: the valid settings still apply, the same problem is not repeated on each change, and a
problem that was fixed and comes back is shown again."""

from __future__ import annotations

from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp.conftest import codes, diagnostics, wait_until

WORKSPACE = "broken"
SETTINGS = {"select": ["GLC9"], "ignore": ["GLC009"], "severity": {"GLC012": "loud"}}
pytestmark = pytest.mark.asyncio(loop_scope="module")


def _warnings(client: LanguageClient) -> list[str]:
    return [m.message for m in client.messages if m.type == types.MessageType.Warning]


def _push(client: LanguageClient, settings: dict[str, Any]) -> None:
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams({"glacier": settings})
    )


async def test_invalid_settings_warn_once_visibly(client: LanguageClient) -> None:
    shown = await wait_until(lambda: _warnings(client), "the settings warning")
    assert len(shown) == 1
    assert shown[0].startswith("Glacier: ")
    assert "glacier.select" in shown[0] and "GLC9" in shown[0]
    assert "glacier.severity" in shown[0] and "loud" in shown[0]
    # The valid setting applies (GLC009 ignored); the invalid ones are skipped.
    items = await diagnostics(client, "shop/tasks.py", lambda items: bool(items))
    assert codes(items) == ["GLC012"]
    assert items[0].severity == types.DiagnosticSeverity.Error

    _push(client, SETTINGS)  # the same problems again: not shown again
    _push(client, {"ignore": ["GLC009", "GLC012"]})  # fixed
    await diagnostics(client, "shop/tasks.py", lambda items: not items)
    _push(client, SETTINGS)  # broken again: shown again
    await diagnostics(client, "shop/tasks.py", lambda items: codes(items) == ["GLC012"])
    await client.workspace_symbol_async(types.WorkspaceSymbolParams(query=""))
    shown = _warnings(client)
    assert len(shown) == 2
    assert "glacier.select" in shown[1] and "GLC9" in shown[1]

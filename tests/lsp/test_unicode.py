"""Positions in the client's units (UTF-16 for VS Code, UTF-8 for Neovim) with emoji and CJK."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp.conftest import codes, diagnostics, open_file, position
from tests.lsp.test_navigation import doc, hover_text

WORKSPACE = "unicode"
pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_unicode_positions(client: LanguageClient) -> None:
    """Emoji and CJK before a name on the same line: columns in the client's units."""
    open_file(client, "flow.py")
    items = await diagnostics(client, "flow.py", lambda items: "GLC012" in codes(items))
    unknown = next(item for item in items if item.code == "GLC012")
    assert unknown.range.start == position(client, "flow.py", "unknwn")
    assert unknown.range.end.character - unknown.range.start.character == len("unknwn")
    text = await hover_text(client, "flow.py", "data: 生", offset=6)
    assert "`raw`" in text
    result = await client.text_document_definition_async(
        types.DefinitionParams(
            doc(client, "flow.py"), position(client, "flow.py", "処理, unknwn", 1)
        )
    )
    assert isinstance(result, list) and result
    assert result[0].range.start.line == position(client, "flow.py", "def 処理").line

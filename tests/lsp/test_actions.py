"""Quick fixes over the ``broken`` project: each one, applied, makes its diagnostic go away."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp.conftest import (
    apply_edits,
    codes,
    diagnostics,
    open_file,
    read,
    replace_all,
    uri,
)

WORKSPACE = "broken"
pytestmark = pytest.mark.asyncio(loop_scope="module")


async def actions_for(
    client: LanguageClient, relative: str, code: str
) -> tuple[types.Diagnostic, Sequence[types.CodeAction]]:
    open_file(client, relative)
    items = await diagnostics(client, relative, lambda items: code in codes(items))
    diagnostic = next(item for item in items if item.code == code)
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri(client, relative)),
            range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    assert result is not None
    actions = [action for action in result if isinstance(action, types.CodeAction)]
    return diagnostic, actions


def edited(client: LanguageClient, action: types.CodeAction, relative: str) -> str:
    assert action.edit is not None and action.edit.changes is not None
    edits = action.edit.changes.get(uri(client, relative), [])
    return apply_edits(read(client, relative), edits, client.encoding)  # type: ignore[attr-defined]


async def test_did_you_mean_replaces_the_unknown_name(client: LanguageClient) -> None:
    diagnostic, actions = await actions_for(client, "shop/tasks.py", "GLC012")
    fix = next(a for a in actions if a.title == "Replace with `clean_orders`")
    assert fix.kind == types.CodeActionKind.QuickFix
    assert fix.diagnostics == [diagnostic] or list(fix.diagnostics or []) == [diagnostic]
    text = edited(client, fix, "shop/tasks.py")
    assert "def summarize(orders: clean_orders) -> report:" in text
    replace_all(client, "shop/tasks.py", text, 2)
    await diagnostics(client, "shop/tasks.py", lambda items: "GLC012" not in codes(items))


async def test_stub_producer_for_a_missing_producer(client: LanguageClient) -> None:
    _, actions = await actions_for(client, "shop/pipeline.py", "GLC002")
    fix = next(a for a in actions if "produces `raw_orders`" in a.title)
    text = edited(client, fix, "shop/pipeline.py")
    assert "@task\ndef produce_raw_orders() -> raw_orders:\n    ...\n" in text
    assert "Pipeline([clean, summarize, produce_raw_orders]" in text
    assert "from glacier import task" in text
    assert "from shop.datasets import raw_orders" in text
    replace_all(client, "shop/pipeline.py", text, 2)
    await diagnostics(client, "shop/pipeline.py", lambda items: not items)


async def test_add_orphan_task_to_pipeline(client: LanguageClient) -> None:
    _, actions = await actions_for(client, "shop/tasks.py", "GLC009")
    fix = next(a for a in actions if a.title == "Add `audit` to pipeline `shop`")
    text = edited(client, fix, "shop/pipeline.py")
    assert "Pipeline([clean, summarize, audit]" in text
    assert "from shop.tasks import audit" in text
    open_file(client, "shop/pipeline.py")
    replace_all(client, "shop/pipeline.py", text, 2)
    await diagnostics(client, "shop/tasks.py", lambda items: "GLC009" not in codes(items))


async def test_suppression_comment_for_any_diagnostic(client: LanguageClient) -> None:
    _, actions = await actions_for(client, "shop/tasks.py", "GLC009")
    fix = next(a for a in actions if a.title == "Suppress GLC009 on this line")
    text = edited(client, fix, "shop/tasks.py")
    assert "def audit(orders: clean_orders) -> None:  # glacier: ignore[GLC009]" in text
    replace_all(client, "shop/tasks.py", text, 2)
    await diagnostics(client, "shop/tasks.py", lambda items: codes(items) == ["GLC012"])
    # a second code joins the same comment
    _, actions = await actions_for(client, "shop/pipeline.py", "GLC002")
    fix = next(a for a in actions if a.title == "Suppress GLC002 on this line")
    line = edited(client, fix, "shop/pipeline.py").splitlines()[4]
    assert line.endswith('name="shop")  # glacier: ignore[GLC002]')


async def test_no_actions_without_glacier_diagnostics(client: LanguageClient) -> None:
    open_file(client, "shop/datasets.py")
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri(client, "shop/datasets.py")),
            range=types.Range(types.Position(0, 0), types.Position(0, 1)),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    assert not result

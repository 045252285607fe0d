"""Hover, definition, references, rename, symbols, completion, code lens (``shop`` project)."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp.conftest import (
    apply_edits,
    open_file,
    position,
    read,
    replace_all,
    uri,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


def doc(client: LanguageClient, relative: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri(client, relative))


async def hover_text(
    client: LanguageClient, relative: str, needle: str, offset: int = 1, occurrence: int = 0
) -> str:
    result = await client.text_document_hover_async(
        types.HoverParams(
            doc(client, relative), position(client, relative, needle, offset, occurrence)
        )
    )
    assert result is not None, f"no hover on {needle!r}"
    assert isinstance(result.contents, types.MarkupContent)
    return result.contents.value


async def test_hover_on_dataset_annotation_shows_producer_and_consumers(
    client: LanguageClient,
) -> None:
    text = await hover_text(client, "shop/tasks.py", "orders: raw_orders", offset=10)
    assert "`raw_orders`" in text
    assert "Produced by `extract_orders`" in text
    assert "Consumed by `clean`" in text


async def test_hover_on_dataset_declaration_shows_storage_and_schema(
    client: LanguageClient,
) -> None:
    text = await hover_text(client, "shop/datasets.py", "clean_orders =")
    assert "s3://shop/clean/" in text
    assert "OrderSchema" in text
    assert "Produced by `clean`" in text
    assert "Consumed by `summarize`" in text


async def test_hover_on_task_shows_compute_inputs_output(client: LanguageClient) -> None:
    text = await hover_text(client, "shop/tasks.py", "def summarize", offset=5)
    assert "container · spark:latest · 4 CPU" in text
    assert "`orders`: `clean_orders`" in text
    assert "Output: `report`" in text


async def test_hover_on_pipeline_lists_tasks_in_order(client: LanguageClient) -> None:
    text = await hover_text(client, "shop/pipeline.py", "Pipeline(")
    assert text == await hover_text(client, "shop/pipeline.py", "pipeline =")
    assert text.index("`extract_orders`") < text.index("`clean`") < text.index("`summarize`")
    assert "`shop`" in text


async def test_hover_elsewhere_is_empty(client: LanguageClient) -> None:
    result = await client.text_document_hover_async(
        types.HoverParams(
            doc(client, "shop/tasks.py"), position(client, "shop/tasks.py", "return []", 2)
        )
    )
    assert result is None


async def test_definition_of_annotation_is_the_dataset_declaration(client: LanguageClient) -> None:
    result = await client.text_document_definition_async(
        types.DefinitionParams(
            doc(client, "shop/tasks.py"), position(client, "shop/tasks.py", "-> report", 4)
        )
    )
    assert isinstance(result, list) and len(result) == 1
    assert result[0].uri == uri(client, "shop/datasets.py")
    assert result[0].range.start.line == position(client, "shop/datasets.py", "report =").line


async def test_definition_of_task_list_element_is_the_task(client: LanguageClient) -> None:
    result = await client.text_document_definition_async(
        types.DefinitionParams(
            doc(client, "shop/pipeline.py"), position(client, "shop/pipeline.py", "clean,", 1, 1)
        )
    )
    assert isinstance(result, list) and len(result) == 1
    assert result[0].uri == uri(client, "shop/tasks.py")
    assert result[0].range.start.line == position(client, "shop/tasks.py", "def clean").line


async def test_references_of_dataset_are_its_producers_and_consumers(
    client: LanguageClient,
) -> None:
    result = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=doc(client, "shop/datasets.py"),
            position=position(client, "shop/datasets.py", "raw_orders ="),
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    assert result is not None
    where = {(loc.uri, loc.range.start.line) for loc in result}
    assert (
        uri(client, "shop/datasets.py"),
        position(client, "shop/datasets.py", "raw_orders =").line,
    ) in where
    tasks = uri(client, "shop/tasks.py")
    assert (tasks, position(client, "shop/tasks.py", "-> raw_orders").line) in where
    assert (tasks, position(client, "shop/tasks.py", "orders: raw_orders").line) in where


async def test_rename_dataset_variable_across_the_workspace(client: LanguageClient) -> None:
    prepared = await client.text_document_prepare_rename_async(
        types.PrepareRenameParams(
            doc(client, "shop/tasks.py"), position(client, "shop/tasks.py", "orders: raw_orders", 9)
        )
    )
    assert isinstance(prepared, types.PrepareRenamePlaceholder)
    assert prepared.placeholder == "raw_orders"
    edit = await client.text_document_rename_async(
        types.RenameParams(
            doc(client, "shop/tasks.py"),
            position(client, "shop/tasks.py", "orders: raw_orders", 9),
            "orders_raw",
        )
    )
    assert edit is not None and edit.changes is not None
    datasets = apply_edits(
        read(client, "shop/datasets.py"), edit.changes[uri(client, "shop/datasets.py")]
    )
    tasks = apply_edits(read(client, "shop/tasks.py"), edit.changes[uri(client, "shop/tasks.py")])
    assert 'orders_raw = Dataset("raw_orders")' in datasets
    assert "raw_orders" not in tasks.replace('"raw_orders"', "")
    assert tasks.count("orders_raw") == 3  # import, output, input


async def test_prepare_rename_refuses_non_datasets(client: LanguageClient) -> None:
    prepared = await client.text_document_prepare_rename_async(
        types.PrepareRenameParams(
            doc(client, "shop/tasks.py"), position(client, "shop/tasks.py", "return []", 2)
        )
    )
    assert prepared is None


async def test_document_symbols_are_hierarchical(client: LanguageClient) -> None:
    result = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(doc(client, "shop/tasks.py"))
    )
    assert result is not None
    assert [s.name for s in result] == ["extract_orders", "clean", "summarize"]
    pipeline = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(doc(client, "shop/pipeline.py"))
    )
    assert pipeline is not None and len(pipeline) == 1
    symbol = pipeline[0]
    assert isinstance(symbol, types.DocumentSymbol)
    assert symbol.name == "shop"
    assert [c.name for c in symbol.children or []] == ["extract_orders", "clean", "summarize"]


async def test_workspace_symbols(client: LanguageClient) -> None:
    result = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="clean"))
    assert result is not None
    assert sorted(s.name for s in result) == ["clean", "clean_orders"]


async def completion_labels(
    client: LanguageClient, relative: str, text: str, marker: str
) -> list[str]:
    """Put ``text`` (with ``marker`` where the cursor is) into ``relative``; complete there."""
    open_file(client, relative)
    line_number = next(n for n, line in enumerate(text.splitlines()) if marker in line)
    line = text.splitlines()[line_number]
    replace_all(client, relative, text.replace(marker, ""), 2)
    result = await client.text_document_completion_async(
        types.CompletionParams(
            doc(client, relative), types.Position(line_number, line.index(marker))
        )
    )
    if result is None:
        return []
    items = result.items if isinstance(result, types.CompletionList) else result
    return sorted(item.label for item in items)


DATASETS = ["clean_orders", "raw_orders", "report"]


async def test_completion_of_dataset_in_parameter_annotation(client: LanguageClient) -> None:
    text = read(client, "shop/tasks.py") + "\n\n@task\ndef extra(orders: rep|CURSOR|\n"
    labels = await completion_labels(client, "shop/tasks.py", text.replace("rep|", "|"), "|CURSOR|")
    assert labels == DATASETS


async def test_completion_of_dataset_after_arrow(client: LanguageClient) -> None:
    text = read(client, "shop/tasks.py") + "\n\n@task\ndef extra(orders: report) -> |CURSOR|\n"
    assert await completion_labels(client, "shop/tasks.py", text, "|CURSOR|") == DATASETS


async def test_completion_of_task_names_in_pipeline_list(client: LanguageClient) -> None:
    text = read(client, "shop/pipeline.py").replace("clean, summarize]", "|CURSOR|")
    labels = await completion_labels(client, "shop/pipeline.py", text, "|CURSOR|")
    assert labels == ["clean", "extract_orders", "summarize"]


async def test_no_completion_in_plain_code(client: LanguageClient) -> None:
    text = read(client, "shop/tasks.py").replace("    return []", "    x = |CURSOR|")
    assert await completion_labels(client, "shop/tasks.py", text, "|CURSOR|") == []


async def test_code_lenses(client: LanguageClient) -> None:
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(doc(client, "shop/tasks.py"))
    )
    assert lenses is not None
    titles = [lens.command.title for lens in lenses if lens.command]
    assert titles == [
        "produces raw_orders · used by 1 task",
        "produces clean_orders · used by 1 task",
        "produces report · used by 0 tasks",
    ]
    pipeline_uri = uri(client, "shop/pipeline.py")
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(types.TextDocumentIdentifier(pipeline_uri))
    )
    assert lenses is not None and len(lenses) == 1
    command = lenses[0].command
    assert command is not None
    assert (command.title, command.command) == ("Show graph", "glacier.showGraph")
    assert list(command.arguments or []) == [pipeline_uri, "shop"]
    assert lenses[0].range.start.line == position(client, "shop/pipeline.py", "Pipeline(").line


async def test_task_used_as_annotation_stands_for_its_dataset(client: LanguageClient) -> None:
    """An unsaved buffer (not on disk) takes part in the analysis too."""
    text = (
        "from glacier import task\n"
        "from shop.tasks import clean\n\n\n"
        "@task\n"
        "def audit(orders: clean) -> None:\n"
        "    return None\n"
    )
    open_file(client, "shop/audit.py", text)
    line = text.splitlines()[5]
    result = await client.text_document_hover_async(
        types.HoverParams(
            text_document=doc(client, "shop/audit.py"),
            position=types.Position(5, line.index("clean") + 1),
        )
    )
    assert result is not None and isinstance(result.contents, types.MarkupContent)
    assert "**Dataset** `clean_orders`" in result.contents.value
    assert "Consumed by `audit`, `summarize`" in result.contents.value


async def test_rename_covers_strings_attributes_and_aliased_imports(client: LanguageClient) -> None:
    text = (
        "from glacier import task\n"
        "from shop import datasets as ds\n"
        "from shop.datasets import raw_orders, raw_orders as ro\n\n\n"
        "@task\n"
        'def again(a: "raw_orders", b: ds.raw_orders, c: ro) -> None:\n'
        "    return None\n"
    )
    open_file(client, "shop/again.py", text)
    line = text.splitlines()[6]
    edit = await client.text_document_rename_async(
        types.RenameParams(
            text_document=doc(client, "shop/again.py"),
            position=types.Position(6, line.index("raw_orders") + 2),
            new_name="orders_raw",
        )
    )
    assert edit is not None and edit.changes is not None
    renamed = apply_edits(text, edit.changes[uri(client, "shop/again.py")])
    assert "from shop.datasets import orders_raw, orders_raw as ro\n" in renamed
    assert 'def again(a: "orders_raw", b: ds.orders_raw, c: ro) -> None:' in renamed
    assert uri(client, "shop/tasks.py") in edit.changes

"""``glacier/graph``, malformed requests, related locations of a cycle (``shop`` project)."""

from __future__ import annotations

import json

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp.conftest import (
    codes,
    diagnostics,
    open_file,
    position,
    raw_request,
    read,
    replace_all,
    uri,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def graph(client: LanguageClient, **params: object) -> str:
    result = await raw_request(
        client,
        "glacier/graph",
        {"uri": uri(client, "shop/pipeline.py"), "pipeline": None, **params},
    )
    content = result["content"] if isinstance(result, dict) else result.content
    assert isinstance(content, str)
    return content


async def test_graph_dot_draws_the_pipeline_of_the_file(client: LanguageClient) -> None:
    dot = await graph(client, format="dot")
    assert dot.lstrip().startswith("digraph")
    assert "task:shop.tasks.clean" in dot
    assert "dataset:raw_orders" in dot
    assert dot == await graph(client, format="dot", pipeline="shop")
    assert dot == await graph(client, format="dot", pipeline="pipeline")  # the variable


async def test_graph_json_is_the_project_with_absolute_filenames(client: LanguageClient) -> None:
    model = json.loads(await graph(client, format="json"))
    assert [p["name"] for p in model["pipelines"]] == ["shop"]
    assert model["pipelines"][0]["order"] == [
        "shop.tasks.extract_orders",
        "shop.tasks.clean",
        "shop.tasks.summarize",
    ]
    pipeline_file = model["pipelines"][0]["filename"]
    assert pipeline_file.endswith("pipeline.py")
    assert uri(client, "shop/pipeline.py").endswith(pipeline_file.replace("\\", "/"))


async def test_graph_svg(client: LanguageClient) -> None:
    svg = await graph(client, format="svg")
    assert "<svg" in svg
    assert "task:shop.tasks.summarize" in svg


@pytest.mark.parametrize(
    "params",
    [
        {"format": "png"},
        {"format": "dot", "pipeline": "no-such-pipeline"},
        {"format": "dot", "uri": 42},
        {"format": "dot", "pipeline": ["x"]},
    ],
)
async def test_bad_graph_requests_get_errors(
    client: LanguageClient, params: dict[str, object]
) -> None:
    with pytest.raises(Exception, match=r"(?i)format|pipeline|uri"):
        await graph(client, **params)
    assert "digraph" in await graph(client, format="dot")  # still alive


async def test_malformed_requests_get_errors_not_a_dead_server(client: LanguageClient) -> None:
    with pytest.raises(Exception):  # noqa: B017 - any JSON-RPC error will do
        await raw_request(client, "textDocument/hover", {"textDocument": {}})
    with pytest.raises(Exception):  # noqa: B017
        await raw_request(client, "textDocument/definition", {"position": "nowhere"})
    with pytest.raises(Exception):  # noqa: B017
        await raw_request(client, "glacier/noSuchMethod", {})
    with pytest.raises(Exception, match="identifier"):
        await client.text_document_rename_async(
            types.RenameParams(
                text_document=types.TextDocumentIdentifier(uri(client, "shop/datasets.py")),
                position=position(client, "shop/datasets.py", "report ="),
                new_name="not valid",
            )
        )
    # requests about files outside the workspace or not on disk answer emptily
    missing = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier("untitled:Untitled-1"),
            position=types.Position(0, 0),
        )
    )
    assert missing is None
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri(client, "shop/datasets.py")),
            position=position(client, "shop/datasets.py", "report ="),
        )
    )
    assert hover is not None
    assert client.messages == []  # errors are logged, never popped up


async def test_cycle_reports_related_locations_in_other_files(client: LanguageClient) -> None:
    open_file(client, "shop/tasks.py")
    text = read(client, "shop/tasks.py").replace(
        "def extract_orders() -> raw_orders", "def extract_orders(last: report) -> raw_orders"
    )
    replace_all(client, "shop/tasks.py", text, 2)
    items = await diagnostics(client, "shop/pipeline.py", lambda items: "GLC001" in codes(items))
    cycle = next(item for item in items if item.code == "GLC001")
    related = cycle.related_information or []
    assert len(related) == 3
    assert {info.location.uri for info in related} == {uri(client, "shop/tasks.py")}
    lines = {info.location.range.start.line for info in related}
    assert position(client, "shop/tasks.py", "def clean").line in lines
    replace_all(client, "shop/tasks.py", read(client, "shop/tasks.py"), 3)
    await diagnostics(client, "shop/pipeline.py", lambda items: not items)


async def test_syntax_error_keeps_the_last_good_model_for_navigation(
    client: LanguageClient,
) -> None:
    open_file(client, "shop/tasks.py")
    text = read(client, "shop/tasks.py").replace("    return orders\n", "    return (orders\n", 1)
    replace_all(client, "shop/tasks.py", text, 2)
    await diagnostics(client, "shop/tasks.py", lambda items: codes(items) == ["GLC000"])
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri(client, "shop/tasks.py")),
            position=position(client, "shop/tasks.py", "def summarize", 5),
        )
    )
    assert hover is not None and "spark:latest" in str(hover.contents)
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(types.TextDocumentIdentifier(uri(client, "shop/tasks.py")))
    )
    assert symbols is not None and len(symbols) == 3

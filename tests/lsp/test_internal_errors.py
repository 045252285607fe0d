"""A live server whose analysis fails: the traceback goes to the log, the user sees one
``window/showMessage``, and the last good analysis keeps being served."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import make_test_lsp_client

from tests.cli.faults import RESOLVE_MARKER

REPO = Path(__file__).resolve().parents[2]
FLOW = """\
from glacier import Dataset, Pipeline, task

raw = Dataset("raw")
clean = Dataset("clean")


@task
def tidy(x: raw) -> clean: ...


pipeline = Pipeline([tidy], name="shop")
"""


async def _until(condition: Callable[[], Any], what: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
    return value


def _errors(client: LanguageClient) -> list[str]:
    return [m.message for m in client.messages if m.type == types.MessageType.Error]


async def _settle(client: LanguageClient) -> None:
    """Any request waits for pending analyses (and their notifications go out first)."""
    await asyncio.wait_for(client.workspace_symbol_async(types.WorkspaceSymbolParams(query="")), 30)


async def test_a_failing_analysis_is_shown_once_and_the_last_good_one_served(
    tmp_path: Path,
) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.glacier]\n")
    flow = tmp_path / "flow.py"
    flow.write_text(FLOW)
    uri = flow.as_uri()
    env = {k: v for k, v in os.environ.items() if k != "GLACIER_STRICT"}
    env.update(GLACIER_LSP_DEBOUNCE="0.02", PYTHONPATH=str(REPO))
    client = make_test_lsp_client()
    caps = client_capabilities("neovim")
    assert caps.text_document is not None
    caps.text_document.diagnostic = None  # pushed diagnostics
    await client.start_io(sys.executable, "-m", "tests.cli.faults", "glacier-lsp", env=env)
    try:
        await client.initialize_session(
            types.InitializeParams(
                capabilities=caps,
                root_uri=tmp_path.as_uri(),
                workspace_folders=[types.WorkspaceFolder(tmp_path.as_uri(), "shop")],
            )
        )
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", 1, FLOW))
        )
        good = await _until(lambda: client.diagnostics.get(uri), "the first diagnostics")
        assert {str(d.code) for d in good} == {"GLC002"}

        def edit(version: int, text: str) -> None:
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    types.VersionedTextDocumentIdentifier(version=version, uri=uri),
                    [types.TextDocumentContentChangeWholeDocument(text=text)],
                )
            )

        crashing = FLOW.replace("raw = ", 'spare = Dataset("spare")\nraw = ') + (
            f"{RESOLVE_MARKER} = 1\n"
        )
        for version in range(2, 6):  # several failing analyses: one message
            edit(version, crashing + "#" * version)
            await _settle(client)
        await _until(lambda: _errors(client), "the error message")
        await _settle(client)
        errors = _errors(client)
        assert len(errors) == 1, errors
        assert "internal error while resolving the project" in errors[0]
        assert f"(in {flow})" in errors[0]
        assert "report it at https://github.com/glacier-dev/glacier/issues" in errors[0]
        logged = [m.message for m in client.log_messages if m.type == types.MessageType.Error]
        assert any("Traceback" in m and "injected resolver bug" in m for m in logged)
        # The last good analysis is still served: diagnostics and navigation.
        assert client.diagnostics.get(uri) == good
        symbols = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="tidy"))
        assert symbols and {s.name for s in symbols} >= {"tidy"}
        hover = await client.text_document_hover_async(
            types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(7, 5))
        )
        assert hover is not None

        # Fixed: the new analysis is published; a later failure is shown again.
        edit(6, crashing.replace(f"{RESOLVE_MARKER} = 1\n", ""))
        await _until(
            lambda: {str(d.code) for d in client.diagnostics.get(uri, [])} == {"GLC002", "GLC008"},
            "the fixed analysis",
        )
        edit(7, crashing)
        await _until(lambda: len(_errors(client)) == 2, "the second error message")
    finally:
        await asyncio.wait_for(client.shutdown_session(), 30)
        await client.stop()

"""A long editing session through a real client keeps the server's memory bounded.

2,000 edits plus 200 cycles of creating, opening, editing, closing and deleting a file: the
server's resident memory after the session stays within 20 % of what it was after the first
200 edits. Run with ``-s`` to see the figures.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import make_test_lsp_client

WORKSPACE = Path(__file__).parent / "workspaces" / "shop"
EDITS = 2_000
CYCLES = 200
WARM_UP = 200
#: Modules besides the fixture's, so the workspace is not trivially small.
EXTRA_MODULES = 30


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _module(index: int) -> str:
    return (
        "from glacier import Dataset, Pipeline, task\n"
        "from glacier.storage import S3\n\n"
        f'source_{index} = Dataset("source_{index}", storage=S3(bucket="b"))\n'
        f'result_{index} = Dataset("result_{index}")\n\n\n'
        f"@task\ndef step_{index}(x: source_{index}) -> result_{index}:\n    return x\n\n\n"
        f'pipeline_{index} = Pipeline([step_{index}], name="p{index}")\n'
    )


def _edited(base: str, number: int) -> str:
    """A different text per edit: new datasets, a changing comment, now and then an error."""
    extra = "".join(
        f'extra_{number % 40}_{k} = Dataset("extra_{number % 40}_{k}")\n' for k in range(3)
    )
    broken = "def broken(:\n" if number % 97 == 0 else ""
    return f"{base}\n# edit {number}\n{extra}{broken}"


async def _request(client: LanguageClient, uri: str) -> None:
    """A request that needs the analysis of every pending change."""
    await asyncio.wait_for(
        client.text_document_document_symbol_async(
            types.DocumentSymbolParams(types.TextDocumentIdentifier(uri))
        ),
        60,
    )


@pytest.mark.slow
async def test_memory_stays_bounded_over_a_long_session(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    shutil.copytree(WORKSPACE, root)
    for index in range(EXTRA_MODULES):
        (root / "shop" / f"extra_{index}.py").write_text(_module(index))
    pipeline = root / "shop" / "pipeline.py"
    base = pipeline.read_text()
    uri = pipeline.as_uri()
    env = {**os.environ, "GLACIER_LSP_DEBOUNCE": "0"}
    client = make_test_lsp_client()
    caps = client_capabilities("neovim")
    assert caps.text_document is not None
    caps.text_document.diagnostic = None
    await client.start_io(sys.executable, "-m", "glacier_lsp", env=env)
    pid = client._server.pid  # type: ignore[union-attr]
    version = 1

    def change(target: str, text: str) -> None:
        nonlocal version
        version += 1
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(version=version, uri=target),
                [types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    def watched(path: Path, kind: types.FileChangeType) -> None:
        client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams([types.FileEvent(path.as_uri(), kind)])
        )

    try:
        await client.initialize_session(
            types.InitializeParams(
                capabilities=caps,
                root_uri=root.as_uri(),
                workspace_folders=[types.WorkspaceFolder(root.as_uri(), "shop")],
            )
        )
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", 1, base))
        )
        await _request(client, uri)
        start = _rss_kib(pid)
        for number in range(WARM_UP):
            change(uri, _edited(base, number))
            await _request(client, uri)
        warm = _rss_kib(pid)

        per_cycle = (EDITS - WARM_UP) // CYCLES
        number = WARM_UP
        for cycle in range(CYCLES):
            for _ in range(per_cycle):
                change(uri, _edited(base, number))
                number += 1
                await _request(client, uri)
            created = root / "shop" / f"scratch_{cycle}.py"
            created.write_text(_module(1000 + cycle))
            watched(created, types.FileChangeType.Created)
            created_uri = created.as_uri()
            client.text_document_did_open(
                types.DidOpenTextDocumentParams(
                    types.TextDocumentItem(created_uri, "python", 1, _module(1000 + cycle))
                )
            )
            change(created_uri, _module(1000 + cycle) + "# edited\n")
            await _request(client, created_uri)
            client.text_document_did_close(
                types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(created_uri))
            )
            created.unlink()
            watched(created, types.FileChangeType.Deleted)
            await _request(client, uri)
        assert number == EDITS
        end = _rss_kib(pid)
        symbols = await client.workspace_symbol_async(types.WorkspaceSymbolParams("step_10"))
        assert symbols is not None
        assert not any("scratch_" in s.location.uri for s in symbols)  # type: ignore[union-attr]
        print(
            f"\nlanguage server RSS: start {start / 1024:.1f} MiB, after {WARM_UP} edits "
            f"{warm / 1024:.1f} MiB, after {EDITS} edits and {CYCLES} create/delete cycles "
            f"{end / 1024:.1f} MiB ({(end / warm - 1) * 100:+.1f} %)"
        )
        assert end <= warm * 1.2
    finally:
        await asyncio.wait_for(client.shutdown_session(), 30)
        await client.stop()

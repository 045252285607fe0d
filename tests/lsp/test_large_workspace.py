"""A workspace large enough for the analyzer's process pool still indexes under the server.

The server analyses on a worker thread; forking from a threaded process can deadlock, so the
analyzer must not fork there. Small fixture workspaces never reach the pool; this one does.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from glacier.analysis.engine import POOL_THRESHOLD


def module_text(index: int) -> str:
    return (
        "from glacier import Dataset, task\n\n"
        f'source_{index} = Dataset("source_{index}")\n\n\n'
        f"@task\ndef make_{index}() -> source_{index}:\n    return {index}\n"
    )


async def test_indexing_a_workspace_that_uses_the_process_pool(tmp_path: Path) -> None:
    package = tmp_path / "flows"
    package.mkdir()
    (tmp_path / "pyproject.toml").write_text("[tool.glacier]\n")
    (package / "__init__.py").write_text("")
    for index in range(POOL_THRESHOLD + 4):
        (package / f"flow_{index}.py").write_text(module_text(index))
    client = LanguageClient()
    await client.start_io(sys.executable, "-m", "glacier_lsp")
    try:
        await client.initialize_session(
            types.InitializeParams(
                capabilities=client_capabilities("neovim"),
                root_uri=tmp_path.as_uri(),
                workspace_folders=[types.WorkspaceFolder(tmp_path.as_uri(), "flows")],
            )
        )
        symbols = await asyncio.wait_for(
            client.workspace_symbol_async(types.WorkspaceSymbolParams(query="make_")), 60
        )
        assert symbols is not None
        names = {symbol.name for symbol in symbols}
        assert {f"make_{index}" for index in range(POOL_THRESHOLD + 4)} <= names
    finally:
        await asyncio.wait_for(client.shutdown_session(), 30)
        await client.stop()

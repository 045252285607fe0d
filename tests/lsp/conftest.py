"""End-to-end fixtures: a real client talking to ``python -m glacier_lsp`` over stdio.

Each test module gets a server on a copy of a workspace under ``workspaces/`` (module variable
``WORKSPACE``, default ``shop``; ``SETTINGS`` become ``initializationOptions.settings``), once
per client profile; tests must use ``loop_scope="module"``:

- ``vscode``: VS Code's captured capabilities plus pull diagnostics with refresh support (as
  VS Code >= 1.74 declares them); UTF-16 positions.
- ``neovim``: Neovim 0.11's capabilities without pull diagnostics, so the server pushes; Neovim
  prefers UTF-8 positions, so this profile also exercises the negotiated encoding.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

WORKSPACES = Path(__file__).parent / "workspaces"
#: Short, so tests are quick, but long enough that bursts of edits are merged.
DEBOUNCE = "0.05"
TIMEOUT = 15.0

SERVER = ClientServerConfig(
    server_command=[sys.executable, "-m", "glacier_lsp"],
    server_env={**os.environ, "GLACIER_LSP_DEBOUNCE": DEBOUNCE, "PYTHONUNBUFFERED": "1"},
)


def capabilities(profile: str) -> types.ClientCapabilities:
    """The client capabilities of a profile (see the module docstring)."""
    if profile == "vscode":
        caps = client_capabilities("visual-studio-code")
        assert caps.text_document is not None and caps.workspace is not None
        caps.text_document.diagnostic = types.DiagnosticClientCapabilities(
            dynamic_registration=True, related_document_support=False
        )
        caps.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(
            refresh_support=True
        )
        return caps
    caps = client_capabilities("neovim")
    assert caps.text_document is not None
    caps.text_document.diagnostic = None
    return caps


@pytest_lsp.fixture(config=SERVER, params=["vscode", "neovim"], scope="module")
async def client(lsp_client: LanguageClient, request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """One server per test module and profile (starting one takes seconds: lsprotocol alone
    imports for over a second). Tests leave no trace: see `fresh`."""
    name = getattr(request.module, "WORKSPACE", "shop")
    settings = getattr(request.module, "SETTINGS", None)
    root = Path(tempfile.mkdtemp(prefix="glacier-lsp-")) / name
    shutil.copytree(WORKSPACES / name, root)
    profile = request.param
    lsp_client.root = root  # type: ignore[attr-defined]
    lsp_client.workspace_name = name  # type: ignore[attr-defined]
    lsp_client.profile = profile  # type: ignore[attr-defined]
    lsp_client.registrations = []  # type: ignore[attr-defined]
    lsp_client.opened = set()  # type: ignore[attr-defined]

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        lsp_client.registrations.extend(params.registrations)  # type: ignore[attr-defined]

    result = await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities(profile),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=name)],
            initialization_options={"settings": settings} if settings else None,
        )
    )
    lsp_client.encoding = result.capabilities.position_encoding or "utf-16"  # type: ignore[attr-defined]
    await wait_indexed(lsp_client)
    yield
    await asyncio.wait_for(lsp_client.shutdown_session(), 10)
    shutil.rmtree(root.parent, ignore_errors=True)


@pytest_asyncio.fixture(autouse=True, loop_scope="module")
async def fresh(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """After each test: close its documents, restore files and settings, let the server settle."""
    yield
    if "client" not in request.fixturenames:
        return
    client: LanguageClient = request.getfixturevalue("client")
    for file_uri in sorted(client.opened):  # type: ignore[attr-defined]
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(file_uri))
        )
    client.opened.clear()  # type: ignore[attr-defined]
    base = root(client)
    original = WORKSPACES / client.workspace_name  # type: ignore[attr-defined]
    changed = []
    for path in sorted(base.rglob("*")):
        source = original / path.relative_to(base)
        if path.is_file() and (not source.exists() or path.read_bytes() != source.read_bytes()):
            if source.exists():
                shutil.copyfile(source, path)
            else:
                path.unlink()
            changed.append(types.FileEvent(path.as_uri(), types.FileChangeType.Changed))
    if changed:
        client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changed))
    if client._configuration != {"": {}}:
        client._configuration = {"": {}}
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(None))
    # Any request waits for pending analyses, and their diagnostics are sent before its answer.
    await client.workspace_symbol_async(types.WorkspaceSymbolParams(query=""))


# --- helpers -------------------------------------------------------------------------------------


def root(client: LanguageClient) -> Path:
    return client.root  # type: ignore[attr-defined, no-any-return]


def is_pull(client: LanguageClient) -> bool:
    return client.profile == "vscode"  # type: ignore[attr-defined, no-any-return]


def uri(client: LanguageClient, relative: str) -> str:
    return (root(client) / relative).as_uri()


def column(client: LanguageClient, line: str, index: int) -> int:
    """Code-point ``index`` in ``line`` as the client counts (UTF-16 or UTF-8 units)."""
    encoding = client.encoding  # type: ignore[attr-defined]
    prefix = line[:index]
    if encoding == "utf-8":
        return len(prefix.encode("utf-8"))
    if encoding == "utf-32":
        return len(prefix)
    return len(prefix.encode("utf-16-le")) // 2


def position(
    client: LanguageClient, relative: str, needle: str, offset: int = 0, occurrence: int = 0
) -> types.Position:
    """The client position of ``needle`` (its ``occurrence``-th match) in a workspace file."""
    text = (root(client) / relative).read_text(encoding="utf-8")
    lines = text.splitlines()
    seen = 0
    for number, line in enumerate(lines):
        start = line.find(needle)
        while start != -1:
            if seen == occurrence:
                return types.Position(number, column(client, line, start + offset))
            seen += 1
            start = line.find(needle, start + 1)
    raise AssertionError(f"{needle!r} not in {relative}")


async def wait_until(condition: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def wait_indexed(client: LanguageClient) -> None:
    """Wait for the end of the start-up indexing progress."""

    def ended() -> bool:
        return any(
            isinstance(report, types.WorkDoneProgressEnd)
            for reports in client.progress_reports.values()
            for report in reports
        )

    await wait_until(ended, "indexing to finish")


async def current_diagnostics(client: LanguageClient, file_uri: str) -> Sequence[types.Diagnostic]:
    """What the client shows for ``file_uri`` now: pulled (vscode) or last pushed (neovim)."""
    if is_pull(client):
        report = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(types.TextDocumentIdentifier(file_uri))
        )
        assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
        return report.items
    return client.diagnostics.get(file_uri, [])


async def diagnostics(
    client: LanguageClient,
    relative: str,
    condition: Callable[[Sequence[types.Diagnostic]], bool] = lambda items: True,
    timeout: float = TIMEOUT,
) -> Sequence[types.Diagnostic]:
    """Wait until the diagnostics of ``relative`` satisfy ``condition`` and return them."""
    file_uri = uri(client, relative)
    deadline = time.monotonic() + timeout
    while True:
        items = await current_diagnostics(client, file_uri)
        if condition(items):
            return items
        if time.monotonic() > deadline:
            shown = [(d.code, d.message) for d in items]
            raise AssertionError(f"diagnostics of {relative} never matched; last: {shown}")
        await asyncio.sleep(0.05)


def codes(items: Sequence[types.Diagnostic]) -> list[str]:
    return sorted(str(item.code) for item in items)


def open_file(client: LanguageClient, relative: str, text: str | None = None) -> str:
    """Send didOpen with the file's text (or ``text``); return its URI."""
    path = root(client) / relative
    file_uri = path.as_uri()
    client.opened.add(file_uri)  # type: ignore[attr-defined]
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(
                file_uri, "python", 1, path.read_text(encoding="utf-8") if text is None else text
            )
        )
    )
    return file_uri


def replace_all(client: LanguageClient, relative: str, text: str, version: int) -> None:
    """Send a full-text didChange."""
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=version, uri=uri(client, relative)),
            [types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def read(client: LanguageClient, relative: str) -> str:
    return (root(client) / relative).read_text(encoding="utf-8")


def apply_edits(text: str, edits: Sequence[types.TextEdit], encoding: str = "utf-16") -> str:
    """Apply LSP text edits (non-overlapping) to ``text``."""
    lines = text.splitlines(keepends=True)

    def offset(pos: types.Position) -> int:
        line = lines[pos.line] if pos.line < len(lines) else ""
        consumed = units = 0
        for char in line:
            if units >= pos.character:
                break
            units += (
                len(char.encode("utf-16-le")) // 2
                if encoding == "utf-16"
                else (len(char.encode("utf-8")) if encoding == "utf-8" else 1)
            )
            consumed += 1
        return sum(len(item) for item in lines[: pos.line]) + consumed

    for edit in sorted(
        edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True
    ):
        start, end = offset(edit.range.start), offset(edit.range.end)
        text = text[:start] + edit.new_text + text[end:]
    return text


async def raw_request(client: LanguageClient, method: str, params: Any) -> Any:
    """Send a request exactly as given, bypassing the client's own (typed) serialisation, so
    that malformed params reach the server."""
    msg_id = str(uuid.uuid4())
    future: Future[Any] = Future()
    client.protocol._request_futures[msg_id] = future
    client.protocol._result_types[msg_id] = None
    client.protocol._send_data({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
    return await asyncio.wait_for(asyncio.wrap_future(future), TIMEOUT)

"""Diagnostics end to end: codes, links, positions, push vs pull, cross-file updates, settings."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp.conftest import (
    codes,
    diagnostics,
    is_pull,
    open_file,
    position,
    read,
    replace_all,
    root,
    uri,
    wait_until,
)

WORKSPACE = "broken"
pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_diagnostics_carry_code_link_severity_and_position(client: LanguageClient) -> None:
    open_file(client, "shop/tasks.py")
    items = await diagnostics(
        client, "shop/tasks.py", lambda items: codes(items) == ["GLC009", "GLC012"]
    )
    unknown = next(item for item in items if item.code == "GLC012")
    assert unknown.source == "glacier"
    assert unknown.severity == types.DiagnosticSeverity.Error
    assert unknown.code_description is not None
    assert unknown.code_description.href.endswith("#glc012")
    assert "clean_orders" in unknown.message  # did you mean ...
    start = position(client, "shop/tasks.py", "clean_ordrs")
    assert unknown.range.start == start
    assert unknown.range.end == types.Position(start.line, start.character + len("clean_ordrs"))
    orphan = next(item for item in items if item.code == "GLC009")
    assert orphan.severity == types.DiagnosticSeverity.Warning
    assert orphan.range.start.line == position(client, "shop/tasks.py", "def audit").line
    assert client.messages == []  # no pop-ups


async def test_closed_files_are_reported_from_the_index(client: LanguageClient) -> None:
    items = await diagnostics(client, "shop/pipeline.py", lambda items: bool(items))
    assert codes(items) == ["GLC002"]
    assert "raw_orders" in items[0].message
    assert items[0].range.start == position(client, "shop/pipeline.py", "Pipeline([")


async def test_fix_in_one_file_clears_diagnostics_in_another(client: LanguageClient) -> None:
    open_file(client, "shop/pipeline.py")
    await diagnostics(client, "shop/pipeline.py", lambda items: codes(items) == ["GLC002"])
    open_file(client, "shop/datasets.py")
    refreshes = client.diagnostic_refresh_count
    text = read(client, "shop/datasets.py").replace(
        'Dataset("raw_orders")', 'Dataset("raw_orders", storage=S3(bucket="b", prefix="raw/"))'
    )
    replace_all(client, "shop/datasets.py", "from glacier.storage import S3\n" + text, 2)
    await diagnostics(client, "shop/pipeline.py", lambda items: not items)
    if is_pull(client):
        assert client.diagnostic_refresh_count > refreshes
        assert client.diagnostics == {}  # a pull client is never pushed to
    else:
        assert not client.diagnostics[uri(client, "shop/pipeline.py")]
    # ... and breaking it again brings the diagnostic back
    replace_all(client, "shop/datasets.py", read(client, "shop/datasets.py"), 3)
    await diagnostics(client, "shop/pipeline.py", lambda items: codes(items) == ["GLC002"])


async def test_fixing_a_file_clears_its_own_diagnostics(client: LanguageClient) -> None:
    open_file(client, "shop/tasks.py")
    await diagnostics(client, "shop/tasks.py", lambda items: "GLC012" in codes(items))
    text = read(client, "shop/tasks.py").replace("clean_ordrs", "clean_orders")
    replace_all(client, "shop/tasks.py", text, 2)
    await diagnostics(client, "shop/tasks.py", lambda items: codes(items) == ["GLC009"])


async def test_a_burst_of_edits_ends_with_diagnostics_of_the_final_text(
    client: LanguageClient,
) -> None:
    open_file(client, "shop/tasks.py")
    await diagnostics(client, "shop/tasks.py", lambda items: "GLC012" in codes(items))
    original = read(client, "shop/tasks.py")
    for version in range(2, 30):
        replace_all(
            client, "shop/tasks.py", original.replace("clean_ordrs", f"typo_{version}"), version
        )
    final = original.replace("clean_ordrs", "last_typo")
    replace_all(client, "shop/tasks.py", final, 30)

    def settled(items: object) -> bool:
        found = [item for item in items if item.code == "GLC012"]  # type: ignore[attr-defined]
        return len(found) == 1 and "last_typo" in found[0].message

    items = await diagnostics(client, "shop/tasks.py", settled)
    unknown = next(item for item in items if item.code == "GLC012")
    line = final.splitlines()[unknown.range.start.line]
    assert line[unknown.range.start.character :].startswith("last_typo")
    await asyncio.sleep(0.3)  # nothing stale arrives afterwards
    assert settled(await diagnostics(client, "shop/tasks.py"))


async def test_syntax_error_is_reported_and_cleared(client: LanguageClient) -> None:
    open_file(client, "shop/tasks.py")
    text = read(client, "shop/tasks.py")
    replace_all(client, "shop/tasks.py", text.replace("def audit(orders", "def audit(orders:"), 2)
    items = await diagnostics(client, "shop/tasks.py", lambda items: "GLC000" in codes(items))
    syntax = next(item for item in items if item.code == "GLC000")
    assert syntax.severity == types.DiagnosticSeverity.Error
    replace_all(client, "shop/tasks.py", text, 3)
    await diagnostics(client, "shop/tasks.py", lambda items: codes(items) == ["GLC009", "GLC012"])


async def test_files_changed_on_disk_are_picked_up(client: LanguageClient) -> None:
    await diagnostics(client, "shop/pipeline.py", lambda items: codes(items) == ["GLC002"])
    path = root(client) / "shop" / "datasets.py"
    path.write_text(
        path.read_text(encoding="utf-8")
        .replace(
            'Dataset("raw_orders")', 'Dataset("raw_orders", storage=S3(bucket="b", prefix="r/"))'
        )
        .replace(
            "from glacier import Dataset",
            "from glacier import Dataset\nfrom glacier.storage import S3",
        ),
        encoding="utf-8",
    )
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            [types.FileEvent(path.as_uri(), types.FileChangeType.Changed)]
        )
    )
    await diagnostics(client, "shop/pipeline.py", lambda items: not items)


async def test_pyproject_changes_reconfigure(client: LanguageClient) -> None:
    await diagnostics(client, "shop/tasks.py", lambda items: "GLC012" in codes(items))
    pyproject = root(client) / "pyproject.toml"
    pyproject.write_text('[tool.glacier]\nignore = ["GLC012"]\n', encoding="utf-8")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            [types.FileEvent(pyproject.as_uri(), types.FileChangeType.Changed)]
        )
    )
    await diagnostics(client, "shop/tasks.py", lambda items: codes(items) == ["GLC009"])


async def test_workspace_configuration_is_reread_on_change(client: LanguageClient) -> None:
    await diagnostics(client, "shop/tasks.py", lambda items: codes(items) == ["GLC009", "GLC012"])
    client.set_configuration(
        {"select": ["GLC009"], "severity": {"GLC009": "hint"}}, section="glacier"
    )
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    items = await diagnostics(client, "shop/tasks.py", lambda items: codes(items) == ["GLC009"])
    assert items[0].severity == types.DiagnosticSeverity.Hint


async def test_indexing_reports_progress_and_watchers_are_registered(
    client: LanguageClient,
) -> None:
    reports = [r for reports in client.progress_reports.values() for r in reports]
    assert isinstance(reports[0], types.WorkDoneProgressBegin)
    assert "Glacier" in reports[0].title
    assert isinstance(reports[-1], types.WorkDoneProgressEnd)
    registrations = client.registrations  # type: ignore[attr-defined]
    if is_pull(client):  # VS Code registers watchers dynamically; Neovim 0.11 cannot
        watchers = [
            w["globPattern"]
            for r in registrations
            if r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
            for w in r.register_options["watchers"]
        ]
        assert sorted(watchers) == ["**/*.py", "**/pyproject.toml"]


async def test_pull_reports_have_result_ids(client: LanguageClient) -> None:
    file_uri = open_file(client, "shop/tasks.py")
    if not is_pull(client):
        # A push-only client is never asked to pull: the same findings arrive pushed.
        await wait_until(lambda: bool(client.diagnostics.get(file_uri)), "pushed diagnostics")
        return
    params = types.DocumentDiagnosticParams(types.TextDocumentIdentifier(file_uri))
    first = await client.text_document_diagnostic_async(params)
    assert isinstance(first, types.RelatedFullDocumentDiagnosticReport)
    assert first.result_id
    params.previous_result_id = first.result_id
    again = await client.text_document_diagnostic_async(params)
    assert isinstance(again, types.RelatedUnchangedDocumentDiagnosticReport)
    assert again.result_id == first.result_id
    replace_all(
        client, "shop/tasks.py", read(client, "shop/tasks.py").replace("ordrs", "orders"), 2
    )
    changed = await client.text_document_diagnostic_async(params)
    assert isinstance(changed, types.RelatedFullDocumentDiagnosticReport)
    assert changed.result_id != first.result_id
    assert client.diagnostics == {}


async def test_push_clients_get_every_file_and_versions(client: LanguageClient) -> None:
    if is_pull(client):
        # A pull client is never pushed to: it asks, and gets the findings in the answer.
        file_uri = open_file(client, "shop/tasks.py")
        params = types.DocumentDiagnosticParams(types.TextDocumentIdentifier(file_uri))
        report = await client.text_document_diagnostic_async(params)
        assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
        assert report.items
        assert client.diagnostics == {}
        return
    await wait_until(
        lambda: (
            uri(client, "shop/pipeline.py") in client.diagnostics
            and uri(client, "shop/tasks.py") in client.diagnostics
        ),
        "diagnostics of closed files",
    )
    assert uri(client, "shop/datasets.py") not in client.diagnostics

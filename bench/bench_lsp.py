"""Benchmark of the language server over stdio, with a real client. Prints figures; asserts nothing.

    .venv/bin/python bench/bench_lsp.py [--modules 200] [--edits 60] [--open 1000]

1. Start-up: a workspace of ``--modules`` pipeline modules (plus one 1,000-line pipeline module);
   time from ``initialize`` to the end of the indexing progress, and to the first diagnostics.
2. Edit latency: ``--edits`` full-text ``didChange`` notifications on the 1,000-line module, each
   toggling an unknown annotation so its diagnostics change; time from the notification to the
   ``publishDiagnostics`` for that version. The server runs with ``GLACIER_LSP_DEBOUNCE=0``, so
   the debounce is excluded.
3. Memory: RSS of the server process after ``didOpen`` of ``--open`` modules (a fresh workspace
   of that many modules) once their diagnostics have settled.

``--profile`` also profiles the analyzer in-process (``Workspace.set_overlay`` + ``analyze`` on
the 1,000-line module, as the server does per edit) and prints where the time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, LanguageClient, register_lsp_features

BIG_TASKS = 90  # 11 lines each + header/pipeline -> about 1,000 lines


def module_text(index: int, tasks: int = 6) -> str:
    """A pipeline module: a chain of ``tasks`` tasks over ``tasks + 1`` datasets."""
    lines = ["from glacier import Dataset, Pipeline, compute, task", ""]
    for n in range(1, tasks + 1):
        lines.append(f'd{index}_{n} = Dataset("d{index}_{n}")')
    lines.append("")
    for n in range(tasks):
        source = "" if n == 0 else f"data: d{index}_{n}"
        lines += [
            "",
            "",
            "@task(compute=compute.local())",
            f"def t{index}_{n}({source}) -> d{index}_{n + 1}:",
            f'    """Step {n} of pipeline {index}."""',
            "    rows = []",
            "    for row in range(10):",
            "        rows.append(row * 2)",
            "    rows.sort()",
            "    return rows",
        ]
    names = ", ".join(f"t{index}_{n}" for n in range(tasks))
    lines += ["", "", f'pipeline_{index} = Pipeline([{names}], name="p{index}")', ""]
    return "\n".join(lines)


def make_workspace(root: Path, modules: int, big: bool) -> Path | None:
    package = root / "flows"
    package.mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.glacier]\n", encoding="utf-8")
    (package / "__init__.py").write_text("", encoding="utf-8")
    for index in range(modules):
        (package / f"flow_{index:04d}.py").write_text(module_text(index), encoding="utf-8")
    if not big:
        return None
    path = package / "big.py"
    path.write_text(module_text(9999, BIG_TASKS), encoding="utf-8")
    return path


#: (uri, version) -> when its diagnostics arrived.
RECEIVED: dict[tuple[str, int | None], float] = {}


def on_publish(client: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
    client.diagnostics[params.uri] = params.diagnostics
    RECEIVED.setdefault((params.uri, params.version), time.perf_counter())


async def start(root: Path, env: dict[str, str]) -> LanguageClient:
    client = LanguageClient(converter_factory=default_converter)
    features = {**DEFAULT_CLIENT_FEATURES, types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: on_publish}
    register_lsp_features(client, features)
    await client.start_io(sys.executable, "-m", "glacier_lsp", env=env)
    caps = client_capabilities("neovim")
    assert caps.text_document is not None
    caps.text_document.diagnostic = None  # push mode: publishDiagnostics is what we time
    await client.initialize_session(
        types.InitializeParams(
            capabilities=caps,
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(root.as_uri(), root.name)],
        )
    )
    return client


async def until(condition: object, timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError("the server did not answer in time")
        await asyncio.sleep(0.001)


def indexed(client: LanguageClient) -> bool:
    return any(
        isinstance(r, types.WorkDoneProgressEnd)
        for reports in client.progress_reports.values()
        for r in reports
    )


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def stop(client: LanguageClient) -> None:
    await asyncio.wait_for(client.shutdown_session(), 60)
    await client.stop()


async def bench_latency(modules: int, edits: int, env: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "workspace"
        big = make_workspace(root, modules, big=True)
        assert big is not None
        text = big.read_text(encoding="utf-8")
        print(f"workspace: {modules} modules + big.py ({len(text.splitlines())} lines)")
        started = time.perf_counter()
        client = await start(root, env)
        await until(lambda: indexed(client))
        print(f"start-up: indexed in {time.perf_counter() - started:.2f} s")
        uri = big.as_uri()
        versions: dict[int, float] = {}
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", 0, text))
        )
        await asyncio.sleep(1.0)
        good, bad = text, text.replace("(data: d9999_40)", "(data: d9999_40x)")
        assert good != bad
        latencies: list[float] = []
        for version in range(1, edits + 1):
            versions[version] = time.perf_counter()
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    types.VersionedTextDocumentIdentifier(version=version, uri=uri),
                    [types.TextDocumentContentChangeWholeDocument(bad if version % 2 else good)],
                )
            )
            await until(lambda v=version: (uri, v) in RECEIVED, timeout=60)
            latencies.append((RECEIVED[uri, version] - versions[version]) * 1000)
            await asyncio.sleep(0.02)
        latencies.sort()
        p50 = statistics.median(latencies)
        p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
        print(
            f"didChange -> publishDiagnostics on big.py ({edits} edits, debounce 0): "
            f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {latencies[-1]:.1f} ms"
        )
        await stop(client)


async def bench_memory(opened: int, env: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "workspace"
        make_workspace(root, opened, big=False)
        client = await start(root, env)
        await until(lambda: indexed(client))
        server = client._server
        assert server is not None
        before = rss_mb(server.pid)
        for path in sorted((root / "flows").glob("flow_*.py")):
            client.text_document_did_open(
                types.DidOpenTextDocumentParams(
                    types.TextDocumentItem(
                        path.as_uri(), "python", 1, path.read_text(encoding="utf-8")
                    )
                )
            )
        # A request answers only after the pending analysis of every opened document.
        started = time.perf_counter()
        await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="t0_"))
        settled = time.perf_counter() - started
        print(
            f"memory: RSS {before:.0f} MB after indexing {opened} modules, "
            f"{rss_mb(server.pid):.0f} MB with all {opened} open "
            f"(analysis of the opened set took {settled:.2f} s)"
        )
        await stop(client)


def profile_analyzer(modules: int, edits: int) -> None:
    """Where the time of one edit goes inside the analyzer (no LSP)."""
    import cProfile
    import pstats

    from glacier.analysis import Workspace
    from glacier.config import load_settings

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "workspace"
        big = make_workspace(root, modules, big=True)
        assert big is not None
        text = big.read_text(encoding="utf-8")
        bad = text.replace("(data: d9999_40)", "(data: d9999_40x)")
        workspace = Workspace(root, load_settings(root))
        started = time.perf_counter()
        workspace.index(lambda done, total: None)
        workspace.analyze()
        print(f"in-process: index + first analyze {time.perf_counter() - started:.2f} s")
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for n in range(edits):
            workspace.set_overlay(str(big), bad if n % 2 else text)
            workspace.analyze()
        profiler.disable()
        per_edit = (time.perf_counter() - started) * 1000 / edits
        print(f"in-process: set_overlay + analyze {per_edit:.1f} ms per edit (profiled)")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=200)
    parser.add_argument("--edits", type=int, default=60)
    parser.add_argument("--open", type=int, default=1000)
    parser.add_argument("--profile", action="store_true", help="profile the analyzer per edit")
    args = parser.parse_args()
    env = {**os.environ, "GLACIER_LSP_DEBOUNCE": "0"}
    if args.edits:
        asyncio.run(bench_latency(args.modules, args.edits, env))
    if args.open:
        asyncio.run(bench_memory(args.open, env))
    if args.profile:
        profile_analyzer(args.modules, args.edits)


if __name__ == "__main__":
    main()

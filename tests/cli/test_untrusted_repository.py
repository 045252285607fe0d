"""Static tools on a repository nobody trusts: nothing planted in a cache runs code.

A checked-out repository (a pull request from a fork) can commit any file, including files
where a cache lives or might live. This test plants pickles that create a sentinel file when
loaded in every file and folder the analyzer's cache uses (after filling it once), in the old
in-project cache (``.glacier_cache/``), in the run engine's folder (``.glacier/``) and in the
per-user cache, then runs ``glacier check``, ``check --whole-project`` (the pre-commit hook),
``glacier-graph`` in every format and the language server. No sentinel may appear and every
tool must report what it reports on a clean copy.

It uses no Glacier internals (only its version), so it also runs against older commits: with the
pickle cache of commit 0957b8a it fails (the sentinel appears).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import client_capabilities
from pytest_lsp.client import make_test_lsp_client

BROKEN = """\
from glacier import Dataset, Pipeline, task

raw = Dataset("raw")
clean = Dataset("clean")
legacy = Dataset("legacy")


@task
def tidy(x: raw) -> clean: ...


pipeline = Pipeline([tidy], name="shop")
"""
HELPER = """\
from glacier import Dataset

extra = Dataset("extra")
"""
GRAPH_FORMATS = ("svg", "png", "pdf", "dot", "mermaid", "json", "ascii")


class _Sentinel:
    """Unpickling this runs a shell command that creates the sentinel file."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch '{self.target}'",))


def _payload(sentinel: Path) -> bytes:
    return pickle.dumps(("k", _Sentinel(sentinel)), protocol=pickle.HIGHEST_PROTOCOL)


def _project(base: Path) -> Path:
    project = base / "repo"
    (project / "pkg").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[tool.glacier]\n")
    (project / "flow.py").write_text(BROKEN)
    (project / "pkg" / "__init__.py").write_text("")
    (project / "pkg" / "helper.py").write_text(HELPER)
    return project


def _env(home: Path) -> dict[str, str]:
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")}
    env.pop("GLACIER_CACHE_DIR", None)  # the default per-user location, under this HOME
    env.pop("GLACIER_STRICT", None)
    return env


def _glacier(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "glacier", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _commands() -> list[tuple[str, ...]]:
    return [
        ("check", "--output-format", "json", "."),
        ("check", "--output-format", "json", "--whole-project", "flow.py"),
        *(("graph", "flow.py", "--format", fmt, "-o", f"../out.{fmt}") for fmt in GRAPH_FORMATS),
    ]


def _outcome(project: Path, env: dict[str, str]) -> list[tuple[int, str]]:
    """Exit code and output (JSON diagnostics, or the drawing's text formats) of every tool."""
    found = []
    for command in _commands():
        done = _glacier(project, env, *command)
        assert "Traceback" not in done.stderr, done.stderr
        output = done.stdout
        if command[0] == "graph":
            drawn = project.parent / f"out.{command[3]}"
            output = drawn.read_text() if command[3] in ("dot", "mermaid", "json", "ascii") else ""
            assert drawn.stat().st_size > 0
        found.append((done.returncode, output))
    return found


def _plant(project: Path, home: Path, sentinel: Path) -> list[Path]:
    """A sentinel pickle in every cache file there is, and where a cache might be."""
    payload = _payload(sentinel)
    planted: list[Path] = []

    def put(path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(payload)
        planted.append(path)

    # Whatever the tools wrote anywhere (the project, the per-user cache), overwritten.
    for top in (project, home):
        for path in sorted(top.rglob("*")):
            if path.is_file() and path.suffix not in (".py", ".toml"):
                put(path)
    # The in-project pickle cache of earlier versions, for any version tag: the whole
    # result and each file's facts by content hash.
    from glacier import __version__

    python = f"py{sys.version_info[0]}{sys.version_info[1]}"
    sources = [p for p in project.rglob("*.py")]
    for version in range(1, 10):
        tag = project / ".glacier_cache" / f"{__version__}-{version}-{python}"
        put(tag / "result")
        put(tag / "result.json")
        for source in sources:
            key = hashlib.blake2b(source.read_bytes(), digest_size=16).hexdigest()
            for kind in ("full", "light"):
                put(tag / key[:2] / f"{key}.{kind}")
                put(tag / "facts" / key[:2] / f"{key}.{kind}.json")
    # The run engine's folder: its database, its cache, anything.
    for relative in ("runs.db", "cache/index", "cache/objects/ab/abcdef", "cache.pickle", "state"):
        put(project / ".glacier" / relative)
    # The per-user cache, including files that do not exist yet.
    user = home / ".cache" / "glacier"
    for relative in ("secret", "CACHEDIR.TAG", "analyzer/index", "runs/cache.pickle"):
        put(user / relative)
    for folder in (user / "analyzer").glob("*/*"):
        put(folder / "result.json")
        put(folder / "result")
    return planted


def test_nothing_planted_runs_and_diagnostics_are_right(tmp_path: Path) -> None:
    sentinel = tmp_path / "PWNED"
    clean_home = tmp_path / "clean-home"
    expected = _outcome(_project(tmp_path / "clean"), _env(clean_home))
    assert expected[0][0] == 1 and expected[1][0] == 1
    assert {d["code"] for d in json.loads(expected[0][1])} >= {"GLC002"}

    home = tmp_path / "home"
    project = _project(tmp_path / "untrusted")
    env = _env(home)
    assert _outcome(project, env) == expected  # fills every cache there is
    planted = _plant(project, home, sentinel)
    assert len(planted) > 50
    for _ in range(2):  # planted entries, then whatever the first run left
        assert _outcome(project, env) == expected
        assert not sentinel.exists()
    asyncio.run(_language_server(project, env, sentinel))
    assert not sentinel.exists()


async def _language_server(project: Path, env: dict[str, str], sentinel: Path) -> None:
    client = make_test_lsp_client()
    capabilities = client_capabilities("neovim")
    assert capabilities.text_document is not None
    capabilities.text_document.diagnostic = None  # the server pushes diagnostics
    await client.start_io(sys.executable, "-m", "glacier_lsp", env=env, cwd=str(project))
    try:
        await client.initialize_session(
            types.InitializeParams(
                capabilities=capabilities,
                root_uri=project.as_uri(),
                workspace_folders=[types.WorkspaceFolder(project.as_uri(), "repo")],
            )
        )
        uri = (project / "flow.py").as_uri()
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri, "python", 1, (project / "flow.py").read_text())
            )
        )
        await asyncio.wait_for(
            client.workspace_symbol_async(types.WorkspaceSymbolParams(query="")), 60
        )
        for _ in range(200):
            if client.diagnostics.get(uri):
                break
            await asyncio.sleep(0.05)
        assert {str(d.code) for d in client.diagnostics.get(uri, [])} >= {"GLC002"}
        assert not sentinel.exists()
    finally:
        await asyncio.wait_for(client.shutdown_session(), 30)
        await client.stop()


@pytest.fixture(autouse=True)
def _no_graphviz_gap() -> None:
    assert shutil.which("dot"), "Graphviz is part of the test setup (scripts/setup.sh)"

"""The server process: `glacier lsp` and `python -m glacier_lsp` speak only LSP on stdout and exit
cleanly after ``shutdown``/``exit``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.lsp.conftest import WORKSPACES


def frame(message: dict[str, object]) -> bytes:
    body = json.dumps(message).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def messages(stream: bytes) -> list[dict[str, object]]:
    """Split stdout into LSP messages; fails on anything that is not a framed message."""
    found = []
    while stream:
        header, separator, rest = stream.partition(b"\r\n\r\n")
        assert separator, f"stray output on stdout: {stream[:200]!r}"
        fields = dict(line.split(b": ", 1) for line in header.split(b"\r\n"))
        length = int(fields[b"Content-Length"])
        found.append(json.loads(rest[:length]))
        stream = rest[length:]
    return found


def glacier_command() -> list[str]:
    script = Path(sys.executable).with_name("glacier")
    return [str(script), "lsp"] if script.exists() else [sys.executable, "-m", "glacier", "lsp"]


@pytest.mark.parametrize(
    "command", [[sys.executable, "-m", "glacier_lsp"], glacier_command()], ids=["module", "cli"]
)
def test_only_protocol_on_stdout_and_clean_exit(command: list[str], tmp_path: Path) -> None:
    root = tmp_path / "broken"
    shutil.copytree(WORKSPACES / "broken", root)
    uri = root.as_uri()
    start = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "processId": None,
                "rootUri": uri,
                "capabilities": {},
                "workspaceFolders": [{"uri": uri, "name": "broken"}],
            },
        },
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "id": 2, "method": "workspace/symbol", "params": {"query": "clean"}},
    ]
    stop = [
        {"jsonrpc": "2.0", "id": 3, "method": "shutdown", "params": None},
        {"jsonrpc": "2.0", "method": "exit", "params": None},
    ]
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(b"".join(frame(r) for r in start))
    process.stdin.flush()
    received = b""
    while not any(m.get("id") == 2 for m in messages(received)):  # shutdown cancels requests
        header = process.stdout.readline()
        if not header:
            break
        received += header
        if header.startswith(b"Content-Length:"):
            length = int(header.split(b":")[1])
            while (line := process.stdout.readline()) not in (b"\r\n", b""):
                received += line  # other headers
            received += b"\r\n" + process.stdout.read(length)
    rest, errors = process.communicate(b"".join(frame(r) for r in stop), timeout=60)
    done = subprocess.CompletedProcess(command, process.returncode, received + rest, errors)
    replies = messages(done.stdout)
    by_id = {m.get("id"): m for m in replies if "id" in m}
    assert "capabilities" in by_id[1]["result"]  # type: ignore[operator]
    assert "result" in by_id[2], by_id[2]
    symbols = by_id[2]["result"]
    assert sorted(s["name"] for s in symbols) == ["clean", "clean_orders"]  # type: ignore[union-attr]
    published = [m for m in replies if m.get("method") == "textDocument/publishDiagnostics"]
    assert {Path(m["params"]["uri"]).name for m in published} >= {"pipeline.py", "tasks.py"}  # type: ignore[index]

"""Real servers that tests start on 127.0.0.1 free ports and stop again.

``moto_s3_server()`` runs moto's S3 in server mode (the real botocore/s3fs stack talks
HTTP to it); ``azurite_blob_server()`` runs Azurite, Microsoft's Blob Storage emulator
(installed by ``scripts/setup.d/azurite.sh``). Both are context managers.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]

#: Azurite's well-known development account (public, documented by Microsoft).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


@dataclass(frozen=True)
class S3Request:
    """One HTTP request the S3 server received."""

    method: str
    path: str
    query: str
    headers: dict[str, str]

    @property
    def operation(self) -> str:
        """A rough S3 operation name: ``PutObject``, ``GetObject``, ``CopyObject``, ..."""
        if self.method == "PUT" and "x-amz-copy-source" in self.headers:
            return "CopyObject"
        if "uploadId" in self.query or "uploads" in self.query:
            return "MultipartUpload"
        if self.method == "GET" and ("list-type" in self.query or self.path.count("/") <= 1):
            return "ListObjects"
        return {
            "PUT": "PutObject",
            "GET": "GetObject",
            "HEAD": "HeadObject",
            "DELETE": "DeleteObject",
            "POST": "Post",
        }.get(self.method, self.method)


def _counting(app: Callable[..., Iterable[bytes]], log: list[S3Request]) -> Callable[..., Any]:
    def wrapper(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not environ.get("PATH_INFO", "").startswith("/moto-api"):
            headers = {
                key[5:].replace("_", "-").lower(): str(value)
                for key, value in environ.items()
                if key.startswith("HTTP_")
            }
            log.append(
                S3Request(
                    environ.get("REQUEST_METHOD", ""),
                    environ.get("PATH_INFO", ""),
                    environ.get("QUERY_STRING", ""),
                    headers,
                )
            )
        return app(environ, start_response)

    return wrapper


@contextlib.contextmanager
def moto_s3_server(log: list[S3Request] | None = None) -> Iterator[str]:
    """Start moto's S3 server on 127.0.0.1 (a free port); yield its endpoint URL.

    Requests (other than moto's own API) are appended to ``log`` when one is given.
    """
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    if log is not None:
        inner = server._server
        assert inner is not None
        inner.app = _counting(inner.app, log)
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def reset_moto(endpoint: str) -> None:
    """Forget every bucket and object of a running moto server."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (right now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def azurite_command() -> list[str]:
    """How to start Azurite: the setup script's install, else one on PATH.

    Raises:
        RuntimeError: if neither is there (run scripts/setup.d/azurite.sh).
    """
    installed = REPO / ".tools" / "azurite" / "node_modules" / ".bin" / "azurite-blob"
    if installed.exists():
        return [str(installed)]
    found = shutil.which("azurite-blob")
    if found:
        return [found]
    raise RuntimeError("Azurite is not installed: run scripts/setup.d/azurite.sh")


def azurite_connection_string(port: int) -> str:
    """The connection string of Azurite's development account on ``port``."""
    return (
        "DefaultEndpointsProtocol=http;"
        f"AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
        f"BlobEndpoint=http://127.0.0.1:{port}/{AZURITE_ACCOUNT};"
    )


@contextlib.contextmanager
def azurite_blob_server() -> Iterator[str]:
    """Start Azurite's Blob service on 127.0.0.1 (a free port); yield its connection string."""
    workspace = tempfile.mkdtemp(prefix="azurite-")
    port = free_port()
    process = subprocess.Popen(
        [
            *azurite_command(),
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(port),
            "--location",
            workspace,
            "--silent",
            "--skipApiVersionCheck",
            "--loose",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "NODE_NO_WARNINGS": "1"},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                error = process.stderr.read().decode(errors="replace") if process.stderr else ""
                raise RuntimeError(f"Azurite exited at start: {error}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("Azurite did not start within 60 s")
            time.sleep(0.1)
        yield azurite_connection_string(port)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(workspace, ignore_errors=True)

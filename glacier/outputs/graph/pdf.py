"""PDF without a system Graphviz: Graphviz's own drawing instructions, written as a PDF page.

The WebAssembly Graphviz has no cairo, so it cannot write PDF; it does write ``-Tjson``, whose
``_draw_`` lists (xdot 1.7) say exactly what ``dot`` would paint: polygons, ellipses, B-splines
and text, with colours, line styles, fonts and each text's laid-out width. This module paints
those instructions onto one vector PDF page, with nothing but the standard library.

Text uses PDF's standard fonts (Helvetica, Times, Courier, with their bold and italic), which
every viewer has, so nothing is embedded; a character outside Latin-1 is written as ``?``.
Each text is squeezed or stretched to the width Graphviz laid it out with, so it stays in
its box whatever the font. The bytes depend only on the layout: no dates, no random ids.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

#: Average advance of a character in each standard font, in units of the font size; used
#: only to fit a text to Graphviz's width (exact metrics would need the fonts' tables).
_AVERAGE_ADVANCE = {"Helvetica": 0.55, "Times": 0.5, "Courier": 0.6}
_FACES = {
    ("Helvetica", False, False): "Helvetica",
    ("Helvetica", True, False): "Helvetica-Bold",
    ("Helvetica", False, True): "Helvetica-Oblique",
    ("Helvetica", True, True): "Helvetica-BoldOblique",
    ("Times", False, False): "Times-Roman",
    ("Times", True, False): "Times-Bold",
    ("Times", False, True): "Times-Italic",
    ("Times", True, True): "Times-BoldItalic",
    ("Courier", False, False): "Courier",
    ("Courier", True, False): "Courier-Bold",
    ("Courier", False, True): "Courier-Oblique",
    ("Courier", True, True): "Courier-BoldOblique",
}
_BOLD, _ITALIC = 1, 2  # xdot ``t`` flags
_LINE_WIDTH = re.compile(r"setlinewidth\(([\d.]+)\)")
#: PDF dash patterns for Graphviz's ``dashed`` and ``dotted`` styles.
_DASHES = {"dashed": "[6] 0 d", "dotted": "[1 5] 0 d"}


class PdfError(ValueError):
    """The layout is not Graphviz ``-Tjson`` output."""


def pdf_from_graphviz_json(layout: bytes | str) -> bytes:
    """A one-page PDF painting the Graphviz ``-Tjson`` ``layout``.

    Raises:
        PdfError: if ``layout`` is not Graphviz JSON with a bounding box.
    """
    try:
        graph = json.loads(layout)
        left, bottom, right, top = (float(n) for n in str(graph["bb"]).split(","))
        painter = _Painter()
        for item in _drawn_in_order(graph):
            for key in ("_draw_", "_hdraw_", "_tdraw_", "_ldraw_", "_hldraw_", "_tldraw_"):
                ops = item.get(key)
                if isinstance(ops, list):
                    painter.paint(ops)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as error:
        raise PdfError(f"not a Graphviz JSON layout: {error!r}") from error
    width, height = right - left, top - bottom
    content = f"1 0 0 1 {_n(-left)} {_n(-bottom)} cm\n".encode() + painter.content()
    return _document(width, height, content, painter.fonts)


def _drawn_in_order(graph: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    """The graph, its clusters, the edges, then the nodes (drawn last, on top), as ``dot`` does."""
    objects: Sequence[Mapping[str, Any]] = graph.get("objects", [])
    clusters = int(graph.get("_subgraph_cnt", 0))
    yield graph
    yield from objects[:clusters]
    yield from graph.get("edges", [])
    yield from objects[clusters:]


class _Painter:
    """Turns xdot operations into PDF content-stream operators, keeping the pen's state."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.fonts: dict[str, str] = {}  # PDF font name -> resource name
        self.pen = (0.0, 0.0, 0.0, 1.0)
        self.fill = (0.0, 0.0, 0.0, 1.0)
        self.style: tuple[str, float] = ("solid", 1.0)
        self.face, self.size, self.flags = "Times-Roman", 14.0, 0

    def content(self) -> bytes:
        return "\n".join(self.out).encode("latin-1")

    def paint(self, ops: Sequence[Mapping[str, Any]]) -> None:
        """Paint one object's list; each list starts from Graphviz's defaults."""
        self.pen = self.fill = (0.0, 0.0, 0.0, 1.0)
        self.style = ("solid", 1.0)
        self.face, self.size, self.flags = "Times-Roman", 14.0, 0
        for op in ops:
            kind = op.get("op")
            if kind == "c":
                self.pen = _colour(op.get("color"))
            elif kind == "C":
                self.fill = _colour(op.get("color"))
            elif kind == "S":
                self._set_style(str(op.get("style", "solid")))
            elif kind == "F":
                self.face, self.size = str(op.get("face", "Times-Roman")), float(op["size"])
            elif kind == "t":
                self.flags = int(op.get("fontchar", 0))
            elif kind in ("p", "P", "L", "b", "B"):
                self._shape(kind, op["points"])
            elif kind in ("e", "E"):
                x, y, rx, ry = (float(n) for n in op["rect"])
                self._path(_ellipse(x, y, rx, ry), closed=True, filled=kind == "E")
            elif kind == "T":
                self._text(op)
            # Other operations (images, gradients' extra stops) have no part in our pictures.

    def _set_style(self, style: str) -> None:
        if style == "bold":
            self.style = (self.style[0], 2.0)
        elif match := _LINE_WIDTH.fullmatch(style):
            self.style = (self.style[0], float(match.group(1)))
        elif style in ("solid", "dashed", "dotted", "invis"):
            self.style = (style, self.style[1])

    def _shape(self, kind: str, points: Sequence[Sequence[float]]) -> None:
        xy = [(float(p[0]), float(p[1])) for p in points]
        if not xy:
            return
        if kind in ("b", "B"):  # a cubic B-spline in Bézier form: start, then 3 per segment
            steps = [f"{_n(xy[0][0])} {_n(xy[0][1])} m"]
            for i in range(1, len(xy) - 2, 3):
                steps.append(" ".join(f"{_n(x)} {_n(y)}" for x, y in xy[i : i + 3]) + " c")
        else:
            steps = [f"{_n(xy[0][0])} {_n(xy[0][1])} m"]
            steps += [f"{_n(x)} {_n(y)} l" for x, y in xy[1:]]
        self._path(steps, closed=kind in ("p", "P", "B"), filled=kind in ("P", "B"))

    def _path(self, steps: list[str], *, closed: bool, filled: bool) -> None:
        if self.style[0] == "invis":
            return
        fill = filled and self.fill[3] > 0
        stroke = self.pen[3] > 0
        if not (fill or stroke):
            return
        self.out.append("q")
        if fill:
            self.out.append(f"{_rgb(self.fill)} rg")
        if stroke:
            self.out.append(f"{_rgb(self.pen)} RG {_n(self.style[1])} w")
            if self.style[0] in _DASHES:
                self.out.append(_DASHES[self.style[0]])
        self.out.extend(steps)
        if closed:
            self.out.append("h")
        self.out.append({(True, True): "B", (True, False): "f", (False, True): "S"}[fill, stroke])
        self.out.append("Q")

    def _text(self, op: Mapping[str, Any]) -> None:
        text = str(op.get("text", ""))
        if not text or self.pen[3] == 0:
            return
        family, name = self._font()
        resource = self.fonts.setdefault(name, f"F{len(self.fonts) + 1}")
        x, y = (float(n) for n in op["pt"])
        width = float(op.get("width", 0))
        x -= {"c": width / 2, "r": width}.get(str(op.get("align", "l")), 0.0)
        natural = len(text) * self.size * _AVERAGE_ADVANCE[family]
        scale = 100 * width / natural if width > 0 and natural > 0 else 100
        self.out.append(
            f"BT /{resource} {_n(self.size)} Tf {_n(scale)} Tz {_rgb(self.pen)} rg "
            f"{_n(x)} {_n(y)} Td ({_escaped(text)}) Tj ET"
        )

    def _font(self) -> tuple[str, str]:
        face = self.face.lower()
        family = (
            "Times"
            if "times" in face or face == "serif"
            else "Courier"
            if "courier" in face or "mono" in face
            else "Helvetica"
        )
        bold = bool(self.flags & _BOLD) or "bold" in face
        italic = bool(self.flags & _ITALIC) or "italic" in face or "oblique" in face
        return family, _FACES[family, bold, italic]


def _ellipse(x: float, y: float, rx: float, ry: float) -> list[str]:
    """An ellipse as four Bézier arcs (the usual 0.5523 control-point distance)."""
    k = 0.5522847498
    ox, oy = rx * k, ry * k

    def point(px: float, py: float) -> str:
        return f"{_n(px)} {_n(py)}"

    return [
        f"{point(x + rx, y)} m",
        f"{point(x + rx, y + oy)} {point(x + ox, y + ry)} {point(x, y + ry)} c",
        f"{point(x - ox, y + ry)} {point(x - rx, y + oy)} {point(x - rx, y)} c",
        f"{point(x - rx, y - oy)} {point(x - ox, y - ry)} {point(x, y - ry)} c",
        f"{point(x + ox, y - ry)} {point(x + rx, y - oy)} {point(x + rx, y)} c",
    ]


_NAMED = {"black": "#000000", "white": "#ffffff", "transparent": "#fffffe00", "none": "#00000000"}


def _colour(value: object) -> tuple[float, float, float, float]:
    """``#rrggbb[aa]`` (as Graphviz writes colours in xdot) as RGBA in 0..1."""
    text = _NAMED.get(str(value).lower(), str(value))
    if not re.fullmatch(r"#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?", text):
        return (0.0, 0.0, 0.0, 1.0)
    channels = [int(text[i : i + 2], 16) / 255 for i in range(1, len(text), 2)]
    return (channels[0], channels[1], channels[2], channels[3] if len(channels) == 4 else 1.0)


def _rgb(colour: tuple[float, float, float, float]) -> str:
    return " ".join(_n(channel) for channel in colour[:3])


def _n(number: float) -> str:
    """A PDF number with Graphviz's precision (two decimals); hot, so kept plain."""
    return f"{number:.2f}"


def _escaped(text: str) -> str:
    latin = text.encode("latin-1", "replace").decode("latin-1")
    return latin.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").replace("\r", "")


def _document(width: float, height: float, content: bytes, fonts: Mapping[str, str]) -> bytes:
    """The PDF file: catalog, one page, its fonts and its compressed content stream."""
    stream = zlib.compress(content)
    font_objects = {resource: 5 + index for index, resource in enumerate(fonts.values())}
    font_dict = " ".join(f"/{resource} {number} 0 R" for resource, number in font_objects.items())
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {_n(width)} {_n(height)}] "
            f"/Resources << /Font << {font_dict} >> >> /Contents 4 0 R >>"
        ).encode(),
        f"<< /Length {len(stream)} /Filter /FlateDecode >>\nstream\n".encode()
        + stream
        + b"\nendstream",
    ]
    objects += [
        f"<< /Type /Font /Subtype /Type1 /BaseFont /{name} /Encoding /WinAnsiEncoding >>".encode()
        for name in fonts
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    return bytes(out + f"startxref\n{xref}\n%%EOF\n".encode())

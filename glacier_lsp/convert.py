"""Conversions between Glacier's model and LSP types, in one place.

Glacier spans are 1-based lines and columns counted in code points (see ``glacier.model.Span``);
LSP positions are 0-based and count code units of the negotiated encoding (UTF-16 unless the
client asked for UTF-8 or UTF-32). URIs arrive in several spellings (``file:///c%3A/...`` from
VS Code on Windows, ``file:///C:/...`` from others); everything Glacier keys by is a plain path.

This module holds no state beyond what it is given and imports no pygls server code.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, unquote, urlparse

from lsprotocol import types

from glacier.diagnostics import Diagnostic
from glacier.model import Span
from glacier.rules import Severity

SOURCE = "glacier"

_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
    Severity.HINT: types.DiagnosticSeverity.Hint,
}
_WINDOWS_DRIVE = re.compile(r"^/?([A-Za-z]):(/|$)")


# --- URIs and paths ----------------------------------------------------------------------------


def uri_to_path(uri: str) -> str | None:
    """The filesystem path a ``file:`` URI names, or ``None`` for other schemes.

    Handles percent-encoded drive letters (``file:///c%3A/x.py`` → ``C:/x.py``) on every platform,
    so that a Windows client's URIs map to one key however they are spelt.
    """
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    path = unquote(parsed.path)
    if parsed.netloc and parsed.netloc != "localhost":
        path = f"//{parsed.netloc}{path}"  # UNC share: file://server/share/x.py
    drive = _WINDOWS_DRIVE.match(path)
    if drive:
        path = f"{drive.group(1).upper()}:/{path[drive.end() :]}"
        return path.replace("/", os.sep) if os.sep != "/" else path
    return os.path.normpath(path) if path else path


def path_to_uri(path: str) -> str:
    """A ``file:`` URI for ``path`` (absolute), spelt as VS Code does."""
    posix = path.replace("\\", "/")
    drive = _WINDOWS_DRIVE.match(posix)
    if drive:
        posix = f"/{drive.group(1).lower()}:/{posix[drive.end() :]}"
    return "file://" + quote(posix, safe="/:")


def path_key(path: str) -> str:
    """A normalised key for comparing paths (case-folded where the OS folds case)."""
    return os.path.normcase(os.path.normpath(path))


# --- columns -----------------------------------------------------------------------------------


def units(text: str, encoding: str) -> int:
    """How many code units of ``encoding`` (``utf-8``/``utf-16``/``utf-32``) ``text`` takes."""
    if text.isascii() or encoding == types.PositionEncodingKind.Utf32:
        return len(text)
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8"))
    return len(text.encode("utf-16-le")) // 2


def to_client_column(line: str, column: int, encoding: str) -> int:
    """0-based code-point column → 0-based client column, clamped to the line."""
    column = max(0, min(column, len(line)))
    return units(line[:column], encoding)


def from_client_column(line: str, column: int, encoding: str) -> int:
    """0-based client column → 0-based code-point column, clamped to the line."""
    if line.isascii() or encoding == types.PositionEncodingKind.Utf32:
        return max(0, min(column, len(line)))
    consumed = 0
    for index, char in enumerate(line):
        if consumed >= column:
            return index
        consumed += units(char, encoding)
    return len(line)


class LineIndex:
    """The lines of one text, for converting positions in both directions."""

    def __init__(self, text: str, encoding: str = types.PositionEncodingKind.Utf16) -> None:
        self.text = text
        self.lines: list[str] = text.splitlines() or [""]
        self.encoding = encoding

    def line(self, number: int) -> str:
        """The 0-based line ``number`` (empty when out of range)."""
        return self.lines[number] if 0 <= number < len(self.lines) else ""

    def position(self, line: int, column: int) -> types.Position:
        """1-based line and code-point column → LSP position."""
        number = max(0, line - 1)
        text = self.line(number)
        return types.Position(number, to_client_column(text, column - 1, self.encoding))

    def range(self, span: Span) -> types.Range:
        """A Glacier span → LSP range."""
        start = self.position(span.line, span.column)
        end = self.position(span.end_line, span.end_column)
        return types.Range(
            start, end if (end.line, end.character) >= (start.line, start.character) else start
        )

    def point(self, position: types.Position) -> tuple[int, int]:
        """LSP position → 1-based line and code-point column."""
        text = self.line(position.line)
        return position.line + 1, from_client_column(text, position.character, self.encoding) + 1

    def offset(self, position: types.Position) -> int:
        """LSP position → 0-based code-point offset into the text."""
        line, column = self.point(position)
        lines = self.text.splitlines(keepends=True)
        return sum(len(text) for text in lines[: line - 1]) + column - 1

    def end(self) -> types.Position:
        """The position just after the last character."""
        last = len(self.lines) - 1
        return types.Position(last, units(self.lines[last], self.encoding))


def contains(span: Span, line: int, column: int) -> bool:
    """Whether the 1-based point lies within ``span`` (end inclusive: the cursor after a word)."""
    return (span.line, span.column) <= (line, column) <= (span.end_line, span.end_column)


# --- diagnostics -------------------------------------------------------------------------------


def to_severity(severity: Severity) -> types.DiagnosticSeverity:
    return _SEVERITY[severity]


def to_lsp_diagnostic(
    diagnostic: Diagnostic,
    index: LineIndex,
    related: Sequence[tuple[str, types.Range, str]] = (),
) -> types.Diagnostic:
    """One Glacier diagnostic → LSP, with its code, rule link and related locations.

    ``related`` holds ``(uri, range, message)`` for each related span, already converted, since
    those may lie in other files.
    """
    message = diagnostic.message
    if diagnostic.hint:
        message = f"{message}\n{diagnostic.hint}"
    rule = diagnostic.rule
    return types.Diagnostic(
        range=index.range(diagnostic.span),
        message=message,
        severity=to_severity(diagnostic.severity),
        code=rule.code,
        code_description=types.CodeDescription(href=rule.url),
        source=SOURCE,
        related_information=[
            types.DiagnosticRelatedInformation(types.Location(uri, range_), text)
            for uri, range_, text in related
        ]
        or None,
        data={"name": rule.name, "finding": dict(diagnostic.data)},
    )


def finding_data(diagnostic: types.Diagnostic) -> dict[str, Any]:
    """What the Glacier diagnostic is about, as `to_lsp_diagnostic` put it in ``data``.

    Empty when the client did not send the data back.
    """
    data = diagnostic.data
    finding = data.get("finding") if isinstance(data, dict) else None
    return finding if isinstance(finding, dict) else {}

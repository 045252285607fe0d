"""Unit tests of `glacier_lsp.convert`: URIs (Windows spellings) and column units."""

from __future__ import annotations

import os

import pytest
from lsprotocol import types

from glacier.diagnostics import Diagnostic, Related
from glacier.model import Span
from glacier.rules import CYCLE, Severity
from glacier_lsp.convert import (
    LineIndex,
    from_client_column,
    path_key,
    path_to_uri,
    to_client_column,
    to_lsp_diagnostic,
    uri_to_path,
)

WINDOWS = os.sep == "\\"


@pytest.mark.parametrize(
    "uri",
    [
        "file:///c%3A/Users/ada/shop/pipeline.py",
        "file:///C:/Users/ada/shop/pipeline.py",
        "file:///c:/Users/ada/shop/pipeline.py",
        "file:///C%3A/Users/ada/shop/pipeline.py",
    ],
)
def test_windows_uris_name_one_path(uri: str) -> None:
    expected = "C:/Users/ada/shop/pipeline.py"
    path = uri_to_path(uri)
    assert path is not None
    assert path.replace("\\", "/") == expected
    assert path_key(path) == path_key(uri_to_path("file:///c%3A/Users/ada/shop/pipeline.py") or "")


def test_windows_path_round_trips_in_vscode_spelling() -> None:
    assert path_to_uri("C:\\Users\\ada\\my shop\\p.py") == "file:///c:/Users/ada/my%20shop/p.py"
    assert (uri_to_path(path_to_uri("C:\\Users\\ada\\my shop\\p.py")) or "").replace(
        "\\", "/"
    ) == "C:/Users/ada/my shop/p.py"


def test_posix_uris() -> None:
    if WINDOWS:
        pytest.skip("POSIX paths")
    assert uri_to_path("file:///home/ada/my%20shop/p%C3%A9.py") == "/home/ada/my shop/pé.py"
    assert path_to_uri("/home/ada/my shop/pé.py") == "file:///home/ada/my%20shop/p%C3%A9.py"
    assert uri_to_path("untitled:Untitled-1") is None


def test_unc_uri() -> None:
    assert (uri_to_path("file://server/share/p.py") or "").replace(
        "\\", "/"
    ) == "//server/share/p.py"


LINE = 'label = "😀🎉"; p = Pipeline([処理, unknwn])'


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-16", 16), ("utf-8", 20), ("utf-32", 14)],
)
def test_columns_count_client_units(encoding: str, expected: int) -> None:
    index = LINE.index("p =")  # 14 code points in: two emoji before it
    assert to_client_column(LINE, index, encoding) == expected
    assert from_client_column(LINE, expected, encoding) == index


def test_cjk_is_one_utf16_unit_and_three_utf8_bytes() -> None:
    line = "def 処理(data: 生) -> out:"
    index = line.index("data")
    assert to_client_column(line, index, "utf-16") == index
    assert to_client_column(line, index, "utf-8") == index + 4  # two CJK chars: 3 bytes each


def test_line_index_positions_are_zero_based_and_clamped() -> None:
    lines = LineIndex(f"x = 1\n{LINE}\n", "utf-16")
    span = Span("f.py", 2, LINE.index("unknwn") + 1, 2, LINE.index("unknwn") + 7)
    range_ = lines.range(span)
    assert range_.start == types.Position(1, LINE.index("unknwn") + 2)
    assert range_.end.character - range_.start.character == 6
    assert lines.point(range_.start) == (2, LINE.index("unknwn") + 1)
    assert lines.position(99, 99) == types.Position(98, 0)
    assert lines.position(1, 99) == types.Position(0, 5)


def test_diagnostic_carries_code_link_and_related_locations() -> None:
    span = Span("/p/pipeline.py", 3, 5, 3, 13)
    diagnostic = Diagnostic(
        CYCLE,
        "Pipeline `p` has a cycle",
        span,
        Severity.ERROR,
        related=(Related(Span("/p/tasks.py", 1, 1, 1, 4), "`a` is in the loop"),),
        hint="Remove one edge",
    )
    related_range = types.Range(types.Position(0, 0), types.Position(0, 3))
    converted = to_lsp_diagnostic(
        diagnostic,
        LineIndex("\n\n    Pipeline([a, b])\n"),
        [("file:///p/tasks.py", related_range, "`a` is in the loop")],
    )
    assert converted.code == "GLC001"
    assert converted.source == "glacier"
    assert converted.severity == types.DiagnosticSeverity.Error
    assert converted.code_description is not None
    assert converted.code_description.href == CYCLE.url
    assert converted.range == types.Range(types.Position(2, 4), types.Position(2, 12))
    assert converted.message == "Pipeline `p` has a cycle\nRemove one edge"
    assert converted.related_information == [
        types.DiagnosticRelatedInformation(
            types.Location("file:///p/tasks.py", related_range), "`a` is in the loop"
        )
    ]

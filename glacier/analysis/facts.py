"""Per-file extraction facts: what one module says, before anything is resolved.

Facts are plain frozen records, independent of the file's path (positions only), so they
can be cached by content hash and shipped between processes. The resolver interprets
them across modules, in source order, the way Python would execute the module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: ``(line, column, end_line, end_column)``, 1-based, columns in code points.
Pos = tuple[int, int, int, int]

NO_POS: Pos = (1, 1, 1, 1)


# -- expressions --------------------------------------------------------------------------


@dataclass(frozen=True)
class EName:
    """A bare name: ``raw_users``."""

    name: str
    pos: Pos


@dataclass(frozen=True)
class EAttr:
    """An attribute: ``ds.raw``."""

    value: Expr
    attr: str
    pos: Pos


@dataclass(frozen=True)
class ECall:
    """A call with its literal argument structure."""

    func: Expr
    args: tuple[Expr, ...]
    kwargs: tuple[tuple[str, Expr], ...]
    pos: Pos
    #: The call unpacks ``*args`` or ``**kwargs``, so its arguments are not known.
    unpacked: bool = False


@dataclass(frozen=True)
class EConst:
    """A literal: a string, a number, ``True``/``False``/``None``."""

    value: str | int | float | bool | None
    pos: Pos


@dataclass(frozen=True)
class ESeq:
    """A list or tuple display."""

    elements: tuple[Expr, ...]
    pos: Pos


@dataclass(frozen=True)
class EOther:
    """Anything else (subscripts, comprehensions, operators...), kept as its source text."""

    text: str
    pos: Pos


Expr = EName | EAttr | ECall | EConst | ESeq | EOther


def expr_text(expr: Expr) -> str:
    """A short source-like rendering for messages."""
    if isinstance(expr, EName):
        return expr.name
    if isinstance(expr, EAttr):
        return f"{expr_text(expr.value)}.{expr.attr}"
    if isinstance(expr, ECall):
        return f"{expr_text(expr.func)}(...)"
    if isinstance(expr, EConst):
        return repr(expr.value)
    if isinstance(expr, ESeq):
        return "[" + ", ".join(expr_text(e) for e in expr.elements) + "]"
    return expr.text


# -- statements ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Annotation:
    """A parameter or return annotation."""

    expr: Expr
    #: A string annotation, or any annotation under ``from __future__ import annotations``.
    deferred: bool
    pos: Pos


@dataclass(frozen=True)
class Param:
    """One function parameter."""

    name: str
    pos: Pos
    annotation: Annotation | None
    has_default: bool
    #: ``*args`` / ``**kwargs``: never a graph input.
    variadic: bool = False


@dataclass(frozen=True)
class SImport:
    """``import a.b.c`` (binds ``a``) or ``import a.b.c as x`` (binds ``x``)."""

    module: str
    alias: str | None
    pos: Pos


@dataclass(frozen=True)
class SFrom:
    """``from .m import n as x``; ``name == "*"`` for a star import."""

    module: str
    level: int
    names: tuple[tuple[str, str | None, Pos], ...]
    pos: Pos


@dataclass(frozen=True)
class SAssign:
    """``a = b = <value>``; targets that are not plain names are not recorded."""

    targets: tuple[tuple[str, Pos], ...]
    value: Expr
    pos: Pos


@dataclass(frozen=True)
class SBind:
    """A name bound to something that is neither a dataset nor a task (class, loop variable)."""

    name: str
    pos: Pos
    description: str
    #: Bound by code whose value is only known at run time (unpacking, ``for`` targets...).
    dynamic: bool = False


@dataclass(frozen=True)
class SDef:
    """A module-level function definition."""

    name: str
    #: The ``def name`` part of the header.
    pos: Pos
    name_pos: Pos
    decorators: tuple[Expr, ...]
    params: tuple[Param, ...]
    returns: Annotation | None


@dataclass(frozen=True)
class SExpr:
    """An expression statement (``Pipeline([...])`` on its own)."""

    value: Expr
    pos: Pos


@dataclass(frozen=True)
class SDelete:
    """``del name``."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class SNote:
    """Something the extractor skipped; becomes GLC011 when it matters."""

    what: str
    skipped: str
    pos: Pos


@dataclass(frozen=True)
class SInnerCall:
    """A call of a name such as ``Pipeline`` inside a function body (bodies are not followed)."""

    func: Expr
    function: str
    pos: Pos


@dataclass(frozen=True)
class SReturn:
    """A ``return`` in a module-level function whose value's kind its syntax shows
    (``"list"``, ``"dict"``, ``"int"``, ``"None"``...; GLC017)."""

    function: str
    found: str
    pos: Pos


Statement = (
    SImport | SFrom | SAssign | SBind | SDef | SExpr | SDelete | SNote | SInnerCall | SReturn
)


@dataclass(frozen=True)
class FileFacts:
    """Everything the resolver needs from one file."""

    statements: tuple[Statement, ...] = ()
    #: ``from __future__ import annotations`` is in effect.
    future_annotations: bool = False
    #: A literal ``__all__``, if any.
    all_names: tuple[str, ...] | None = None
    #: line -> suppressed codes (``None``: every code) from ``# glacier: ignore[...]``.
    suppressions: dict[int, frozenset[str] | None] = field(default_factory=dict)
    #: ``(message, pos)`` when the file cannot be parsed.
    syntax_error: tuple[str, Pos] | None = None
    #: The file was recognised cheaply as unable to involve Glacier and was not parsed.
    skipped: bool = False
    #: Modules this file imports, found by a cheap scan (``(level, dotted name)``).
    imports: tuple[tuple[int, str], ...] = ()
    #: The file mentions ``glacier`` somewhere.
    mentions_glacier: bool = False
    #: For a file that does not parse: every identifier in its text, i.e. what it may use
    #: (``None``: not known, so it may use anything).
    identifiers: frozenset[str] | None = None

"""Read one file with the standard library's ``ast`` and record its facts; nothing is
imported or executed.

Only module-level facts are recorded (imports, assignments, ``def`` headers, expression
statements and the blocks that run on import), with positions, so ``ast`` gives all that
is needed: one parse of the file, in C, shared by every top-level statement.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from glacier.analysis.facts import (
    NO_POS,
    Annotation,
    EAttr,
    ECall,
    EConst,
    EName,
    EOther,
    ESeq,
    Expr,
    FileFacts,
    Param,
    Pos,
    SAssign,
    SBind,
    SDef,
    SDelete,
    SExpr,
    SFrom,
    SImport,
    SInnerCall,
    SReturn,
    Statement,
)

#: Expressions nested deeper than this are kept as text (they never name a dataset).
MAX_DEPTH = 40
_SUPPRESSION = re.compile(r"#\s*glacier:\s*ignore(?:\[([^\]]*)\])?", re.IGNORECASE)
_IMPORT = re.compile(
    rb"^[ \t]*(?:from[ \t]+(\.*)[ \t]*([\w.]*)[ \t]+import\b|import[ \t]+([\w. \t,]+))",
    re.MULTILINE,
)
_TRY: tuple[type[ast.Try], ...] = (ast.Try, getattr(ast, "TryStar", ast.Try))
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class DecodeError(ValueError):
    """The file's bytes do not decode with its declared (or the default) encoding."""


def decode(data: bytes) -> str:
    """Decode source bytes as Python does: BOM, coding cookie, else UTF-8.

    Raises:
        DecodeError: with a message naming the encoding.
    """
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        raise DecodeError(str(error)) from None
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        raise DecodeError(f"cannot decode the file as {encoding}: {error}") from None


_IDENTIFIER = re.compile(r"[^\W\d]\w*")


def scan_imports(data: bytes) -> tuple[tuple[int, str], ...]:
    """Modules a file imports, found by a regular expression (no parse)."""
    found: list[tuple[int, str]] = []
    for match in _IMPORT.finditer(data):
        dots, module, plain = match.groups()
        if plain is not None:
            for part in plain.decode("ascii", "replace").split(","):
                name = part.strip().split()[0] if part.strip() else ""
                if name:
                    found.append((0, name))
        else:
            found.append((len(dots or b""), (module or b"").decode("ascii", "replace")))
    return tuple(dict.fromkeys(found))


def suppressions(text: str) -> dict[int, frozenset[str] | None]:
    """``# glacier: ignore[...]`` comments by line."""
    result: dict[int, frozenset[str] | None] = {}
    if "glacier" not in text:
        return result
    for number, line in enumerate(_LINE_BREAK.split(text), start=1):
        match = _SUPPRESSION.search(line)
        if match is None:
            continue
        if match.group(1) is None:
            result[number] = None
        else:
            codes = frozenset(c.strip().upper() for c in match.group(1).split(",") if c.strip())
            result[number] = codes
    return result


def light_facts(data: bytes) -> FileFacts:
    """Facts of a file that is not parsed: its imports and whether it mentions Glacier."""
    return FileFacts(skipped=True, imports=scan_imports(data), mentions_glacier=b"glacier" in data)


def extract(text: str, data: bytes | None = None, memo: ChunkMemo | None = None) -> FileFacts:
    """Parse ``text`` and record its module-level facts (``memo``: reuse unchanged parts)."""
    raw = data if data is not None else text.encode("utf-8", "surrogateescape")
    base = FileFacts(
        suppressions=suppressions(text),
        imports=scan_imports(raw),
        mentions_glacier=b"glacier" in raw,
    )
    try:
        tree = ast.parse(text, type_comments=False)
    except SyntaxError as error:
        line = error.lineno or 1
        column = max(error.offset or 1, 1)
        return _unparsed(base, text, (error.msg, (line, column, line, column + 1)))
    except (RecursionError, MemoryError):
        return _unparsed(base, text, ("expressions are nested too deeply", NO_POS))
    except ValueError as error:  # e.g. null bytes
        return _unparsed(base, text, (str(error), NO_POS))
    chunks = _extract_chunks(text, tree, memo)
    if "syntax_error" in chunks:
        return _unparsed(base, text, chunks["syntax_error"])
    return _with(base, **chunks)


def _unparsed(base: FileFacts, text: str, error: tuple[str, Pos]) -> FileFacts:
    """A file that does not parse: its error, and the names it may use elsewhere."""
    return _with(base, syntax_error=error, identifiers=identifiers(text))


def identifiers(text: str) -> frozenset[str]:
    """Every identifier-like word of ``text`` (comments and strings included: a superset)."""
    return frozenset(_IDENTIFIER.findall(text))


@dataclass
class _Chunk:
    statements: tuple[Statement, ...]
    future_annotations: bool
    all_names: tuple[str, ...] | None


@dataclass
class ChunkMemo:
    """Facts of top-level statements by text, so an edit re-walks only what changed.

    A statement (with its decorators; a definition by its header alone) whose text is
    unchanged and stays on the same lines keeps its facts.
    """

    chunks: dict[tuple[str, int, bool], _Chunk] = field(default_factory=dict)


def _groups(tree: ast.Module) -> list[tuple[int, int, list[ast.stmt]]]:
    """Top-level statements grouped into disjoint line ranges (``a = 1; b = 2`` is one)."""
    groups: list[tuple[int, int, list[ast.stmt]]] = []
    for statement in tree.body:
        decorators = getattr(statement, "decorator_list", ())
        start = min([statement.lineno, *(d.lineno for d in decorators)])
        end = statement.end_lineno or statement.lineno
        if groups and start <= groups[-1][1]:
            first, last, members = groups[-1]
            groups[-1] = (first, max(last, end), [*members, statement])
        else:
            groups.append((start, end, [statement]))
    return groups


def _header_only(lines: list[str], start: int, twins: list[ast.stmt]) -> str | None:
    """A definition's decorators and signature with a stub body, when it spans lines.

    Only module-level facts are recorded, never what a function body does, so an edit
    inside a body leaves the statement's memo key unchanged.
    """
    if len(twins) != 1 or not isinstance(
        twins[0], (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    ):
        return None
    body = twins[0].body[0].lineno
    header_end = twins[0].lineno
    for child in ast.iter_child_nodes(twins[0]):
        if child in twins[0].body:
            continue
        for node in ast.walk(child):
            header_end = max(header_end, getattr(node, "end_lineno", None) or 0)
    if body <= header_end or body <= start:
        return None
    first = lines[body - 1]
    indent = first[: len(first) - len(first.lstrip())] or "    "
    return "\n".join(lines[start - 1 : body - 1]) + f"\n{indent}...\n"


def _inner_pipelines(walker: _Walker, twins: list[ast.stmt]) -> Iterator[SInnerCall]:
    """``Pipeline(...)`` calls inside module-level function bodies (found by name)."""
    for twin in twins:
        if not isinstance(twin, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for statement in twin.body:
            for node in ast.walk(statement):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                if isinstance(func, ast.Name) and func.id == "Pipeline":
                    callee: Expr = EName(func.id, walker.pos(func))
                elif isinstance(func, ast.Attribute) and func.attr == "Pipeline":
                    base = func.value
                    if not isinstance(base, ast.Name):
                        continue
                    callee = EAttr(EName(base.id, walker.pos(base)), func.attr, walker.pos(func))
                else:
                    continue
                yield SInnerCall(callee, twin.name, walker.pos(node))


def _plain_returns(walker: _Walker, twins: list[ast.stmt]) -> Iterator[SReturn]:
    """The ``return`` statements of module-level functions whose value's kind the syntax
    shows (a display, a comprehension, a literal, nothing); nested functions are skipped.
    Read from the full tree on every extraction (the memo holds headers only)."""
    for twin in twins:
        if not isinstance(twin, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        found: list[SReturn] = []
        pending: list[ast.AST] = list(twin.body)
        while pending:
            node = pending.pop()
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                continue
            if isinstance(node, (ast.Yield, ast.YieldFrom)):
                break  # a generator returns a generator, whatever its `return` says
            if isinstance(node, ast.Return):
                kind = returned_kind(node.value)
                if kind is not None:
                    found.append(SReturn(twin.name, kind, walker.pos(node)))
            pending.extend(ast.iter_child_nodes(node))
        else:
            yield from found


def returned_kind(value: ast.expr | None) -> str | None:
    """The kind of a returned expression when its syntax shows it, else ``None``."""
    if value is None:
        return "None"
    if isinstance(value, (ast.List, ast.ListComp)):
        return "list"
    if isinstance(value, (ast.Dict, ast.DictComp)):
        return "dict"
    if isinstance(value, (ast.Set, ast.SetComp)):
        return "set"
    if isinstance(value, ast.Tuple):
        return "tuple"
    if isinstance(value, ast.JoinedStr):
        return "str"
    if isinstance(value, ast.Constant):
        constant = value.value
        if constant is None:
            return "None"
        if isinstance(constant, bool):
            return "bool"
        for kind in (str, bytes, int, float):
            if isinstance(constant, kind):
                return kind.__name__
    return None


def _return_position(statement: SReturn) -> Pos:
    return statement.pos


def _extract_chunks(text: str, tree: ast.Module, memo: ChunkMemo | None) -> dict[str, Any]:
    walker = _Walker(text)
    statements: list[Statement] = []
    chunks: dict[tuple[str, int, bool], _Chunk] = {}
    for start, end, twins in _groups(tree):
        chunk = None
        key = None
        if memo is not None:
            source = _header_only(walker.lines, start, twins) or (
                "\n".join(walker.lines[start - 1 : end]) + "\n"
            )
            key = (source, start, walker.future_annotations)
            chunk = memo.chunks.get(key)
        if chunk is None:
            before = walker.all_names
            walker.all_names = None
            try:
                found = tuple(walker.block(twins))
            except RecursionError:
                return {"syntax_error": ("statements are nested too deeply", (start, 1, start, 2))}
            chunk = _Chunk(found, walker.future_annotations, walker.all_names)
            walker.all_names = chunk.all_names if chunk.all_names is not None else before
        else:
            walker.future_annotations = chunk.future_annotations
            if chunk.all_names is not None:
                walker.all_names = chunk.all_names
        if key is not None:
            chunks[key] = chunk
        statements.extend(chunk.statements)
        statements.extend(_inner_pipelines(walker, twins))
        returns = list(_plain_returns(walker, twins))
        returns.sort(key=_return_position)
        statements.extend(returns)
    if memo is not None:
        memo.chunks = chunks
    return {
        "statements": tuple(statements),
        "future_annotations": walker.future_annotations,
        "all_names": walker.all_names,
    }


def _with(base: FileFacts, **changes: Any) -> FileFacts:
    from dataclasses import replace

    return replace(base, **changes)


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _is_main_guard(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


#: Literal values an expression keeps (``True``, ``None``, strings and numbers); bytes,
#: complex numbers and ``...`` stay opaque.
_CONSTANTS = (bool, type(None), str, int, float)


class _Walker:
    """Walks a module's ``ast`` top-level statements, emitting facts."""

    def __init__(self, text: str) -> None:
        self.lines = _LINE_BREAK.split(text)
        self.future_annotations = False
        self.all_names: tuple[str, ...] | None = None

    # -- positions -------------------------------------------------------------------

    def _column(self, line: int, byte_offset: int) -> int:
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        if text.isascii():
            return byte_offset + 1
        return len(text.encode("utf-8")[:byte_offset].decode("utf-8", "replace")) + 1

    def pos(self, node: ast.AST) -> Pos:
        line = getattr(node, "lineno", None)
        if line is None:
            return NO_POS
        end_line = getattr(node, "end_lineno", None) or line
        column = self._column(line, getattr(node, "col_offset", 0))
        end_offset = getattr(node, "end_col_offset", None)
        end_column = self._column(end_line, end_offset) if end_offset is not None else column
        return (line, column, end_line, end_column)

    def text(self, pos: Pos, limit: int = 60) -> str:
        line, column, end_line, end_column = pos
        if line == end_line:
            snippet = self.lines[line - 1][column - 1 : end_column - 1]
        else:
            snippet = self.lines[line - 1][column - 1 :] + " ..."
        snippet = " ".join(snippet.split())
        return snippet if len(snippet) <= limit else snippet[: limit - 3] + "..."

    # -- statements ----------------------------------------------------------------

    def block(self, body: Sequence[ast.stmt]) -> Iterator[Statement]:
        for statement in body:
            yield from self.statement(statement)

    def statement(self, node: ast.stmt) -> Iterator[Statement]:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield SImport(alias.name, alias.asname, self.pos(alias))
        elif isinstance(node, ast.ImportFrom):
            yield from self.import_from(node)
        elif isinstance(node, ast.Assign):
            yield from self.assign(node)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None and isinstance(node.target, ast.Name):
                value = self.expr(node.value)
                target = ((node.target.id, self.pos(node.target)),)
                yield SAssign(target, value, self.pos(node))
        elif isinstance(node, ast.AugAssign):
            if isinstance(node.target, ast.Name):
                yield SBind(node.target.id, self.pos(node.target), "a computed value", True)
        elif isinstance(node, ast.Expr):
            yield SExpr(self.expr(node.value), self.pos(node))
        elif isinstance(node, ast.Delete):
            yield SDelete(tuple(t.id for t in node.targets if isinstance(t, ast.Name)))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield self.function(node)
        elif isinstance(node, ast.ClassDef):
            yield SBind(node.name, self.pos(node), f"class `{node.name}`")
        elif isinstance(node, ast.If):
            yield from self.if_(node)
        elif isinstance(node, _TRY):
            # Handlers run only on an error: what they bind is not the module's state.
            yield from self.block(node.body)
            yield from self.block(node.orelse)
            yield from self.block(node.finalbody)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                yield from self.bind_targets(item.optional_vars)
            yield from self.block(node.body)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            if isinstance(node, (ast.For, ast.AsyncFor)):
                yield from self.bind_targets(node.target)
            yield from self.block(node.body)
            yield from self.block(node.orelse)

    def bind_targets(self, target: ast.AST | None) -> Iterator[Statement]:
        if target is None:
            return
        for sub in ast.walk(target):
            if isinstance(sub, ast.Name):
                yield SBind(sub.id, self.pos(sub), "a value computed at run time", True)

    def import_from(self, node: ast.ImportFrom) -> Iterator[Statement]:
        module = node.module or ""
        if module == "__future__" and any(a.name == "annotations" for a in node.names):
            self.future_annotations = True
        names = tuple((alias.name, alias.asname, self.pos(alias)) for alias in node.names)
        yield SFrom(module, node.level or 0, names, self.pos(node))

    def assign(self, node: ast.Assign) -> Iterator[Statement]:
        value = self.expr(node.value)
        targets: list[tuple[str, Pos]] = []
        for target in node.targets:
            if isinstance(target, ast.Name):
                targets.append((target.id, self.pos(target)))
            else:
                yield from self.bind_targets(target)
        if targets:
            yield SAssign(tuple(targets), value, self.pos(node))
        if any(name == "__all__" for name, _ in targets) and isinstance(value, ESeq):
            names = [e.value for e in value.elements if isinstance(e, EConst)]
            if all(isinstance(n, str) for n in names):
                self.all_names = tuple(str(n) for n in names)

    def if_(self, node: ast.If) -> Iterator[Statement]:
        if not _is_main_guard(node.test):  # the `__main__` block does not run on import
            yield from self.block(node.body)
        if _is_type_checking(node.test):
            return  # the `else` of a TYPE_CHECKING block is what runs; the body is what types see
        yield from self.block(node.orelse)  # `elif` is an `if` alone in the `else`

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> SDef:
        line = node.lineno
        start = self._column(line, node.col_offset)
        text = self.lines[line - 1] if line <= len(self.lines) else ""
        found = text.find(node.name, start - 1)
        name_column = found + 1 if found >= 0 else start
        name_pos = (line, name_column, line, name_column + len(node.name))
        decorators = tuple(self.expr(d) for d in node.decorator_list)
        args = node.args
        positional = (*args.posonlyargs, *args.args)
        # Defaults belong to the last positional parameters; keyword-only ones pair up.
        first_default = len(positional) - len(args.defaults)
        defaults = [i >= first_default for i in range(len(positional))]
        defaults += [d is not None for d in args.kw_defaults]
        params = [
            Param(arg.arg, self.pos(arg), self.annotation(arg.annotation), has_default)
            for arg, has_default in zip((*positional, *args.kwonlyargs), defaults, strict=True)
        ]
        for star in (args.vararg, args.kwarg):
            if star is not None:
                params.append(Param(star.arg, self.pos(star), None, True, True))
        returns = self.annotation(node.returns)
        return SDef(
            node.name,
            (line, start, line, name_pos[3]),
            name_pos,
            decorators,
            tuple(params),
            returns,
        )

    def annotation(self, node: ast.expr | None) -> Annotation | None:
        if node is None:
            return None
        pos = self.pos(node)
        expr = self.expr(node)
        if isinstance(expr, EConst) and isinstance(expr.value, str):
            # `-> "raw"` means `raw`, deferred or not (typing.get_type_hints agrees).
            return Annotation(self.string_annotation(expr.value, pos), True, pos)
        return Annotation(expr, self.future_annotations, pos)

    def string_annotation(self, source: str, pos: Pos) -> Expr:
        """Parse a string annotation; every part of it is located at the string."""
        try:
            node = ast.parse(source.strip(), mode="eval").body
        except (SyntaxError, RecursionError, ValueError):
            return EOther(repr(source), pos)
        return self.expr(node, fixed=pos)

    # -- expressions -----------------------------------------------------------------

    def expr(self, node: ast.expr, depth: int = 0, fixed: Pos | None = None) -> Expr:
        pos = fixed or self.pos(node)
        if depth > MAX_DEPTH:
            return EOther(self.text(pos), pos)
        if isinstance(node, ast.Name):
            return EName(node.id, pos)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, _CONSTANTS):
                return EConst(node.value, pos)
        elif isinstance(node, ast.Attribute):
            return EAttr(self.expr(node.value, depth + 1, fixed), node.attr, pos)
        elif isinstance(node, ast.Call):
            return self.call(node, depth, fixed)
        elif isinstance(node, ast.UnaryOp):
            operand = node.operand
            if (
                isinstance(node.op, ast.USub)
                and isinstance(operand, ast.Constant)
                and isinstance(operand.value, (int, float))
                and not isinstance(operand.value, bool)
            ):
                return EConst(-operand.value, pos)
        elif isinstance(node, (ast.List, ast.Tuple)):
            elements = tuple(
                EOther(self.text(fixed or self.pos(e)), fixed or self.pos(e))
                if isinstance(e, ast.Starred)
                else self.expr(e, depth + 1, fixed)
                for e in node.elts
            )
            return ESeq(elements, pos)
        return EOther(self.text(pos), pos)

    def call(self, node: ast.Call, depth: int, fixed: Pos | None) -> Expr:
        args = tuple(
            self.expr(a, depth + 1, fixed) for a in node.args if not isinstance(a, ast.Starred)
        )
        kwargs = tuple(
            (k.arg, self.expr(k.value, depth + 1, fixed)) for k in node.keywords if k.arg
        )
        unpacked = any(isinstance(a, ast.Starred) for a in node.args) or any(
            k.arg is None for k in node.keywords
        )
        func = self.expr(node.func, depth + 1, fixed)
        return ECall(func, args, kwargs, fixed or self.pos(node), unpacked)

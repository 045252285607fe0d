"""Read one file with libcst and record its facts; nothing is imported or executed.

The concrete syntax tree comes from libcst. Positions come from the standard library's
``ast`` parse of the same text, walked in step with the libcst tree: libcst's
``PositionProvider`` re-generates the whole module and costs more than the parse itself,
while ``ast`` positions cost a tenth of it. Both parsers must accept the file; the first
one that rejects it gives the GLC000 position.
"""

from __future__ import annotations

import ast
import importlib
import io
import re
import tokenize
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import libcst as cst
else:

    class _Lazy(ModuleType):
        """libcst, imported on first use: a run whose facts are all cached never needs it."""

        def __getattr__(self, name: str) -> Any:
            module = importlib.import_module("libcst")
            globals()["cst"] = module
            return getattr(module, name)

    cst = _Lazy("libcst")

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
    SNote,
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
    chunks = _extract_chunks(text, tree, memo if memo is not None else ChunkMemo())
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
    """Parsed top-level statements by text, so an edit re-parses only what changed.

    Each top-level statement (with its decorators) is parsed by libcst on its own. A
    statement whose text is unchanged reuses its syntax tree; if it also stays on the
    same lines its facts are reused as they are.
    """

    modules: dict[str, cst.Module] = field(default_factory=dict)
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

    Only module-level facts are recorded, never what a function body does, so its body
    need not be parsed: this halves the work on modules full of tasks, and an edit inside
    a body leaves the statement's text, and so its memo entry, unchanged.
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
    from glacier.checks.return_contradicts_schema import returned_kind

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


def _return_position(statement: SReturn) -> Pos:
    return statement.pos


def _extract_chunks(text: str, tree: ast.Module, memo: ChunkMemo) -> dict[str, Any]:
    walker = _Walker(text)
    statements: list[Statement] = []
    modules: dict[str, cst.Module] = {}
    chunks: dict[tuple[str, int, bool], _Chunk] = {}
    for start, end, twins in _groups(tree):
        source = _header_only(walker.lines, start, twins) or (
            "\n".join(walker.lines[start - 1 : end]) + "\n"
        )
        key = (source, start, walker.future_annotations)
        chunk = memo.chunks.get(key)
        if chunk is None:
            module = memo.modules.get(source) or modules.get(source)
            if module is None:
                try:
                    module = cst.parse_module(source)
                except cst.ParserSyntaxError as error:
                    line, column = start + error.raw_line - 1, error.raw_column + 1
                    detail = (
                        str(error.message).splitlines()[0] if error.message else "invalid syntax"
                    )
                    return {"syntax_error": (detail, (line, column, line, column + 1))}
                except RecursionError:
                    return {
                        "syntax_error": ("expressions are nested too deeply", (start, 1, start, 2))
                    }
            modules[source] = module
            before = walker.all_names
            walker.all_names = None
            try:
                found = tuple(walker.block(module.body, twins))
            except RecursionError:
                return {"syntax_error": ("statements are nested too deeply", (start, 1, start, 2))}
            chunk = _Chunk(found, walker.future_annotations, walker.all_names)
            walker.all_names = chunk.all_names if chunk.all_names is not None else before
        else:
            modules[source] = memo.modules.get(source) or cst.Module(body=())
            walker.future_annotations = chunk.future_annotations
            if chunk.all_names is not None:
                walker.all_names = chunk.all_names
        chunks[key] = chunk
        statements.extend(chunk.statements)
        statements.extend(_inner_pipelines(walker, twins))
        returns = list(_plain_returns(walker, twins))
        returns.sort(key=_return_position)
        statements.extend(returns)
    memo.modules = modules
    memo.chunks = chunks
    return {
        "statements": tuple(statements),
        "future_annotations": walker.future_annotations,
        "all_names": walker.all_names,
    }


def _with(base: FileFacts, **changes: Any) -> FileFacts:
    from dataclasses import replace

    return replace(base, **changes)


def _flatten(body: Sequence[cst.BaseStatement | cst.BaseSmallStatement]) -> Iterator[cst.CSTNode]:
    for item in body:
        if isinstance(item, cst.SimpleStatementLine):
            yield from item.body
        else:
            yield item


def _block_body(block: cst.BaseSuite) -> Sequence[cst.BaseStatement | cst.BaseSmallStatement]:
    if isinstance(block, cst.IndentedBlock):
        return block.body
    if isinstance(block, cst.SimpleStatementSuite):
        return block.body
    return ()


def _is_type_checking(test: cst.BaseExpression) -> bool:
    if isinstance(test, cst.Name):
        return test.value == "TYPE_CHECKING"
    return isinstance(test, cst.Attribute) and test.attr.value == "TYPE_CHECKING"


def _is_main_guard(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


class _Walker:
    """Walks a libcst module and its ``ast`` twin in step, emitting statements."""

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

    # -- statements ------------------------------------------------------------------

    def block(
        self, body: Sequence[cst.BaseStatement | cst.BaseSmallStatement], twins: Sequence[ast.stmt]
    ) -> Iterator[Statement]:
        nodes = list(_flatten(body))
        if len(nodes) != len(twins):  # pragma: no cover - the two parsers disagree
            yield SNote("a block", "its statements (the parsers disagree)", NO_POS)
            return
        for node, twin in zip(nodes, twins, strict=False):
            yield from self.statement(node, twin)

    def statement(self, node: cst.CSTNode, twin: ast.stmt) -> Iterator[Statement]:
        if isinstance(node, cst.Import) and isinstance(twin, ast.Import):
            for alias, twin_alias in zip(node.names, twin.names, strict=False):
                asname = alias.asname.name if alias.asname is not None else None
                name = asname.value if isinstance(asname, cst.Name) else None
                yield SImport(_dotted(alias.name), name, self.pos(twin_alias))
        elif isinstance(node, cst.ImportFrom) and isinstance(twin, ast.ImportFrom):
            yield from self.import_from(node, twin)
        elif isinstance(node, cst.Assign) and isinstance(twin, ast.Assign):
            yield from self.assign(node, twin)
        elif isinstance(node, cst.AnnAssign) and isinstance(twin, ast.AnnAssign):
            if node.value is not None and twin.value is not None:
                if isinstance(node.target, cst.Name):
                    value = self.expr(node.value, twin.value)
                    target = ((node.target.value, self.pos(twin.target)),)
                    yield SAssign(target, value, self.pos(twin))
        elif isinstance(node, cst.AugAssign) and isinstance(twin, ast.AugAssign):
            if isinstance(node.target, cst.Name):
                yield SBind(node.target.value, self.pos(twin.target), "a computed value", True)
        elif isinstance(node, cst.Expr) and isinstance(twin, ast.Expr):
            yield SExpr(self.expr(node.value, twin.value), self.pos(twin))
        elif isinstance(node, cst.Del) and isinstance(twin, ast.Delete):
            names = tuple(t.id for t in twin.targets if isinstance(t, ast.Name))
            yield SDelete(names)
        elif isinstance(node, cst.FunctionDef) and isinstance(
            twin, (ast.FunctionDef, ast.AsyncFunctionDef)
        ):
            yield self.function(node, twin)
        elif isinstance(node, cst.ClassDef) and isinstance(twin, ast.ClassDef):
            yield SBind(node.name.value, self.pos(twin), f"class `{node.name.value}`")
        elif isinstance(node, cst.If) and isinstance(twin, ast.If):
            yield from self.if_(node, twin)
        elif isinstance(node, (cst.Try, cst.TryStar)) and isinstance(twin, _TRY):
            yield from self.block(_block_body(node.body), twin.body)
            if node.orelse is not None:
                yield from self.block(_block_body(node.orelse.body), twin.orelse)
            if node.finalbody is not None:
                yield from self.block(_block_body(node.finalbody.body), twin.finalbody)
        elif isinstance(node, cst.With) and isinstance(twin, (ast.With, ast.AsyncWith)):
            for item in twin.items:
                yield from self.bind_targets(item.optional_vars)
            yield from self.block(_block_body(node.body), twin.body)
        elif isinstance(node, (cst.For, cst.While)) and isinstance(
            twin, (ast.For, ast.AsyncFor, ast.While)
        ):
            if isinstance(twin, (ast.For, ast.AsyncFor)):
                yield from self.bind_targets(twin.target)
            yield from self.block(_block_body(node.body), twin.body)
            if node.orelse is not None:
                yield from self.block(_block_body(node.orelse.body), twin.orelse)

    def bind_targets(self, target: ast.AST | None) -> Iterator[Statement]:
        if target is None:
            return
        for sub in ast.walk(target):
            if isinstance(sub, ast.Name):
                yield SBind(sub.id, self.pos(sub), "a value computed at run time", True)

    def import_from(self, node: cst.ImportFrom, twin: ast.ImportFrom) -> Iterator[Statement]:
        module = twin.module or ""
        if module == "__future__" and any(a.name == "annotations" for a in twin.names):
            self.future_annotations = True
        names = tuple((alias.name, alias.asname, self.pos(alias)) for alias in twin.names)
        del node  # the twin carries the same names, with positions
        yield SFrom(module, twin.level or 0, names, self.pos(twin))

    def assign(self, node: cst.Assign, twin: ast.Assign) -> Iterator[Statement]:
        value = self.expr(node.value, twin.value)
        targets: list[tuple[str, Pos]] = []
        for target in twin.targets:
            if isinstance(target, ast.Name):
                targets.append((target.id, self.pos(target)))
            else:
                yield from self.bind_targets(target)
        if targets:
            yield SAssign(tuple(targets), value, self.pos(twin))
        if any(name == "__all__" for name, _ in targets) and isinstance(value, ESeq):
            names = [e.value for e in value.elements if isinstance(e, EConst)]
            if all(isinstance(n, str) for n in names):
                self.all_names = tuple(str(n) for n in names)

    def if_(self, node: cst.If, twin: ast.If) -> Iterator[Statement]:
        if not _is_main_guard(twin.test):  # the `__main__` block does not run on import
            yield from self.block(_block_body(node.body), twin.body)
        if _is_type_checking(node.test):
            return  # the `else` of a TYPE_CHECKING block is what runs; the body is what types see
        orelse = node.orelse
        if isinstance(orelse, cst.If) and twin.orelse and isinstance(twin.orelse[0], ast.If):
            yield from self.if_(orelse, twin.orelse[0])
        elif isinstance(orelse, cst.Else):
            yield from self.block(_block_body(orelse.body), twin.orelse)

    def function(self, node: cst.FunctionDef, twin: ast.FunctionDef | ast.AsyncFunctionDef) -> SDef:
        line = twin.lineno
        start = self._column(line, twin.col_offset)
        text = self.lines[line - 1] if line <= len(self.lines) else ""
        found = text.find(node.name.value, start - 1)
        name_column = found + 1 if found >= 0 else start
        name_pos = (line, name_column, line, name_column + len(node.name.value))
        decorators = tuple(
            self.expr(d.decorator, t)
            for d, t in zip(node.decorators, twin.decorator_list, strict=False)
        )
        args = twin.args
        twins: dict[str, ast.arg] = {
            a.arg: a for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)
        }
        params: list[Param] = []
        p = node.params
        for param in (*p.posonly_params, *p.params, *p.kwonly_params):
            twin_arg = twins.get(param.name.value)
            if twin_arg is None:  # pragma: no cover - the parsers disagree
                continue
            params.append(
                Param(
                    param.name.value,
                    self.pos(twin_arg),
                    self.annotation(param.annotation, twin_arg.annotation),
                    param.default is not None,
                )
            )
        for star, twin_star in ((p.star_arg, args.vararg), (p.star_kwarg, args.kwarg)):
            if isinstance(star, cst.Param) and twin_star is not None:
                params.append(Param(star.name.value, self.pos(twin_star), None, True, True))
        returns = self.annotation(node.returns, twin.returns)
        return SDef(
            node.name.value,
            (line, start, line, name_pos[3]),
            name_pos,
            decorators,
            tuple(params),
            returns,
        )

    def annotation(self, node: cst.Annotation | None, twin: ast.expr | None) -> Annotation | None:
        if node is None or twin is None:
            return None
        pos = self.pos(twin)
        expr = self.expr(node.annotation, twin)
        if isinstance(expr, EConst) and isinstance(expr.value, str):
            # `-> "raw"` means `raw`, deferred or not (typing.get_type_hints agrees).
            return Annotation(self.string_annotation(expr.value, pos), True, pos)
        return Annotation(expr, self.future_annotations, pos)

    def string_annotation(self, source: str, pos: Pos) -> Expr:
        """Parse a string annotation; every part of it is located at the string."""
        stripped = source.strip()
        try:
            twin = ast.parse(stripped, mode="eval").body
            node = cst.parse_expression(stripped)
        except (SyntaxError, cst.ParserSyntaxError, RecursionError, ValueError):
            return EOther(repr(source), pos)
        return self.expr(node, twin, fixed=pos)

    # -- expressions -----------------------------------------------------------------

    def expr(
        self, node: cst.BaseExpression, twin: ast.expr, depth: int = 0, fixed: Pos | None = None
    ) -> Expr:
        pos = fixed or self.pos(twin)
        if depth > MAX_DEPTH:
            return EOther(self.text(pos), pos)
        if isinstance(node, cst.Name):
            if isinstance(twin, ast.Constant) and isinstance(twin.value, (bool, type(None))):
                return EConst(twin.value, pos)
            if isinstance(twin, ast.Name):
                return EName(node.value, pos)
        elif isinstance(node, cst.Attribute) and isinstance(twin, ast.Attribute):
            return EAttr(self.expr(node.value, twin.value, depth + 1, fixed), node.attr.value, pos)
        elif isinstance(node, cst.Call) and isinstance(twin, ast.Call):
            return self.call(node, twin, depth, fixed)
        elif isinstance(
            node, (cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float)
        ) and isinstance(twin, ast.Constant):
            value = twin.value
            if isinstance(value, (str, int, float)):
                return EConst(value, pos)
        elif isinstance(node, cst.UnaryOperation) and isinstance(twin, ast.UnaryOp):
            operand = twin.operand
            if (
                isinstance(twin.op, ast.USub)
                and isinstance(operand, ast.Constant)
                and isinstance(operand.value, (int, float))
                and not isinstance(operand.value, bool)
            ):
                return EConst(-operand.value, pos)
        elif isinstance(node, (cst.List, cst.Tuple)) and isinstance(twin, (ast.List, ast.Tuple)):
            elements = tuple(
                self.expr(e.value, t, depth + 1, fixed)
                if isinstance(e, cst.Element)
                else EOther(self.text(fixed or self.pos(t)), fixed or self.pos(t))
                for e, t in zip(node.elements, twin.elts, strict=False)
            )
            return ESeq(elements, pos)
        return EOther(self.text(pos), pos)

    def call(self, node: cst.Call, twin: ast.Call, depth: int, fixed: Pos | None) -> Expr:
        positional = iter(twin.args)
        keywords = iter(twin.keywords)
        args: list[Expr] = []
        kwargs: list[tuple[str, Expr]] = []
        unpacked = False
        for arg in node.args:
            if arg.star == "*":
                next(positional, None)
                unpacked = True
            elif arg.star == "**":
                next(keywords, None)
                unpacked = True
            elif arg.keyword is not None:
                keyword = next(keywords, None)
                if keyword is not None:
                    value = self.expr(arg.value, keyword.value, depth + 1, fixed)
                    kwargs.append((arg.keyword.value, value))
            else:
                twin_arg = next(positional, None)
                if twin_arg is not None:
                    args.append(self.expr(arg.value, twin_arg, depth + 1, fixed))
        func = self.expr(node.func, twin.func, depth + 1, fixed)
        return ECall(func, tuple(args), tuple(kwargs), fixed or self.pos(twin), unpacked)

"""A task's code fingerprint: its source and, transitively, the project-local code it uses.

Found statically: each function's source is parsed (``ast``) and normalized, so comments,
docstrings and formatting do not count; the names its body uses are resolved in its
module to project-local functions, classes, task functions and constants, whose own
fingerprints are folded in. Editing a helper such as ``clean()`` therefore changes the
fingerprint of every task that calls it, and of no other.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import inspect
import os
import sys
import sysconfig
import types
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

_CONSTANT_TYPES = (int, float, complex, str, bytes, bool, type(None))


def _library_roots() -> tuple[str, ...]:
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        with_path = sysconfig.get_paths().get(key)
        if with_path:
            roots.add(with_path)
    return tuple(os.path.realpath(r) + os.sep for r in roots)


_LIBRARIES = _library_roots()


@lru_cache(maxsize=4096)
def _is_project_file(filename: str, root: str) -> bool:
    real = os.path.realpath(filename)
    if "site-packages" in real or "dist-packages" in real:
        return False
    if not real.startswith(root.rstrip(os.sep) + os.sep):
        return False
    # A virtualenv inside the project holds libraries, not project code.
    return not any(real.startswith(library) for library in _LIBRARIES)


_Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


class _FileIndex:
    """One parsed source file: its definitions by first line, normalized when first asked."""

    def __init__(self, source: str) -> None:
        tree = ast.parse(source)
        self._nodes: dict[int, _Definition] = {}
        self._normalized: dict[int, tuple[str, tuple[str, ...]]] = {}
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                self._nodes[first] = node
                self._nodes.setdefault(node.lineno, node)

    def get(self, line: int) -> tuple[str, tuple[str, ...]] | None:
        """The normalized hash and used names of the definition starting on ``line``."""
        found = self._normalized.get(line)
        if found is None:
            node = self._nodes.get(line)
            if node is None:
                return None
            found = self._normalized[line] = _normalize(node)
        return found


def _normalize(node: _Definition) -> tuple[str, tuple[str, ...]]:
    """The definition without decorators and docstrings, dumped; and the names it uses."""
    copy = _strip(node)
    dumped = ast.dump(copy, annotate_fields=False, include_attributes=False)
    return hashlib.sha256(dumped.encode()).hexdigest(), tuple(sorted(_used_names(copy)))


def _strip(node: ast.AST) -> ast.AST:
    stripper = _DocstringStripper()
    copied: ast.AST = stripper.visit(copy.deepcopy(node))
    if isinstance(copied, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        copied.decorator_list = []  # options and compute are part of the key separately
    return copied


class _DocstringStripper(ast.NodeTransformer):
    def _strip_body(self, node: Any) -> Any:
        self.generic_visit(node)
        body = node.body
        if (
            body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
        return node

    visit_FunctionDef = _strip_body
    visit_AsyncFunctionDef = _strip_body
    visit_ClassDef = _strip_body


def _used_names(node: ast.AST) -> Iterator[str]:
    """Global names read, with attribute chains (``helpers.clean``) spelled out."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute):
            chain = _chain(sub)
            if chain:
                yield chain
        elif isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
            yield sub.id


def _chain(node: ast.Attribute) -> str | None:
    parts = [node.attr]
    value: ast.expr = node.value
    while isinstance(value, ast.Attribute):
        parts.append(value.attr)
        value = value.value
    if isinstance(value, ast.Name):
        parts.append(value.id)
        return ".".join(reversed(parts))
    return None


_file_indexes: dict[tuple[str, float, int], _FileIndex | None] = {}


def _index_of(filename: str) -> _FileIndex | None:
    try:
        stat = os.stat(filename)
    except OSError:
        return None
    key = (filename, stat.st_mtime, stat.st_size)
    if key not in _file_indexes:
        try:
            with open(filename, encoding="utf-8") as handle:
                source = handle.read()
            _file_indexes[key] = _FileIndex(source)
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            _file_indexes[key] = None
    return _file_indexes[key]


class Fingerprinter:
    """Fingerprints of functions in one project (memoized for the run)."""

    def __init__(self, project_root: str) -> None:
        self.root = os.path.realpath(project_root)
        self._memo: dict[int, str] = {}
        self._keep: list[object] = []  # memo keys are ids: keep their objects alive

    def task(self, fn: Any) -> str:
        """The fingerprint of a task's function and everything project-local it uses."""
        return self._object(fn, set())

    def _object(self, obj: Any, visiting: set[int]) -> str:
        key = id(obj)
        known = self._memo.get(key)
        if known is not None:
            return known
        if key in visiting:
            return "recursive"
        visiting.add(key)
        try:
            own, names, namespace = self._own(obj)
            digest = hashlib.sha256(own.encode())
            for name in names:
                target = _resolve(name, namespace)
                if target is _MISSING:
                    continue
                part = self._dependency(target, visiting)
                if part is not None:
                    digest.update(f"\0{name}={part}".encode())
            result = digest.hexdigest()
        finally:
            visiting.discard(key)
        self._memo[key] = result
        self._keep.append(obj)
        return result

    def _own(self, obj: Any) -> tuple[str, tuple[str, ...], dict[str, Any]]:
        """The object's normalized code, the names it uses and where they resolve."""
        namespace: dict[str, Any] = {}
        if isinstance(obj, type):
            module = sys.modules.get(obj.__module__)
            namespace = dict(vars(module)) if module is not None else {}
            try:
                filename = inspect.getsourcefile(obj) or ""
                _, line = inspect.getsourcelines(obj)
            except (OSError, TypeError):
                return f"class {obj.__qualname__}", (), namespace
        else:
            code = obj.__code__
            namespace = obj.__globals__
            if obj.__closure__:
                namespace = {
                    **namespace,
                    **{
                        name: _cell(cell)
                        for name, cell in zip(code.co_freevars, obj.__closure__, strict=False)
                    },
                }
            filename, line = code.co_filename, code.co_firstlineno
        index = _index_of(filename)
        entry = index.get(line) if index is not None else None
        if entry is not None:
            return entry[0], entry[1], namespace
        if isinstance(obj, type):
            return f"class {obj.__qualname__}", (), namespace
        # No source (code made with exec): its bytecode, constants and names stand in.
        return _code_text(obj.__code__), tuple(_code_names(obj.__code__)), namespace

    def _dependency(self, target: Any, visiting: set[int]) -> str | None:
        from glacier.runtime.task import Task

        if isinstance(target, Task):
            target = target.fn
        if isinstance(target, _CONSTANT_TYPES):
            return repr(target)
        if isinstance(target, (tuple, frozenset)) and all(
            isinstance(item, _CONSTANT_TYPES) for item in target
        ):
            return repr(sorted(target, key=repr) if isinstance(target, frozenset) else target)
        if isinstance(target, (types.FunctionType, type)):
            filename = _filename_of(target)
            if filename and _is_project_file(filename, self.root):
                return self._object(target, visiting)
        return None


class _Missing:
    pass


_MISSING = _Missing()


def _cell(cell: Any) -> Any:
    try:
        return cell.cell_contents
    except ValueError:
        return _MISSING


def _resolve(name: str, namespace: dict[str, Any]) -> Any:
    """What ``a.b.c`` names: attributes are followed through modules only."""
    first, *rest = name.split(".")
    value = namespace.get(first, _MISSING)
    for part in rest:
        if not isinstance(value, types.ModuleType):
            break
        value = getattr(value, part, _MISSING)
    return _MISSING if isinstance(value, types.ModuleType) else value


def _filename_of(target: Any) -> str | None:
    if isinstance(target, types.FunctionType):
        return target.__code__.co_filename
    module = sys.modules.get(getattr(target, "__module__", ""))
    return getattr(module, "__file__", None)


def _code_text(code: types.CodeType) -> str:
    consts = [
        _code_text(const) if isinstance(const, types.CodeType) else repr(const)
        for const in code.co_consts
    ]
    return f"{code.co_code.hex()}|{'|'.join(consts)}|{','.join(code.co_names)}"


def _code_names(code: types.CodeType) -> Iterator[str]:
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_names(const)

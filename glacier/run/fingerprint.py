"""A task's code fingerprint: its source and, transitively, the project-local code it uses.

Found statically: each function's source is parsed (``ast``) and normalized, so comments,
docstrings and formatting do not count; the names its body uses are resolved in its
module to project-local functions, classes, task functions and constants, whose own
fingerprints are folded in. Editing a helper such as ``clean()`` therefore changes the
fingerprint of every task that calls it, and of no other.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import json
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
    """One source file's definitions by first line: their normalized hash and used names.

    Parsed only when a definition is asked for that the stored index (from an earlier run,
    for the same file contents) does not hold.
    """

    def __init__(self, filename: str, stored: dict[int, tuple[str, tuple[str, ...]]]) -> None:
        self.filename = filename
        self.normalized = stored
        self._nodes: dict[int, _Definition] | None = None
        self.changed = False

    def _parse(self) -> dict[int, _Definition]:
        if self._nodes is None:
            self._nodes = {}
            try:
                with open(self.filename, encoding="utf-8") as handle:
                    tree = ast.parse(handle.read())
            except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
                return self._nodes
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                    self._nodes[first] = node
                    self._nodes.setdefault(node.lineno, node)
        return self._nodes

    def get(self, line: int) -> tuple[str, tuple[str, ...]] | None:
        """The normalized hash and used names of the definition starting on ``line``."""
        found = self.normalized.get(line)
        if found is None:
            node = self._parse().get(line)
            if node is None:
                return None
            found = self.normalized[line] = _normalize(node)
            self.changed = True
        return found


def _normalize(node: _Definition) -> tuple[str, tuple[str, ...]]:
    """A digest of the definition without decorators and docstrings; the names it uses."""
    out: list[str] = []
    names: set[str] = set()
    _emit(node, out, names, top=True)
    digest = hashlib.sha256("\x00".join(out).encode("utf-8", "surrogatepass")).hexdigest()
    return digest, tuple(sorted(names))


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _emit(node: Any, out: list[str], names: set[str], top: bool = False) -> None:
    """Serialize the syntax tree (no positions, no comments: formatting does not count)."""
    if isinstance(node, ast.AST):
        out.append(type(node).__name__)
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                names.add(node.id)
        elif isinstance(node, ast.Attribute):
            chain = _chain(node)
            if chain:
                names.add(chain)
        definition = isinstance(node, _DEFINITIONS)
        for field in node._fields:
            if field in ("ctx", "type_comment") or (top and field == "decorator_list"):
                continue  # options and compute are part of the key on their own
            value = getattr(node, field, None)
            if definition and field == "body" and value and _is_docstring(value[0]):
                value = value[1:]
            out.append(field)
            _emit(value, out, names)
    elif isinstance(node, list):
        out.append("[")
        for item in node:
            _emit(item, out, names)
        out.append("]")
    else:
        out.append(repr(node))


def _is_docstring(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


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


_STORE_VERSION = f"1-{sys.version_info[0]}.{sys.version_info[1]}"
_file_indexes: dict[tuple[str, int, int], _FileIndex] = {}


class _IndexStore:
    """Normalized definitions of source files kept between runs (``.glacier/fingerprints``),
    keyed by the file's path, size and modification time: a rerun parses nothing unchanged."""

    def __init__(self, folder: str | None) -> None:
        self.folder = folder

    def _path(self, filename: str) -> str:
        assert self.folder is not None
        return os.path.join(self.folder, hashlib.sha1(filename.encode()).hexdigest() + ".json")

    def load(self, filename: str, stamp: tuple[int, int]) -> dict[int, tuple[str, tuple[str, ...]]]:
        if self.folder is None:
            return {}
        try:
            with open(self._path(filename), encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            return {}
        if data.get("version") != _STORE_VERSION or data.get("stamp") != list(stamp):
            return {}
        return {int(line): (d, tuple(n)) for line, (d, n) in data.get("definitions", {}).items()}

    def save(self, index: _FileIndex, stamp: tuple[int, int]) -> None:
        if self.folder is None or not index.changed:
            return
        os.makedirs(self.folder, exist_ok=True)
        data = {
            "version": _STORE_VERSION,
            "file": index.filename,
            "stamp": list(stamp),
            "definitions": {str(k): [d, list(n)] for k, (d, n) in index.normalized.items()},
        }
        temporary = self._path(index.filename) + f".{os.getpid()}.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.replace(temporary, self._path(index.filename))
        index.changed = False


class Fingerprinter:
    """Fingerprints of functions in one project (memoized for the run).

    Args:
        project_root: code below it (outside virtualenvs and site-packages) is the
            project's own, whose edits count.
        store: a folder that keeps normalized definitions between runs, or ``None``.
    """

    def __init__(self, project_root: str, store: str | None = None) -> None:
        self.root = os.path.realpath(project_root)
        self._memo: dict[int, str] = {}
        self._keep: list[object] = []  # memo keys are ids: keep their objects alive
        self._store = _IndexStore(store)
        self._used: dict[str, tuple[_FileIndex, tuple[int, int]]] = {}

    def save(self) -> None:
        """Keep what was parsed this run for the next one."""
        for index, stamp in self._used.values():
            try:
                self._store.save(index, stamp)
            except OSError:
                continue  # a read-only project only loses the speed-up

    def _index_of(self, filename: str) -> _FileIndex | None:
        used = self._used.get(filename)
        if used is not None:
            return used[0]
        try:
            stat = os.stat(filename)
        except OSError:
            return None
        stamp = (stat.st_mtime_ns, stat.st_size)
        key = (filename, *stamp)
        index = _file_indexes.get(key)
        if index is None:
            index = _FileIndex(filename, self._store.load(filename, stamp))
            _file_indexes[key] = index
        self._used[filename] = (index, stamp)
        return index

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
        index = self._index_of(filename)
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

"""From files to an `AnalysisResult`: load (cached), pre-filter, extract, resolve, check."""

from __future__ import annotations

import multiprocessing
import os
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path

from glacier.analysis.cache import FactsCache, content_key
from glacier.analysis.discover import ModuleNamer, discover, discoverable
from glacier.analysis.extract import ChunkMemo, DecodeError, decode, extract, light_facts
from glacier.analysis.facts import FileFacts
from glacier.analysis.resolve import (
    DatasetState,
    ModuleOutput,
    ModuleSource,
    Resolution,
    Resolver,
    TaskState,
    is_glacier_module,
)
from glacier.analysis.result import AnalysisResult, Reference, normalize
from glacier.checks import Finding, FindingsMemo, project_findings, report
from glacier.config import Settings, load_settings
from glacier.graph import Input as GraphInput
from glacier.model import DatasetInfo, PipelineInfo, Project, Span, TaskInfo
from glacier.rules import DYNAMIC_CONSTRUCT, SYNTAX_ERROR

#: Files larger than this are not parsed (GLC011 says so).
MAX_BYTES = 8_000_000
#: Parse in a process pool from this many files on (when there are several cores).
POOL_THRESHOLD = 16


#: Where internal errors are reported.
ISSUES_URL = "https://github.com/glacier-dev/glacier/issues"


class InternalError(Exception):
    """Glacier itself failed while analysing (a bug, never the user's code): callers must not
    treat the analysis as clean. ``str()`` is the one message to show."""

    def __init__(self, what: str, path: str | None, cause: BaseException) -> None:
        self.what = what
        self.path = path
        self.cause = cause
        where = f" (in {path})" if path else ""
        super().__init__(
            f"internal error while {what}{where}: {type(cause).__name__}: {cause}. "
            f"This is a bug in Glacier, not in your code; please report it at {ISSUES_URL} "
            "with `glacier --version`, the command and, if you can, the file named here "
            "(GLACIER_STRICT=1 shows the traceback)."
        )


def _failing_module(error: BaseException) -> str | None:
    """The file whose statements the resolver was interpreting when ``error`` was raised."""
    found = None
    for frame, _line in traceback.walk_tb(error.__traceback__):
        source = frame.f_locals.get("source") if frame.f_code.co_name == "execute" else None
        if isinstance(source, ModuleSource):
            found = source.path  # innermost wins: the module being imported
    return found


def start_method() -> str:
    """How to start the parsing pool's processes on this platform and in this process."""
    methods = multiprocessing.get_all_start_methods()
    # Forking a process that runs other threads (the language server does) can deadlock
    # the child on a lock held by another thread; then use a fork server, else spawn
    # (the only method on Windows).
    if threading.active_count() == 1 and "fork" in methods:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


def _parse_in_pool(datas: list[bytes], sizes: list[int]) -> list[FileFacts | str] | None:
    """Extract in worker processes, largest files first; ``None`` when no pool can start."""
    workers = min(os.cpu_count() or 1, 8, len(datas))
    order = sorted(range(len(datas)), key=lambda i: -sizes[i])
    try:
        context = multiprocessing.get_context(start_method())
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            done = list(pool.map(_extract_job, [datas[i] for i in order], chunksize=1))
    except (OSError, RuntimeError, ValueError, ImportError, BrokenProcessPool):
        if strict():
            raise
        return None  # no processes here (sandbox, frozen app, spawn without a main guard)
    results: list[FileFacts | str] = [done[0]] * len(datas)
    for position, index in enumerate(order):
        results[index] = done[position]
    return results


def strict() -> bool:
    """``GLACIER_STRICT=1``: internal errors raise instead of becoming messages (tests)."""
    return os.environ.get("GLACIER_STRICT", "") not in ("", "0")


def full_facts(data: bytes, memo: ChunkMemo | None = None) -> FileFacts:
    """Decode and extract one file's bytes; never raises for bad input."""
    if len(data) > MAX_BYTES:
        return FileFacts(
            syntax_error=None,
            skipped=True,
            mentions_glacier=True,
            statements=(),
        )
    try:
        text = decode(data)
    except DecodeError as error:
        return replace(light_facts(data), skipped=False, syntax_error=(str(error), (1, 1, 1, 2)))
    return extract(text, data, memo)


def _extract_job(data: bytes, memo: ChunkMemo | None = None) -> FileFacts | str:
    try:
        return full_facts(data, memo)
    except Exception as error:
        if strict():
            raise
        return f"{type(error).__name__}: {error}"


@dataclass
class FileEntry:
    """One file as the engine knows it."""

    path: str
    key: str
    size: int
    light: FileFacts
    full: FileFacts | None = None
    #: The bytes, kept only until the file is parsed.
    data: bytes | None = None


def _imports_needed(entry: FileEntry, module: str, is_package: bool, needed: set[str]) -> bool:
    package = module if is_package else module.rpartition(".")[0]
    for level, name in entry.light.imports:
        if level:
            parts = package.split(".") if package else []
            base = parts[: max(len(parts) - (level - 1), 0)]
            target = ".".join([*base, name] if name else base)
            candidates = [target] if target else []
            if not name:
                candidates.extend(n for n in needed if n.startswith(target + ".") or not target)
        else:
            candidates = [name]
        for candidate in candidates:
            if is_glacier_module(candidate) or candidate in needed:
                return True
            parts = candidate.split(".")
            if any(".".join(parts[:i]) in needed for i in range(1, len(parts))):
                return True
            if any(n.startswith(candidate + ".") for n in needed):
                return True
    return False


class _Engine:
    """Shared by `analyze_paths` and `Workspace`: files by path -> result."""

    def __init__(self, settings: Settings, cache: FactsCache) -> None:
        self.settings = settings
        self.cache = cache
        self.entries: dict[str, FileEntry] = {}
        self.last_good: dict[str, FileFacts] = {}
        self.failures: dict[str, str] = {}
        #: Paths in `failures` because Glacier itself failed on them (not the file).
        self.internal: set[str] = set()
        #: Per-file memo of parsed statements (the language server's incremental path).
        self.memos: dict[str, ChunkMemo] | None = None
        self._outputs: dict[str, ModuleOutput] = {}
        self._module_names: frozenset[str] = frozenset()
        self._findings_memo: FindingsMemo | None = None
        self._selected: tuple[object, dict[str, tuple[str, bool]], frozenset[str]] | None = None
        self._infos: dict[int, tuple[object, DatasetInfo | TaskInfo]] = {}

    def load(self, path: str, data: bytes | None) -> None:
        """(Re)load one file from ``data`` (or disk); ``None`` data and no file: forget it."""
        if data is None:
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except FileNotFoundError:
                self.forget(path)
                return
            except (OSError, RuntimeError) as error:
                self.forget(path)
                reason = getattr(error, "strerror", None) or str(error)
                self.failures[path] = f"{path}: cannot read the file: {reason}"
                return
        self.failures.pop(path, None)
        self.internal.discard(path)
        key = content_key(data)
        existing = self.entries.get(path)
        if existing is not None and existing.key == key:
            return
        light = light_facts(data)  # a regex over the bytes: cheaper than a cache read
        entry = FileEntry(path, key, len(data), light)
        entry.data = data
        self.entries[path] = entry

    def forget(self, path: str) -> None:
        """Drop everything known about ``path`` (deleted, or no longer discovered)."""
        self.entries.pop(path, None)
        self.failures.pop(path, None)
        self.internal.discard(path)
        self.last_good.pop(path, None)
        if self.memos is not None:
            self.memos.pop(path, None)

    def select(self) -> tuple[dict[str, tuple[str, bool]], set[str]]:
        """Module names, and the paths that need a full parse (cheap fixpoint)."""
        signature = (
            self.settings.src,
            tuple(
                (path, entry.light.imports, entry.light.mentions_glacier)
                for path, entry in sorted(self.entries.items())
            ),
        )
        if self._selected is not None and self._selected[0] == signature:
            return self._selected[1], set(self._selected[2])
        names, needed = self._select()
        self._selected = (signature, names, frozenset(needed))
        return names, needed

    def _select(self) -> tuple[dict[str, tuple[str, bool]], set[str]]:
        namer = ModuleNamer(self.settings.src)
        names: dict[str, tuple[str, bool]] = {}
        for path in sorted(self.entries):
            named = namer(path)
            names[path] = (named.name, named.is_package)
        needed_paths = {p for p, e in self.entries.items() if e.light.mentions_glacier}
        needed_modules = {names[p][0] for p in needed_paths}
        changed = True
        while changed:
            changed = False
            for path, entry in self.entries.items():
                if path in needed_paths:
                    continue
                module, is_package = names[path]
                # Importing a needed module runs its packages' __init__ first.
                runs_first = is_package and any(n.startswith(module + ".") for n in needed_modules)
                if runs_first or _imports_needed(entry, module, is_package, needed_modules):
                    needed_paths.add(path)
                    needed_modules.add(module)
                    changed = True
        return names, needed_paths

    def parse(self, paths: Iterable[str]) -> None:
        todo = []
        for path in paths:
            entry = self.entries[path]
            if entry.full is None:
                entry.full = self.cache.get(entry.key, "full")
            if entry.full is None:
                todo.append(entry)
            else:
                entry.data = None
        if not todo:
            return
        datas: list[bytes] = [e.data or b"" for e in todo]
        results: list[FileFacts | str]
        memos = self.memos
        first_time = memos is None or not any(e.path in memos for e in todo)
        pooled = None
        if len(todo) >= POOL_THRESHOLD and (os.cpu_count() or 1) > 1 and first_time:
            pooled = _parse_in_pool(datas, [e.size for e in todo])
        if pooled is not None:
            results = pooled
        elif memos is not None:
            results = [
                _extract_job(d, memos.setdefault(e.path, ChunkMemo()))
                for d, e in zip(datas, todo, strict=True)
            ]
        else:
            results = [_extract_job(d) for d in datas]
        for entry, result in zip(todo, results, strict=False):
            if isinstance(result, str):
                self.failures[entry.path] = f"{entry.path}: internal error: {result}"
                self.internal.add(entry.path)
                entry.full = FileFacts()
                continue
            entry.full = result
            entry.data = None
            self.cache.put(entry.key, "full", result)

    def _project(self, resolution: Resolution) -> Project:
        """The model; with memos on, infos of unchanged resolved objects are reused."""
        if self.memos is None:
            return _project(resolution)
        names = {key: d.name for key, d in resolution.datasets.items()}
        fresh: dict[int, tuple[object, DatasetInfo | TaskInfo]] = {}

        def info(state: DatasetState | TaskState) -> DatasetInfo | TaskInfo:
            hit = self._infos.get(id(state))
            made = hit[1] if hit is not None and hit[0] is state else _info(state, names)
            fresh[id(state)] = (state, made)
            return made

        datasets = sorted((info(d) for d in resolution.datasets.values()), key=_where)
        tasks = sorted((info(t) for t in resolution.tasks.values()), key=_where)
        self._infos = fresh
        return Project(
            tuple(d for d in datasets if isinstance(d, DatasetInfo)),
            tuple(t for t in tasks if isinstance(t, TaskInfo)),
            _pipelines(resolution),
        )

    def analyze(self) -> AnalysisResult:
        names, needed = self.select()
        self.parse(needed)
        modules: list[ModuleSource] = []
        findings: list[Finding] = []
        suppressions: dict[str, Mapping[int, frozenset[str] | None]] = {}
        taken: dict[str, str] = {}
        for path in sorted(self.entries):
            entry = self.entries[path]
            module, is_package = names[path]
            facts = entry.full if path in needed and entry.full is not None else entry.light
            if facts.syntax_error is not None:
                message, pos = facts.syntax_error
                findings.append(Finding.of(SYNTAX_ERROR, Span(path, *pos), detail=message))
                good = self.last_good.get(path)
                if good is not None:
                    facts = replace(good, syntax_error=facts.syntax_error)
            elif not facts.skipped:
                self.last_good[path] = facts
            elif path in needed and entry.size > MAX_BYTES:
                findings.append(
                    Finding.of(
                        DYNAMIC_CONSTRUCT,
                        Span(path, 1, 1, 1, 1),
                        what="this file",
                        skipped=f"all of it (larger than {MAX_BYTES // 1_000_000} MB)",
                    )
                )
            suppressions[path] = facts.suppressions
            if module in taken:  # two files claim one module name: keep both, distinctly
                module = _fallback_name(path, self.settings.root)
            taken[module] = path
            modules.append(ModuleSource(module, path, facts, is_package))
        stage = "resolving the project"
        try:
            previous = None
            if self.memos is not None:
                names_now = frozenset(m.name for m in modules)
                if names_now == self._module_names:
                    previous = self._outputs
                self._module_names = names_now
            resolution = Resolver(modules, previous).run()
            if self.memos is not None:
                self._outputs = resolution.outputs
            findings.extend(resolution.findings)
            stage = "checking the project"
            findings.extend(project_findings(resolution, self._findings_memo))
            if self.settings.target is not None:
                findings.extend(_target_findings(resolution, self.settings.target))
        except Exception as error:
            if strict():
                raise
            # Never an empty result: that would pass as a clean project.
            raise InternalError(stage, _failing_module(error), error) from error
        diagnostics = report(findings, self.settings, suppressions)
        return AnalysisResult(
            project=self._project(resolution),
            diagnostics=diagnostics,
            references=tuple(resolution.references),
            files=tuple(Path(p) for p in sorted(self.entries)),
            failures=tuple(self.failures[k] for k in sorted(self.failures)),
            internal_errors=tuple(
                self.failures[k] for k in sorted(self.internal & self.failures.keys())
            ),
            imports={
                output.source.path: tuple(
                    resolution.outputs[dep].source.path
                    for dep in output.deps
                    if dep in resolution.outputs
                )
                for output in resolution.outputs.values()
            },
        )


def _target_findings(resolution: Resolution, target: str) -> Iterable[Finding]:
    """GLC015: what the configured deployment target cannot deploy."""
    from glacier.checks import target_limit

    return target_limit.check(
        target,
        [(t.name, t.name_span, t.compute) for t in resolution.tasks.values()],
        [(d.name, d.span, d.storage) for d in resolution.datasets.values()],
    )


def _fallback_name(path: str, root: Path) -> str:
    try:
        relative = Path(path).relative_to(root).with_suffix("")
        return ".".join(relative.parts)
    except ValueError:
        return ".".join(Path(path).with_suffix("").parts[1:])


def _where(item: DatasetInfo | TaskInfo) -> tuple[str, int, int]:
    span = item.span
    return ("", 0, 0) if span is None else (span.filename, span.line, span.column)


def _info(state: DatasetState | TaskState, names: Mapping[str, str]) -> DatasetInfo | TaskInfo:
    if isinstance(state, DatasetState):
        return DatasetInfo(
            state.name,
            state.variable,
            state.module,
            state.span,
            state.storage,
            state.schema,
            state.format,
        )
    return TaskInfo(
        state.id,
        state.name,
        state.module,
        state.span,
        tuple(GraphInput(p, names[i]) for p, i in state.inputs.items()),
        names[state.output] if state.output is not None else None,
        state.compute,
        state.options.retries,
        state.options.cache,
        state.options.cache_version,
        state.options.secrets,
    )


def _pipelines(resolution: Resolution) -> tuple[PipelineInfo, ...]:
    return tuple(
        PipelineInfo(p.name, p.variable, p.span, p.graph)
        for p in sorted(
            resolution.pipelines, key=lambda p: (p.span.filename, p.span.line, p.span.column)
        )
    )


def _project(resolution: Resolution) -> Project:
    names = {key: d.name for key, d in resolution.datasets.items()}
    datasets = sorted((_info(d, names) for d in resolution.datasets.values()), key=_where)
    tasks = sorted((_info(t, names) for t in resolution.tasks.values()), key=_where)
    return Project(
        tuple(d for d in datasets if isinstance(d, DatasetInfo)),
        tuple(t for t in tasks if isinstance(t, TaskInfo)),
        _pipelines(resolution),
    )


def analyze_paths(
    paths: Sequence[str | Path], settings: Settings | None = None, *, cache: bool = True
) -> AnalysisResult:
    """Analyse the Python files under ``paths`` without importing or executing them.

    Args:
        paths: files and directories (directories are searched, skipping virtual
            environments, build output and caches, honouring include/exclude).
        settings: defaults to `load_settings` from the first path.
        cache: use the per-user cache (`glacier.analysis.cache`; never the project's files).

    Raises:
        InternalError: when Glacier itself fails on the project; never an empty result.
    """
    paths = list(paths) or [Path.cwd()]
    if settings is None:
        settings = load_settings(Path(paths[0]))
    files, problems = discover(paths, settings)
    facts_cache = FactsCache(settings.root, enabled=cache)
    engine = _Engine(settings, facts_cache)
    for file in files:
        engine.load(file, None)
    for problem in problems:
        engine.failures[problem] = problem
    # Nothing changed since the last run (same files, same bytes, same settings): reuse it.
    inputs = repr(
        (
            sorted((path, entry.key) for path, entry in engine.entries.items()),
            sorted(engine.failures.items()),
            settings.select,
            settings.ignore,
            sorted((k, v.value) for k, v in settings.severity.items()),
            settings.src,
            settings.target,
            os.getcwd(),  # messages show paths relative to it
        )
    )
    key = content_key(inputs.encode("utf-8", "surrogateescape"))
    previous = facts_cache.get_result(key)
    if isinstance(previous, AnalysisResult):
        return previous
    result = engine.analyze()
    if not result.failures:
        facts_cache.put_result(key, result)
    return result


class Workspace:
    """Incremental analysis for the language server: facts per file stay in memory."""

    def __init__(self, root: Path, settings: Settings) -> None:
        self.root = Path(normalize(root))
        self.settings = settings
        self._engine = _Engine(settings, FactsCache(self.root, enabled=False))
        self._engine.memos = {}
        self._engine._findings_memo = {}
        self._overlays: dict[str, str] = {}
        self._dirty: set[str] = set()
        self._rediscover = True

    def index(self, progress: Callable[[int, int], None] | None = None) -> None:
        """Discover and extract every file under the root."""
        files, _ = discover([self.root], self.settings)
        known = set(files) | set(self._overlays)
        for path in list(self._engine.entries):
            if path not in known:
                self._engine.forget(path)
        total = len(known)
        for number, path in enumerate(sorted(known), start=1):
            self._load(path)
            if progress is not None:
                progress(number, total)
        _names, needed = self._engine.select()
        self._engine.parse(needed)
        self._dirty.clear()
        self._rediscover = False

    def _load(self, path: str) -> None:
        overlay = self._overlays.get(path)
        data = overlay.encode("utf-8", "surrogateescape") if overlay is not None else None
        self._engine.load(path, data)

    def set_overlay(self, path: Path, text: str | None) -> None:
        """An editor buffer's text; ``None`` goes back to the file on disk."""
        key = normalize(path)
        if text is None:
            self._overlays.pop(key, None)
        else:
            self._overlays[key] = text
        self._dirty.add(key)

    def file_changed(self, path: Path) -> None:
        """A file was created, changed or deleted on disk."""
        self._dirty.add(normalize(path))

    def update_settings(self, settings: Settings) -> None:
        self.settings = settings
        self._engine.settings = settings
        self._rediscover = True

    def analyze(self) -> AnalysisResult:
        """Re-extract changed files only, then resolve and check the whole workspace.

        Raises:
            InternalError: when Glacier fails on the project (the previous result stands).
        """
        # The garbage collector is left alone: it is process-wide state, and freezing or
        # pausing it from here made long editor sessions grow.
        if self._rediscover:
            self.index()
        for path in sorted(self._dirty):
            if path in self._engine.entries or path in self._overlays or self._wanted(path):
                self._load(path)
        self._dirty.clear()
        return self._engine.analyze()

    def _wanted(self, path: str) -> bool:
        """Whether discovery would analyse ``path`` (a file the editor's watcher reported):
        not in a skipped folder such as ``.venv`` or ``.glacier``, not excluded."""
        return discoverable(path, self.settings)


__all__ = ["AnalysisResult", "InternalError", "Reference", "Workspace", "analyze_paths"]

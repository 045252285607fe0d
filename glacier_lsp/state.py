"""The server's state for one workspace: the analyzer, the latest result, open documents, texts.

`AnalysisState` wraps ``glacier.analysis.Workspace``. Every call into the workspace runs on one
worker thread (so the event loop stays responsive and the workspace is never used concurrently);
handlers read the latest immutable `AnalysisResult` snapshot. Edits are debounced: each change
restarts one timer, and only the latest snapshot of the open documents is analysed.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types

from glacier.analysis import AnalysisResult, Workspace
from glacier.config import Settings
from glacier.diagnostics import Diagnostic
from glacier.model import Span
from glacier_lsp.convert import LineIndex, path_key, path_to_uri, to_lsp_diagnostic

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: Analyses between two re-freezes of the heap (see `HeapPolicy`).
REFREEZE_EVERY = 200

#: Seconds between the last edit and the analysis; ``GLACIER_LSP_DEBOUNCE`` overrides it.
DEFAULT_DEBOUNCE = 0.25


def debounce_from_env() -> float:
    """The debounce delay, from ``GLACIER_LSP_DEBOUNCE`` (seconds) or the default."""
    try:
        return max(0.0, float(os.environ.get("GLACIER_LSP_DEBOUNCE", DEFAULT_DEBOUNCE)))
    except ValueError:
        return DEFAULT_DEBOUNCE


class HeapPolicy:
    """The server's heap is mostly the workspace's long-lived facts; a full collection that
    rescans them costs more than an analysis. After indexing, and again every
    `REFREEZE_EVERY` analyses, collect everything once and freeze what survives, so the
    collector only scans what came since. Unfreezing first lets frozen objects that have
    become garbage (a deleted file's facts) go, so the heap stays bounded. Only the server
    process uses this (it owns the process), from its event loop thread, between analyses.
    """

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.analyses = 0

    def refreeze(self) -> None:
        if not self.enabled:
            return
        self.analyses = 0
        gc.unfreeze()
        gc.collect()
        gc.freeze()

    def analysed(self) -> None:
        self.analyses += 1
        if self.analyses >= REFREEZE_EVERY:
            self.refreeze()


@dataclass
class OpenDocument:
    """A document the editor has open: the URI it uses and the text it shows."""

    uri: str
    path: str
    version: int | None
    text: str


@dataclass
class FileDiagnostics:
    """The LSP diagnostics of one file from one analysis, and their fingerprint (the result id)."""

    uri: str
    items: list[types.Diagnostic]
    result_id: str
    version: int | None = None


@dataclass
class Snapshot:
    """The outcome of one analysis, as the handlers see it."""

    result: AnalysisResult
    #: path key -> diagnostics, for every file that has any.
    diagnostics: dict[str, FileDiagnostics] = field(default_factory=dict)


#: Called with the new snapshot and, for each file whose diagnostics changed, its URI.
Listener = Callable[[Snapshot, dict[str, str]], Awaitable[None]]


class AnalysisState:
    """One workspace under analysis."""

    def __init__(
        self,
        root: Path,
        settings: Settings,
        encoding: str,
        listener: Listener,
        on_error: Callable[[Exception], None],
        debounce: float | None = None,
        manage_gc: bool = False,
    ) -> None:
        self.root = root
        self.heap = HeapPolicy(manage_gc)
        self.encoding = encoding
        self.debounce = debounce_from_env() if debounce is None else debounce
        self.listener = listener
        self.on_error = on_error
        self.workspace = Workspace(root, settings)
        self.snapshot: Snapshot | None = None
        self.documents: dict[str, OpenDocument] = {}
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="glacier-analysis")
        self._dirty: dict[str, str | None] = {}
        self._timer: asyncio.Task[None] | None = None
        self._sleeping = False
        self._can_analyze = False
        self._lock = asyncio.Lock()
        self._texts: dict[str, tuple[tuple[Any, ...], LineIndex]] = {}
        self.indexed = asyncio.Event()

    # --- running work on the analysis thread ---------------------------------------------------

    async def run(self, func: Callable[..., T], *args: Any) -> T:
        """Run ``func(*args)`` on the analysis thread."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, func, *args)

    async def index(self, progress: Callable[[int, int], None]) -> None:
        """Index the workspace (``progress(done, total)`` is called from the analysis thread)."""
        loop = asyncio.get_running_loop()

        def report(done: int, total: int) -> None:
            loop.call_soon_threadsafe(progress, done, total)

        try:
            try:
                await self.run(self.workspace.index, report)
            except Exception as error:  # noqa: BLE001 - reported; edits and saves try again
                self.on_error(error)
            self._can_analyze = True
            await self.analyze(force=True)
            self.heap.refreeze()
        finally:
            self._can_analyze = True
            self.indexed.set()  # requests stop waiting, even if indexing failed

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)

    # --- documents and files -------------------------------------------------------------------

    def document_changed(self, document: OpenDocument) -> None:
        """The editor opened or edited ``document``; analyse after the debounce."""
        key = path_key(document.path)
        self.documents[key] = document
        self._dirty[document.path] = document.text
        self.schedule()

    def document_closed(self, path: str) -> None:
        """The editor closed the document: the file on disk counts again."""
        self.documents.pop(path_key(path), None)
        self._dirty[path] = None
        self.schedule(0)

    def files_changed(self, paths: Iterable[str]) -> None:
        """Files changed on disk (outside the editor)."""
        for path in paths:
            if path_key(path) not in self.documents:
                self._dirty[path] = None
        self.schedule(0)

    async def update_settings(self, settings: Settings) -> None:
        await self.run(self.workspace.update_settings, settings)
        await self.analyze(force=True)  # re-indexes
        self.heap.refreeze()

    # --- debounce ------------------------------------------------------------------------------

    def schedule(self, delay: float | None = None) -> None:
        """(Re)start the timer; the latest call wins."""
        if self._timer is not None and not self._timer.done() and self._sleeping:
            self._timer.cancel()
        self._sleeping = True
        self._timer = asyncio.ensure_future(self._after(self.debounce if delay is None else delay))

    async def _after(self, delay: float) -> None:
        await asyncio.sleep(delay)
        self._sleeping = False
        try:
            await self.analyze()
        except Exception as error:  # noqa: BLE001 - logged; the next edit tries again
            self.on_error(error)

    async def flush(self) -> Snapshot | None:
        """Analyse pending edits now (so a request sees the text the editor shows) and return
        the latest snapshot."""
        await self.indexed.wait()
        while True:
            if self._dirty:
                await self.analyze()
            elif self._timer is not None and not self._timer.done() and not self._sleeping:
                await asyncio.shield(self._timer)
            else:
                return self.snapshot

    async def settle(self) -> Snapshot | None:
        """Wait (respecting the debounce) until no edit is pending, then return the snapshot:
        for diagnostic pulls, which clients send after every keystroke."""
        await self.indexed.wait()
        while (
            self._dirty
            or self._lock.locked()
            or (self._timer is not None and not self._timer.done())
        ):
            await asyncio.sleep(0.01)
        return self.snapshot

    async def analyze(self, force: bool = False) -> None:
        """Apply pending changes, analyse, and tell the listener what changed (nothing to do
        without changes, unless ``force``: after indexing or a settings change)."""
        async with self._lock:
            if not self._can_analyze:
                return  # before indexing: `index` analyses once it is done
            if not (self._dirty or force or self.snapshot is None):
                return  # an earlier analysis took these changes already
            changes, self._dirty = self._dirty, {}
            started = time.perf_counter()
            try:
                result = await self.run(self._apply_and_analyze, changes)
            except Exception as error:  # noqa: BLE001 - the last good snapshot stays served
                # The workspace holds the changes already; the next edit analyses them again.
                self.on_error(error)
                return
            if self._dirty:
                return  # newer edits arrived meanwhile: their analysis publishes instead
            analysed = time.perf_counter()
            previous = self.snapshot
            snapshot = self._snapshot(result)
            self.snapshot = snapshot
            changed = _changed(previous, snapshot)
            self._forget_texts(result)
        await self.listener(snapshot, changed)
        self.heap.analysed()
        logger.info(
            "analysed %d change(s): analyzer %.1f ms, conversion and publishing %.1f ms",
            len(changes),
            (analysed - started) * 1000,
            (time.perf_counter() - analysed) * 1000,
        )

    def _apply_and_analyze(self, changes: dict[str, str | None]) -> AnalysisResult:
        for path, text in changes.items():
            if text is None:
                self.workspace.set_overlay(Path(path), None)
                self.workspace.file_changed(Path(path))
            else:
                self.workspace.set_overlay(Path(path), text)
        return self.workspace.analyze()

    # --- texts and positions -------------------------------------------------------------------

    def lines(self, path: str) -> LineIndex:
        """The lines of ``path`` as the editor shows them (open) or as on disk (closed)."""
        key = path_key(path)
        document = self.documents.get(key)
        if document is not None:
            stamp: tuple[Any, ...] = ("open", document.version, len(document.text))
            cached = self._texts.get(key)
            if cached is None or cached[0] != stamp or cached[1].text is not document.text:
                cached = (stamp, LineIndex(document.text, self.encoding))
                self._texts[key] = cached
            return cached[1]
        try:
            stat = os.stat(path)
            stamp = ("disk", stat.st_mtime_ns, stat.st_size)
            cached = self._texts.get(key)
            if cached is None or cached[0] != stamp:
                with open(path, encoding="utf-8", errors="replace") as handle:
                    cached = (stamp, LineIndex(handle.read(), self.encoding))
                self._texts[key] = cached
            return cached[1]
        except OSError:
            return LineIndex("", self.encoding)

    def _forget_texts(self, result: AnalysisResult) -> None:
        """Drop the lines kept for files that are neither open nor in the workspace any more
        (deleted, renamed), so long sessions do not grow."""
        if len(self._texts) <= len(self.documents):
            return
        known = {path_key(str(path)) for path in result.files}
        for key in [k for k in self._texts if k not in known and k not in self.documents]:
            del self._texts[key]

    def uri(self, path: str) -> str:
        """The URI to send for ``path``: the editor's own spelling when the file is open."""
        document = self.documents.get(path_key(path))
        return document.uri if document is not None else path_to_uri(path)

    def span_text(self, span: Span) -> str:
        """The current text of a one-line span."""
        return self.lines(span.filename).line(span.line - 1)[span.column - 1 : span.end_column - 1]

    def location(self, span: Span) -> types.Location:
        """An LSP location for a Glacier span."""
        return types.Location(self.uri(span.filename), self.lines(span.filename).range(span))

    def text_edit(self, span: Span, text: str) -> tuple[str, types.TextEdit]:
        """The URI and edit that replace ``span`` with ``text``."""
        return self.uri(span.filename), types.TextEdit(self.lines(span.filename).range(span), text)

    def workspace_edit(self, edits: Iterable[tuple[Span, str]]) -> types.WorkspaceEdit:
        """One edit replacing each span with its text, grouped by file."""
        changes: dict[str, list[types.TextEdit]] = {}
        for span, text in edits:
            uri, edit = self.text_edit(span, text)
            changes.setdefault(uri, []).append(edit)
        return types.WorkspaceEdit(changes=changes)

    def document(self, path: str) -> OpenDocument | None:
        return self.documents.get(path_key(path))

    # --- diagnostics ---------------------------------------------------------------------------

    def _snapshot(self, result: AnalysisResult) -> Snapshot:
        by_file: dict[str, list[Diagnostic]] = {}
        names: dict[str, str] = {}
        for diagnostic in result.diagnostics:
            key = path_key(diagnostic.span.filename)
            names.setdefault(key, diagnostic.span.filename)
            by_file.setdefault(key, []).append(diagnostic)
        snapshot = Snapshot(result)
        for key, diagnostics in by_file.items():
            path = names[key]
            items = [self._convert(diagnostic) for diagnostic in diagnostics]
            document = self.documents.get(key)
            snapshot.diagnostics[key] = FileDiagnostics(
                uri=self.uri(path),
                items=items,
                result_id=_fingerprint(items),
                version=document.version if document is not None else None,
            )
        return snapshot

    def _convert(self, diagnostic: Diagnostic) -> types.Diagnostic:
        related = [
            (
                self.uri(item.span.filename),
                self.lines(item.span.filename).range(item.span),
                item.message,
            )
            for item in diagnostic.related
        ]
        return to_lsp_diagnostic(diagnostic, self.lines(diagnostic.span.filename), related)

    def diagnostics(self, path: str) -> FileDiagnostics:
        """The current diagnostics of ``path`` (an empty report when it has none)."""
        snapshot = self.snapshot
        found = snapshot.diagnostics.get(path_key(path)) if snapshot is not None else None
        return found if found is not None else FileDiagnostics(self.uri(path), [], _fingerprint([]))


def _fingerprint(items: list[types.Diagnostic]) -> str:
    text = repr([(d.range, d.message, d.code, d.severity, d.related_information) for d in items])
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def _changed(previous: Snapshot | None, current: Snapshot) -> dict[str, str]:
    """Path key -> URI of the files whose diagnostics differ (including now-clean files)."""
    before = previous.diagnostics if previous is not None else {}
    after = current.diagnostics
    changed: dict[str, str] = {}
    for key in set(before) | set(after):
        old, new = before.get(key), after.get(key)
        if (old.result_id if old else None) != (new.result_id if new else None):
            changed[key] = (new or old).uri  # type: ignore[union-attr]
    return changed

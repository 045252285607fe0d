"""`GlacierLanguageServer` and its LSP handlers.

Each handler is glue: find the document, ask `AnalysisState` for the latest snapshot, call a
function of `features`/`actions`/`graph_request`, return LSP types. Diagnostics are pushed
(``publishDiagnostics``) unless the client can pull them (``textDocument/diagnostic``), in which
case the server answers pulls and sends ``workspace/diagnostic/refresh`` when they change.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
import uuid
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol

from glacier.analysis.engine import ISSUES_URL, InternalError
from glacier_lsp import actions, features, graph_request, settings
from glacier_lsp.convert import LineIndex, path_to_uri, uri_to_path
from glacier_lsp.state import AnalysisState, OpenDocument, Snapshot

logger = logging.getLogger(__name__)

WATCHED = ("**/*.py", "**/pyproject.toml")
#: How long a request waits for the client's ``initialized`` notification.
STARTUP_TIMEOUT = 30.0
#: Seconds to wait for the client to answer a request of ours before going on without it.
CLIENT_TIMEOUT = 10.0


def _version() -> str:
    # The package's own version: the distribution is named glacier-pipelines, and a
    # distribution called glacier may be another project.
    from glacier import __version__

    return __version__


class GlacierProtocol(LanguageServerProtocol):
    """pygls drops a request whose params do not deserialise, leaving the client waiting
    forever; answer it with an Invalid Params error instead."""

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            if isinstance(data, dict) and "id" in data and "method" in data:
                reply = error if isinstance(error, JsonRpcInvalidParams) else JsonRpcInvalidParams()
                self._send_response(data["id"], error=reply.to_response_error())
            raise


class GlacierLanguageServer(LanguageServer):
    """The server, holding the state of its (first) workspace folder."""

    def __init__(self) -> None:
        super().__init__("glacier-lsp", _version(), protocol_cls=GlacierProtocol)
        self.state: AnalysisState | None = None
        self.pull = False
        self.refresh_support = False
        #: ``initializationOptions.settings``; the client's ``workspace/configuration`` wins.
        self.init_settings: dict[str, Any] = {}
        self.client_settings: dict[str, Any] = {}
        self.failures_logged: set[str] = set()
        #: Invalid settings (``[tool.glacier]`` or the editor's) shown once each, visibly.
        self.warn_settings = settings.WarnOnce(self.show_warning)
        #: An analysis failed and the user was told; reset by the next good analysis.
        self.failure_shown = False
        #: Set once ``initialized`` has created `state`.
        self.started = asyncio.Event()

    # --- errors and logging: a pop-up only when an analysis fails ---------------------------------

    def report_server_error(self, error: Exception, source: Any) -> None:
        detail = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        self.log(
            f"Internal error ({getattr(source, '__name__', source)}): {detail}",
            types.MessageType.Error,
        )

    def analysis_failed(self, error: Exception) -> None:
        """Glacier failed on the workspace: log the traceback, tell the user once, and keep
        serving the last good analysis."""
        self.report_server_error(error, "analysis")
        if self.failure_shown:
            return
        self.failure_shown = True
        text = (
            str(error)
            if isinstance(error, InternalError)
            else (
                f"internal error: {type(error).__name__}: {error}. This is a bug in Glacier; "
                f"please report it at {ISSUES_URL} with the traceback from the output log."
            )
        )
        try:
            self.window_show_message(
                types.ShowMessageParams(
                    types.MessageType.Error,
                    f"Glacier: {text} Diagnostics show the last successful analysis.",
                )
            )
        except Exception:
            logger.debug("could not show a message", exc_info=True)

    def show_warning(self, message: str) -> None:
        """A ``window/showMessage`` warning (invalid settings: skipped, but the user must know)."""
        try:
            self.window_show_message(types.ShowMessageParams(types.MessageType.Warning, message))
        except Exception:
            logger.debug("could not show a message", exc_info=True)

    def log(self, message: str, kind: types.MessageType = types.MessageType.Log) -> None:
        logger.log(logging.ERROR if kind == types.MessageType.Error else logging.INFO, message)
        try:
            self.window_log_message(types.LogMessageParams(kind, message))
        except Exception:
            logger.debug("could not send a log message", exc_info=True)

    # --- diagnostics ---------------------------------------------------------------------------

    async def on_analysis(self, snapshot: Snapshot, changed: dict[str, str]) -> None:
        """Publish (push) or ask for a re-pull (pull) after an analysis changed diagnostics."""
        self.failure_shown = False
        for failure in snapshot.result.failures:
            if failure not in self.failures_logged:
                self.log(f"Glacier could not analyse: {failure}", types.MessageType.Warning)
        self.failures_logged = set(snapshot.result.failures)  # bounded by the current ones
        if self.pull:
            if changed and self.refresh_support:
                self.workspace_diagnostic_refresh(None)
            return
        for key, uri in changed.items():
            found = snapshot.diagnostics.get(key)
            if found is not None:
                self.publish(uri, found.items, found.version)
            else:  # now clean: an empty list, with the version if the editor has it open
                document = self.state.documents.get(key) if self.state else None
                self.publish(uri, [], document.version if document else None)

    def publish(self, uri: str, items: list[types.Diagnostic], version: int | None) -> None:
        """The one place that pushes diagnostics."""
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, items, version))

    # --- start-up ------------------------------------------------------------------------------

    def root(self) -> Path:
        for folder in self.workspace.folders.values():
            path = uri_to_path(folder.uri)
            if path:
                return Path(path)
        path = uri_to_path(self.workspace.root_uri) if self.workspace.root_uri else None
        return Path(path) if path else Path.cwd()

    async def start(self) -> None:
        """Create the state, read settings, watch files, index with progress."""
        root = self.root()
        self.state = state = AnalysisState(
            root,
            settings.build(root, self.client_settings, self.log, warn=self.warn_settings),
            self.workspace.position_encoding or types.PositionEncodingKind.Utf16,
            self.on_analysis,
            self.analysis_failed,
            manage_gc=True,
        )
        self.started.set()
        for uri in list(self.workspace.text_documents):  # opened before the state existed
            self.document_changed(uri)
        configured = await self.fetch_configuration()
        if configured:
            self.client_settings = configured
            await state.run(
                state.workspace.update_settings,
                settings.build(root, configured, self.log, warn=self.warn_settings),
            )
        await self.watch_files()
        await self.index(state)

    async def fetch_configuration(self) -> dict[str, Any] | None:
        """The client's ``glacier`` section, if it supports ``workspace/configuration``."""
        workspace_caps = self.client_capabilities.workspace
        if not (workspace_caps and workspace_caps.configuration):
            return None
        params = types.ConfigurationParams([types.ConfigurationItem(section="glacier")])
        try:
            values = await asyncio.wait_for(
                self.workspace_configuration_async(params), CLIENT_TIMEOUT
            )
        except Exception as error:  # noqa: BLE001 - a client that cannot answer keeps the defaults
            self.log(f"workspace/configuration failed: {error}")
            return None
        value = values[0] if values else None
        return value if isinstance(value, dict) else {}

    async def watch_files(self) -> None:
        caps = self.client_capabilities.workspace
        watched = caps.did_change_watched_files if caps else None
        if not (watched and watched.dynamic_registration):
            return
        options = types.DidChangeWatchedFilesRegistrationOptions(
            watchers=[types.FileSystemWatcher(glob_pattern=pattern) for pattern in WATCHED]
        )
        registration = types.Registration(
            id=str(uuid.uuid4()),
            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=options,
        )
        try:
            await asyncio.wait_for(
                self.client_register_capability_async(types.RegistrationParams([registration])),
                CLIENT_TIMEOUT,
            )
        except Exception as error:  # noqa: BLE001 - without a watcher, saves still update
            self.log(f"could not register file watchers: {error}")

    async def index(self, state: AnalysisState) -> None:
        window = self.client_capabilities.window
        token = f"glacier-index-{uuid.uuid4()}"
        progress = self.work_done_progress
        try:
            if not (window and window.work_done_progress):
                raise RuntimeError("the client does not show progress")
            await asyncio.wait_for(progress.create_async(token), CLIENT_TIMEOUT)
        except Exception:  # noqa: BLE001 - index without a progress bar
            await state.index(lambda done, total: None)
            return
        progress.begin(token, types.WorkDoneProgressBegin(title="Glacier: indexing", percentage=0))

        def report(done: int, total: int) -> None:
            percentage = int(100 * done / total) if total else 100
            progress.report(
                token,
                types.WorkDoneProgressReport(
                    message=f"{done}/{total} files", percentage=percentage
                ),
            )

        try:
            await state.index(report)
        finally:
            progress.end(token, types.WorkDoneProgressEnd(message="Glacier: indexed"))

    async def reconfigure(self, configured: dict[str, Any] | None = None) -> None:
        """Re-read ``[tool.glacier]`` and the client's settings, then re-analyse."""
        if self.state is None:
            return
        if configured is None:
            configured = await self.fetch_configuration()
        self.client_settings = configured or self.init_settings
        await self.state.update_settings(
            settings.build(
                self.state.root, self.client_settings, self.log, warn=self.warn_settings
            )
        )

    # --- documents -----------------------------------------------------------------------------

    def document_changed(self, uri: str) -> None:
        path = uri_to_path(uri)
        if self.state is None or path is None or not path.endswith(".py"):
            return
        document = self.workspace.get_text_document(uri)
        self.state.document_changed(OpenDocument(uri, path, document.version, document.source))

    async def lookup(self, uri: str, fresh: bool = True) -> tuple[Snapshot, str, LineIndex] | None:
        """The snapshot, path and current lines for a request about ``uri``; ``fresh``: after
        analysing pending edits (completion only needs names, so it skips that)."""
        path = uri_to_path(uri)
        state = await self.ready_state()
        if state is None or path is None:
            return None
        await state.indexed.wait()
        snapshot = await state.flush() if fresh or state.snapshot is None else state.snapshot
        if snapshot is None:
            return None
        return snapshot, path, state.lines(path)

    async def ready_state(self) -> AnalysisState | None:
        """The state, once ``initialized`` has created it (requests may arrive first)."""
        try:
            await asyncio.wait_for(self.started.wait(), STARTUP_TIMEOUT)
        except asyncio.TimeoutError:
            return None
        return self.state


def create_server() -> GlacierLanguageServer:
    """A new server with every handler registered."""
    server = GlacierLanguageServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: GlacierLanguageServer, params: types.InitializeParams) -> None:
        caps = params.capabilities
        ls.pull = bool(caps.text_document and caps.text_document.diagnostic is not None)
        ls.refresh_support = bool(
            caps.workspace
            and caps.workspace.diagnostics
            and caps.workspace.diagnostics.refresh_support
        )
        ls.init_settings = settings.from_initialization_options(params.initialization_options)
        ls.client_settings = ls.init_settings
        if ls.pull:
            ls.feature(
                types.TEXT_DOCUMENT_DIAGNOSTIC,
                types.DiagnosticOptions(
                    identifier="glacier",
                    inter_file_dependencies=True,
                    workspace_diagnostics=False,
                ),
            )(pull_diagnostics)

    async def pull_diagnostics(
        ls: GlacierLanguageServer, params: types.DocumentDiagnosticParams
    ) -> types.DocumentDiagnosticReport:
        path = uri_to_path(params.text_document.uri)
        state = await ls.ready_state()
        if state is None or path is None or await state.settle() is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        report = state.diagnostics(path)
        if params.previous_result_id == report.result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=report.result_id)
        return types.RelatedFullDocumentDiagnosticReport(
            items=report.items, result_id=report.result_id
        )

    @server.feature(types.INITIALIZED)
    async def initialized(ls: GlacierLanguageServer, params: types.InitializedParams) -> None:
        await ls.start()

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: GlacierLanguageServer, params: None) -> None:
        if ls.state is not None:
            ls.state.close()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: GlacierLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.document_changed(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: GlacierLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.document_changed(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: GlacierLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        if ls.state is not None:
            ls.state.schedule(0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: GlacierLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        path = uri_to_path(params.text_document.uri)
        if ls.state is not None and path is not None:
            ls.state.document_closed(path)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def watched_files(
        ls: GlacierLanguageServer, params: types.DidChangeWatchedFilesParams
    ) -> None:
        paths = [p for change in params.changes if (p := uri_to_path(change.uri))]
        if any(Path(p).name == "pyproject.toml" for p in paths):
            await ls.reconfigure()
        if ls.state is not None:
            ls.state.files_changed(p for p in paths if p.endswith(".py"))

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def configuration_changed(
        ls: GlacierLanguageServer, params: types.DidChangeConfigurationParams
    ) -> None:
        await ls.reconfigure(settings.from_notification(params.settings))

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: GlacierLanguageServer, params: types.HoverParams) -> types.Hover | None:
        found = await ls.lookup(params.text_document.uri)
        if found is None:
            return None
        snapshot, path, lines = found
        text = features.hover(snapshot.result, path, *lines.point(params.position))
        return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, text)) if text else None

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    async def definition(
        ls: GlacierLanguageServer, params: types.DefinitionParams
    ) -> list[types.Location] | None:
        found = await ls.lookup(params.text_document.uri)
        if found is None or ls.state is None:
            return None
        snapshot, path, lines = found
        span = features.definition(snapshot.result, path, *lines.point(params.position))
        return [ls.state.location(span)] if span else None

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    async def references(
        ls: GlacierLanguageServer, params: types.ReferenceParams
    ) -> list[types.Location] | None:
        found = await ls.lookup(params.text_document.uri)
        if found is None or ls.state is None:
            return None
        snapshot, path, lines = found
        spans = features.references(
            snapshot.result,
            path,
            *lines.point(params.position),
            include_declaration=params.context.include_declaration,
        )
        return [ls.state.location(span) for span in spans] if spans else None

    @server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
    async def prepare_rename(
        ls: GlacierLanguageServer, params: types.PrepareRenameParams
    ) -> types.PrepareRenamePlaceholder | None:
        found = await ls.lookup(params.text_document.uri)
        if found is None:
            return None
        snapshot, path, lines = found
        target = features.rename_target(snapshot.result, path, *lines.point(params.position))
        if target is None:
            return None
        return types.PrepareRenamePlaceholder(lines.range(target.span), target.variable)

    @server.feature(types.TEXT_DOCUMENT_RENAME)
    async def rename(
        ls: GlacierLanguageServer, params: types.RenameParams
    ) -> types.WorkspaceEdit | None:
        found = await ls.lookup(params.text_document.uri)
        if found is None or ls.state is None:
            return None
        snapshot, path, lines = found
        spans = features.rename_spans(
            snapshot.result, path, *lines.point(params.position), ls.state.span_text
        )
        if not params.new_name.isidentifier():
            raise ValueError(f"`{params.new_name}` is not a Python identifier")
        return ls.state.workspace_edit([(span, params.new_name) for span in spans])

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    async def document_symbols(
        ls: GlacierLanguageServer, params: types.DocumentSymbolParams
    ) -> list[types.DocumentSymbol] | None:
        found = await ls.lookup(params.text_document.uri)
        if found is None:
            return None
        snapshot, path, lines = found
        return features.document_symbols(snapshot.result, path, lines)

    @server.feature(types.WORKSPACE_SYMBOL)
    async def workspace_symbols(
        ls: GlacierLanguageServer, params: types.WorkspaceSymbolParams
    ) -> list[types.WorkspaceSymbol] | None:
        state = await ls.ready_state()
        snapshot = await state.flush() if state is not None else None
        if snapshot is None or state is None:
            return None
        return features.workspace_symbols(snapshot.result.project, params.query, state.location)

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=[":", ">", "[", ","]),
    )
    async def completion(
        ls: GlacierLanguageServer, params: types.CompletionParams
    ) -> types.CompletionList | None:
        found = await ls.lookup(params.text_document.uri, fresh=False)
        if found is None:
            return None
        snapshot, _, lines = found
        items = features.completion(snapshot.result.project, lines, params.position)
        return types.CompletionList(is_incomplete=False, items=items) if items else None

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    async def code_action(
        ls: GlacierLanguageServer, params: types.CodeActionParams
    ) -> list[types.CodeAction] | None:
        found = await ls.lookup(params.text_document.uri)
        if found is None or ls.state is None:
            return None
        snapshot, path, _ = found
        return actions.code_actions(ls.state, snapshot.result, path, params) or None

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS)
    async def code_lens(
        ls: GlacierLanguageServer, params: types.CodeLensParams
    ) -> list[types.CodeLens] | None:
        found = await ls.lookup(params.text_document.uri)
        if found is None:
            return None
        snapshot, path, lines = found
        return (
            actions.code_lenses(snapshot.result.project, path, lines, params.text_document.uri)
            or None
        )

    @server.feature(graph_request.METHOD)
    async def graph(ls: GlacierLanguageServer, params: Any) -> dict[str, str]:
        request = graph_request.parse(params)
        found = await ls.lookup(request.uri)
        if found is None:
            raise ValueError(f"no Glacier project for {request.uri}")
        return {"content": graph_request.render(found[0].result.project, found[1], request)}

    return server


__all__ = ["GlacierLanguageServer", "create_server", "path_to_uri"]

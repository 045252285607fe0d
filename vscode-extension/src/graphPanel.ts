/** The "Glacier: Show Pipeline Graph" webview beside the editor. */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { findIdentifier, GraphModel, parseGraphModel, pipelineLabel, pipelinesInFile, SourceLocation } from './graphModel';
import { GlacierServer } from './server';
import { prepareSvg, svgNodeIds, themeKindName } from './theme';
import { handleWebviewMessage, humanizeGraphError as humanize, ToWebview } from './webviewProtocol';
import { makeNonce, renderWebviewHtml } from './webviewHtml';

export const GRAPH_VIEW_TYPE = 'glacier.graph';
const REFRESH_DELAY_MS = 400;

/** What tests can read through the `glacier._graphState` command. */
export interface GraphSnapshot {
  uri?: string;
  pipeline: string | null;
  svg?: string;
  message?: { title: string; message: string; kind: string };
  renders: number;
  visible: boolean;
  tasks: string[];
  datasets: string[];
  lastReveal?: SourceLocation;
}

export function pathCandidates(uri: vscode.Uri): string[] {
  const out = [uri.fsPath];
  try {
    out.push(fs.realpathSync(uri.fsPath));
  } catch {
    /* unsaved or missing */
  }
  return out;
}

export class GraphPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private target: { uri: vscode.Uri; pipeline: string | null } | undefined;
  private model: GraphModel | undefined;
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;
  private cancel: vscode.CancellationTokenSource | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly snapshot: GraphSnapshot = { pipeline: null, renders: 0, visible: false, tasks: [], datasets: [] };
  private readonly renderEmitter = new vscode.EventEmitter<GraphSnapshot>();
  readonly onDidRender = this.renderEmitter.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly server: GlacierServer,
  ) {
    this.disposables.push(
      vscode.workspace.onDidChangeTextDocument((e) => this.onDocumentEvent(e.document)),
      vscode.workspace.onDidSaveTextDocument((d) => this.onDocumentEvent(d)),
      vscode.window.onDidChangeActiveTextEditor((e) => this.onActiveEditor(e)),
      // The analysis result changed: a graph that failed (e.g. the server was still indexing) is re-fetched.
      vscode.languages.onDidChangeDiagnostics((e) => {
        if (this.panel && this.target && this.snapshot.message && e.uris.some((u) => u.toString() === this.target!.uri.toString())) {
          this.schedule(REFRESH_DELAY_MS);
        }
      }),
      vscode.window.onDidChangeActiveColorTheme((t) => this.post({ type: 'theme', theme: themeKindName(t.kind) })),
      server.onDidChangeState((s) => {
        if (this.panel && (s === 'running' || s === 'not-installed' || s === 'failed')) {
          this.schedule(0);
        }
      }),
    );
  }

  get state(): GraphSnapshot {
    return { ...this.snapshot, uri: this.target?.uri.toString(), pipeline: this.target?.pipeline ?? null, visible: !!this.panel?.visible };
  }

  /** Opens (or reveals) the panel for `uri` (default: the active python editor) and `pipeline`. */
  async show(uri?: vscode.Uri, pipeline?: string | null): Promise<void> {
    const doc = vscode.window.activeTextEditor?.document;
    const targetUri = uri ?? (doc && doc.languageId === 'python' ? doc.uri : this.target?.uri);
    if (targetUri) {
      this.target = { uri: targetUri, pipeline: pipeline ?? null };
    }
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel(
        GRAPH_VIEW_TYPE,
        'Glacier Graph',
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
        {
          enableScripts: true,
          retainContextWhenHidden: true,
          localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist')],
        },
      );
      const webview = this.panel.webview;
      webview.html = renderWebviewHtml({
        cspSource: webview.cspSource,
        nonce: makeNonce(),
        scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview.js')).toString(),
      });
      webview.onDidReceiveMessage((m) => this.onMessage(m), undefined, this.disposables);
      this.panel.onDidDispose(() => {
        this.panel = undefined;
        this.cancel?.cancel();
      });
    } else {
      this.panel.reveal(vscode.ViewColumn.Beside, true);
    }
    if (!this.target) {
      this.postMessage('No Python file', 'Open a Python file with a Glacier pipeline, then run "Glacier: Show Pipeline Graph".', 'info');
      return;
    }
    await this.refresh();
  }

  private onDocumentEvent(doc: vscode.TextDocument): void {
    if (this.panel && this.target && doc.uri.toString() === this.target.uri.toString()) {
      this.schedule(REFRESH_DELAY_MS);
    }
  }

  private onActiveEditor(editor: vscode.TextEditor | undefined): void {
    if (!this.panel || !editor || editor.document.languageId !== 'python' || editor.document.uri.scheme === 'output') {
      return;
    }
    if (this.target?.uri.toString() !== editor.document.uri.toString()) {
      this.target = { uri: editor.document.uri, pipeline: null };
      this.schedule(0);
    }
  }

  private schedule(delay: number): void {
    if (this.timer) {
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.refresh();
    }, delay);
  }

  private post(msg: ToWebview): void {
    void this.panel?.webview.postMessage(msg);
  }

  private postMessage(title: string, message: string, kind: 'info' | 'error' | 'loading'): void {
    this.snapshot.message = { title, message, kind };
    this.snapshot.svg = undefined;
    this.snapshot.tasks = [];
    this.snapshot.datasets = [];
    this.snapshot.renders++;
    this.post({ type: 'message', title, message, kind });
    this.renderEmitter.fire(this.state);
  }

  /** Requests svg and json for the target and renders the result (or a readable message). */
  async refresh(): Promise<void> {
    if (!this.panel || !this.target) {
      return;
    }
    const target = this.target;
    const seq = ++this.seq;
    this.cancel?.cancel();
    const cancel = (this.cancel = new vscode.CancellationTokenSource());
    const file = path.basename(target.uri.fsPath);
    this.panel.title = `Glacier Graph: ${file}`;
    if (this.server.state !== 'running') {
      this.post({ type: 'message', title: file, message: 'Waiting for the Glacier language server…', kind: 'loading' });
    }
    const params = { uri: target.uri.toString(), pipeline: target.pipeline };
    const [svgResult, jsonResult] = await Promise.allSettled([
      this.server.graph({ ...params, format: 'svg' }, cancel.token),
      this.server.graph({ ...params, format: 'json' }, cancel.token),
    ]);
    if (seq !== this.seq || !this.panel) {
      return; // a newer refresh is under way
    }
    let model: GraphModel | undefined;
    if (jsonResult.status === 'fulfilled') {
      try {
        model = parseGraphModel(jsonResult.value);
        this.model = model;
      } catch (e) {
        this.server.log(`glacier/graph json: ${(e as Error).message}`);
      }
    }
    const inFile = model ? pipelinesInFile(model, pathCandidates(target.uri)) : [];
    if (svgResult.status === 'rejected') {
      const reason = errorText(svgResult.reason);
      this.server.log(`glacier/graph failed for ${target.uri.toString()}: ${reason}`);
      this.postMessage(`No graph for ${file}`, humanize(reason), this.server.state === 'running' ? 'info' : 'error');
      return;
    }
    const svg = prepareSvg(svgResult.value);
    const ids = svgNodeIds(svg);
    if (!/<svg[\s>]/i.test(svg)) {
      this.postMessage(`No graph for ${file}`, 'The language server did not return an SVG picture. See "Glacier: Show Output".', 'error');
      return;
    }
    if (ids.tasks.length === 0 && ids.datasets.length === 0 && model && inFile.length === 0) {
      this.postMessage(`No pipeline in ${file}`, `${file} defines no Glacier pipeline. Open a file that builds a Pipeline([...]), or use the code lens above a pipeline.`, 'info');
      return;
    }
    const pipelines: { value: string | null; label: string }[] = [];
    if (inFile.length > 1) {
      pipelines.push({ value: null, label: 'All pipelines in this file' });
    }
    for (const p of inFile) {
      if (p.name !== null || p.variable) {
        pipelines.push({ value: p.name ?? p.variable ?? null, label: pipelineLabel(p) });
      }
    }
    const shown = target.pipeline ?? (inFile.length === 1 ? pipelineLabel(inFile[0]) : undefined);
    Object.assign(this.snapshot, { svg, message: undefined, tasks: ids.tasks, datasets: ids.datasets });
    this.snapshot.renders++;
    this.post({ type: 'graph', svg, title: shown ? `${file} — ${shown}` : file, pipelines, selected: target.pipeline });
    this.post({ type: 'theme', theme: themeKindName(vscode.window.activeColorTheme.kind) });
    this.renderEmitter.fire(this.state);
  }

  private async onMessage(raw: unknown): Promise<void> {
    const action = handleWebviewMessage(raw, this.model);
    switch (action.kind) {
      case 'ready':
      case 'refresh':
        this.schedule(0);
        break;
      case 'selectPipeline':
        if (this.target) {
          this.target = { ...this.target, pipeline: action.pipeline };
          this.schedule(0);
        }
        break;
      case 'reveal':
        await this.reveal(action.location);
        break;
      case 'notFound':
        this.server.log(`Graph click: ${action.reason}`);
        void vscode.window.showInformationMessage(`Glacier: ${action.reason}.`);
        break;
      case 'ignore':
        break;
    }
  }

  async reveal(location: SourceLocation): Promise<void> {
    const uri = vscode.Uri.file(location.filename);
    const doc = await vscode.workspace.openTextDocument(uri);
    const line = Math.min(Math.max(location.line - 1, 0), Math.max(doc.lineCount - 1, 0));
    const lines: string[] = [];
    for (let i = line; i < Math.min(doc.lineCount, line + 10); i++) {
      lines.push(doc.lineAt(i).text);
    }
    const found = findIdentifier(lines, 0, location.name);
    const range = found ? new vscode.Range(line + found[0], found[1], line + found[0], found[2]) : new vscode.Range(line, 0, line, 0);
    // Open it in the editor group that holds the file already, else the first group (not over the graph).
    const existing = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === doc.uri.toString());
    const viewColumn = existing?.viewColumn ?? vscode.ViewColumn.One;
    await vscode.window.showTextDocument(doc, { viewColumn, selection: range, preserveFocus: false });
    this.snapshot.lastReveal = location;
  }

  dispose(): void {
    if (this.timer) {
      clearTimeout(this.timer);
    }
    this.panel?.dispose();
    this.renderEmitter.dispose();
    vscode.Disposable.from(...this.disposables).dispose();
  }
}

function errorText(e: unknown): string {
  if (e instanceof Error) {
    return e.message;
  }
  if (e && typeof e === 'object' && 'message' in e) {
    return String((e as { message: unknown }).message);
  }
  return String(e);
}

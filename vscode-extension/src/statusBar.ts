/** Status-bar item: pipelines and errors of the active python file. */
import * as vscode from 'vscode';
import { parseGraphModel, pipelinesInFile } from './graphModel';
import { pathCandidates } from './graphPanel';
import { GlacierServer } from './server';
import { formatStatus, StatusView } from './statusText';

const PIPELINE_REFRESH_MS = 600;

/** Error diagnostics from Glacier in `uri`. */
export function glacierErrorCount(uri: vscode.Uri): number {
  return vscode.languages
    .getDiagnostics(uri)
    .filter((d) => d.severity === vscode.DiagnosticSeverity.Error)
    .filter((d) => {
      const code = typeof d.code === 'object' && d.code !== null ? d.code.value : d.code;
      return d.source === 'glacier' || /^GLC\d+/.test(String(code ?? ''));
    }).length;
}

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly pipelines = new Map<string, { version: number; count: number }>();
  private timer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  view: StatusView | undefined;

  constructor(private readonly server: GlacierServer) {
    this.item = vscode.window.createStatusBarItem('glacier.status', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'Glacier';
    this.disposables.push(
      this.item,
      vscode.window.onDidChangeActiveTextEditor(() => this.refresh(0)),
      vscode.languages.onDidChangeDiagnostics((e) => {
        const active = this.activeUri();
        if (active && e.uris.some((u) => u.toString() === active.toString())) {
          if (this.pipelines.has(active.toString())) {
            this.render();
          } else {
            this.refresh(0); // count not known yet (e.g. the server was still indexing)
          }
        }
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.toString() === this.activeUri()?.toString()) {
          this.refresh(PIPELINE_REFRESH_MS);
        }
      }),
      vscode.workspace.onDidSaveTextDocument((d) => {
        if (d.uri.toString() === this.activeUri()?.toString()) {
          this.refresh(0);
        }
      }),
      server.onDidChangeState((s) => {
        if (s === 'running') {
          this.pipelines.clear();
          this.refresh(0);
        } else {
          this.render();
        }
      }),
    );
    this.refresh(0);
  }

  private activeUri(): vscode.Uri | undefined {
    const doc = vscode.window.activeTextEditor?.document;
    return doc && doc.languageId === 'python' ? doc.uri : undefined;
  }

  /** Re-counts the pipelines of the active file after `delay` ms, then renders. */
  refresh(delay: number): void {
    this.render();
    if (this.timer) {
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => void this.countPipelines(), delay);
  }

  private async countPipelines(): Promise<void> {
    const doc = vscode.window.activeTextEditor?.document;
    if (!doc || doc.languageId !== 'python' || this.server.state !== 'running') {
      return;
    }
    const key = doc.uri.toString();
    const version = doc.version;
    try {
      const content = await this.server.graph({ uri: key, pipeline: null, format: 'json' });
      const count = pipelinesInFile(parseGraphModel(content), pathCandidates(doc.uri)).length;
      this.pipelines.set(key, { version, count });
    } catch (e) {
      this.server.log(`Counting pipelines of ${key}: ${(e as Error).message ?? e}`);
      this.pipelines.delete(key);
    }
    this.render();
  }

  render(): void {
    const uri = this.activeUri();
    if (!uri) {
      this.item.hide();
      this.view = undefined;
      return;
    }
    const view = formatStatus({
      state: this.server.state,
      pipelines: this.pipelines.get(uri.toString())?.count,
      errors: glacierErrorCount(uri),
    });
    this.view = view;
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.command = view.command;
    this.item.backgroundColor = view.alert ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
  }

  dispose(): void {
    if (this.timer) {
      clearTimeout(this.timer);
    }
    vscode.Disposable.from(...this.disposables).dispose();
  }
}

/** Glacier for VS Code: starts `python -m glacier_lsp` and adds the pipeline graph view. */
import * as vscode from 'vscode';
import { GraphPanel } from './graphPanel';
import { onPythonEnvironmentChange } from './pythonExtension';
import { GlacierServer } from './server';
import { StatusBar } from './statusBar';

export interface GlacierExtensionApi {
  server: GlacierServer;
  graph: GraphPanel;
  status: StatusBar;
}

function toUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) {
    return arg;
  }
  if (typeof arg === 'string' && arg) {
    return /^[a-z][a-z0-9+.-]*:/i.test(arg) && !/^[a-z]:[\\/]/i.test(arg) ? vscode.Uri.parse(arg) : vscode.Uri.file(arg);
  }
  if (arg && typeof arg === 'object' && 'uri' in arg) {
    return toUri((arg as { uri: unknown }).uri);
  }
  return undefined;
}

let current: GlacierServer | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<GlacierExtensionApi> {
  const output = vscode.window.createOutputChannel('Glacier');
  const server = new GlacierServer(output);
  current = server;
  const graph = new GraphPanel(context.extensionUri, server);
  const status = new StatusBar(server);
  context.subscriptions.push(output, server, graph, status);

  context.subscriptions.push(
    // Also the code lens command: arguments [uri, pipelineName | null], both optional.
    vscode.commands.registerCommand('glacier.showGraph', async (uri?: unknown, pipeline?: unknown) => {
      await graph.show(toUri(uri), typeof pipeline === 'string' ? pipeline : null);
    }),
    vscode.commands.registerCommand('glacier.restartServer', async () => {
      await server.restart();
    }),
    vscode.commands.registerCommand('glacier.showOutput', () => output.show(true)),
    // For the end-to-end tests (not contributed to the command palette).
    vscode.commands.registerCommand('glacier._lastGraphSvg', () => graph.state.svg),
    vscode.commands.registerCommand('glacier._graphState', () => graph.state),
    vscode.commands.registerCommand('glacier._statusBar', () => {
      status.render();
      return status.view;
    }),
    vscode.commands.registerCommand('glacier._serverState', () => ({
      state: server.state,
      interpreter: server.interpreter,
      problem: server.lastProblem,
    })),
  );

  // Restart (debounced) when the interpreter changes; select/ignore/severity reach the running server
  // through workspace/didChangeConfiguration and workspace/configuration instead.
  let restartTimer: NodeJS.Timeout | undefined;
  const restartSoon = (why: string) => {
    if (restartTimer) {
      clearTimeout(restartTimer);
    }
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      server.log(`${why}: restarting the server.`);
      void server.restart();
    }, 500);
  };
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('glacier.interpreter')) {
        restartSoon('glacier.interpreter changed');
      }
    }),
    { dispose: () => restartTimer && clearTimeout(restartTimer) },
  );
  void onPythonEnvironmentChange(
    () => {
      const setting = vscode.workspace.getConfiguration('glacier').get<unknown>('interpreter');
      if (!setting || (Array.isArray(setting) && setting.length === 0)) {
        restartSoon("The Python extension's active environment changed");
      }
    },
    (m) => server.log(m),
  ).then((d) => d && context.subscriptions.push(d));

  void server.start();
  return { server, graph, status };
}

export function deactivate(): Thenable<void> | undefined {
  // Stop the client (shutdown + exit) so no python process outlives the window.
  return current?.stop();
}

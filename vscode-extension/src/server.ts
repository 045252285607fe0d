/** Starting, stopping and talking to `python -m glacier_lsp` through vscode-languageclient. */
import * as cp from 'child_process';
import * as os from 'os';
import * as vscode from 'vscode';
import { ExecuteCommandRequest, LanguageClient, LanguageClientOptions, RevealOutputChannelOn, ServerOptions, State } from 'vscode-languageclient/node';
import { chooseInterpreter, displayCommand, InterpreterChoice, serverCommand, SERVER_MODULE } from './interpreter';
import { classifyImportCheck, installCommand, problemMessage, ServerProblem } from './messages';
import { activePythonFromExtension } from './pythonExtension';
import { ServerState } from './statusText';

export const GRAPH_REQUEST = 'glacier/graph';
/** How long after the server started a failing glacier/graph request is retried. */
const STARTUP_RETRY_MS = 15000;

export interface GraphParams {
  uri: string;
  pipeline: string | null;
  format: 'svg' | 'dot' | 'json';
}

/** Commands the extension implements itself; never let the server's executeCommandProvider take them. */
export const CLIENT_COMMANDS = new Set(['glacier.showGraph', 'glacier.restartServer', 'glacier.showOutput']);

export function glacierSettings(scope?: vscode.ConfigurationScope): { select: string[]; ignore: string[]; severity: Record<string, string> } {
  const c = vscode.workspace.getConfiguration('glacier', scope);
  return {
    select: c.get<string[]>('select', []),
    ignore: c.get<string[]>('ignore', []),
    severity: c.get<Record<string, string>>('severity', {}),
  };
}

function runImportCheck(choice: InterpreterChoice, cwd: string | undefined): Promise<ServerProblem | undefined> {
  const { command, args } = serverCommand(choice);
  const checkArgs = [...args.slice(0, -2), '-c', `import ${SERVER_MODULE}`];
  return new Promise((resolve) => {
    cp.execFile(command, checkArgs, { cwd, timeout: 30000, windowsHide: true }, (error, _stdout, stderr) => {
      const err = error as (cp.ExecFileException & { code?: string | number }) | null;
      resolve(
        classifyImportCheck({
          spawnErrorCode: err && typeof err.code === 'string' ? err.code : undefined,
          exitCode: err ? (typeof err.code === 'number' ? err.code : 1) : 0,
          stderr: String(stderr ?? ''),
        }),
      );
    });
  });
}

export class GlacierServer implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private _state: ServerState = 'stopped';
  private readonly stateEmitter = new vscode.EventEmitter<ServerState>();
  readonly onDidChangeState = this.stateEmitter.event;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly notified = new Set<string>();
  interpreter: InterpreterChoice | undefined;
  private runningSince = 0;
  lastProblem: ServerProblem | undefined;

  constructor(private readonly output: vscode.OutputChannel) {}

  get state(): ServerState {
    return this._state;
  }

  private setState(s: ServerState): void {
    if (s !== this._state) {
      this._state = s;
      void vscode.commands.executeCommand('setContext', 'glacier.serverRunning', s === 'running');
      this.stateEmitter.fire(s);
    }
  }

  log(msg: string): void {
    this.output.appendLine(`[${new Date().toLocaleTimeString()}] ${msg}`);
  }

  /** Serialises start/stop/restart so that a burst of restarts cannot interleave. */
  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const next = this.queue.then(job, job);
    this.queue = next.catch(() => undefined);
    return next;
  }

  start(): Promise<void> {
    return this.enqueue(() => this.doStart());
  }

  stop(): Promise<void> {
    return this.enqueue(() => this.doStop());
  }

  restart(): Promise<void> {
    return this.enqueue(async () => {
      await this.doStop();
      await this.doStart(true);
    });
  }

  async resolveInterpreter(): Promise<InterpreterChoice> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    const resource = vscode.window.activeTextEditor?.document.uri ?? folder?.uri;
    const setting = vscode.workspace.getConfiguration('glacier', resource).get<unknown>('interpreter');
    const vars = { workspaceFolder: folder?.uri.fsPath, userHome: os.homedir(), env: process.env };
    let choice = chooseInterpreter({ setting, vars });
    if (choice.source === 'default') {
      const fromExt = await activePythonFromExtension(resource, (m) => this.log(m));
      choice = chooseInterpreter({ setting, pythonExtension: fromExt, vars });
    }
    return choice;
  }

  private async doStart(userAsked = false): Promise<void> {
    if (this.client) {
      return;
    }
    this.setState('starting');
    const choice = await this.resolveInterpreter();
    this.interpreter = choice;
    const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const { command, args } = serverCommand(choice);
    this.log(`Interpreter (${choice.source}): ${displayCommand(choice.command)}`);
    const problem = await runImportCheck(choice, cwd);
    this.lastProblem = problem;
    if (problem) {
      const text = problemMessage(choice, problem);
      this.log(text);
      this.setState('not-installed');
      const key = `${displayCommand(choice.command)}|${problem.kind}`;
      if (userAsked || !this.notified.has(key)) {
        this.notified.add(key);
        void this.notify(choice, text);
      }
      return;
    }
    this.log(`Starting: ${displayCommand([command, ...args])}${cwd ? ` (cwd ${cwd})` : ''}`);
    const serverOptions: ServerOptions = {
      command,
      args,
      // No `transport`: plain stdio without the `--stdio` argument the client would otherwise append.
      options: { cwd, env: { ...process.env, PYTHONUNBUFFERED: '1' } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: 'file', language: 'python' },
        { scheme: 'untitled', language: 'python' },
      ],
      outputChannel: this.output,
      traceOutputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: { settings: glacierSettings(vscode.workspace.workspaceFolders?.[0]) },
      synchronize: {
        // workspace/didChangeConfiguration on changes; workspace/configuration for section "glacier"
        // is answered from the same settings.
        configurationSection: 'glacier',
        fileEvents: vscode.workspace.createFileSystemWatcher('**/{*.py,pyproject.toml}'),
      },
    };
    const client = new LanguageClient('glacier', 'Glacier', serverOptions, clientOptions);
    this.protectClientCommands(client);
    client.onDidChangeState((e) => {
      if (this.client !== client) {
        return;
      }
      if (e.newState === State.Running) {
        this.runningSince = Date.now();
        this.setState('running');
      } else if (e.newState === State.Starting) {
        this.setState('starting');
      } else if (e.newState === State.Stopped) {
        this.setState('stopped');
      }
    });
    this.client = client;
    try {
      await client.start();
      this.setState('running');
      this.log(`Glacier language server is running (${displayCommand([command, ...args])}).`);
    } catch (e) {
      this.log(`The Glacier language server failed to start: ${(e as Error).message ?? e}`);
      this.client = undefined;
      this.setState('failed');
      try {
        await client.dispose(2000);
      } catch {
        /* already gone */
      }
      void vscode.window
        .showErrorMessage(`The Glacier language server failed to start with ${displayCommand(choice.command)}. See the Glacier output for details.`, 'Show Output')
        .then((a) => (a ? this.output.show(true) : undefined));
    }
  }

  /** Drops client-side command ids from the server's executeCommandProvider registration. */
  private protectClientCommands(client: LanguageClient): void {
    try {
      const feature = client.getFeature(ExecuteCommandRequest.method) as unknown as { register(data: { registerOptions: { commands?: string[] } }): void };
      const original = feature.register.bind(feature);
      feature.register = (data) => {
        const commands = (data.registerOptions.commands ?? []).filter((c) => !CLIENT_COMMANDS.has(c));
        original({ ...data, registerOptions: { ...data.registerOptions, commands } });
      };
    } catch (e) {
      this.log(`(could not guard client commands: ${(e as Error).message})`);
    }
  }

  private async notify(choice: InterpreterChoice, text: string): Promise<void> {
    const actions = ['Copy Install Command', 'Open Settings', 'Show Output'];
    if (vscode.extensions.getExtension('ms-python.python')) {
      actions.splice(1, 0, 'Select Interpreter');
    }
    const action = await vscode.window.showErrorMessage(text, ...actions);
    if (action === 'Copy Install Command') {
      await vscode.env.clipboard.writeText(installCommand(choice));
      void vscode.window.showInformationMessage(`Copied: ${installCommand(choice)}. Run it in a terminal, then "Glacier: Restart Server".`);
    } else if (action === 'Open Settings') {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'glacier.interpreter');
    } else if (action === 'Select Interpreter') {
      await vscode.commands.executeCommand('python.setInterpreter');
    } else if (action === 'Show Output') {
      this.output.show(true);
    }
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      this.log('Stopping the Glacier language server.');
      try {
        await client.stop(5000);
      } catch (e) {
        this.log(`(stop: ${(e as Error).message})`);
      }
      try {
        await client.dispose(1000);
      } catch {
        /* ignore */
      }
    }
    this.setState('stopped');
  }

  /** Waits until the server runs (or settles in a state where it will not). */
  async ready(timeoutMs = 60000): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (this._state === 'running' && this.client?.isRunning()) {
        return true;
      }
      if (this._state === 'not-installed' || this._state === 'failed') {
        return false;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  }

  async graph(params: GraphParams, token?: vscode.CancellationToken): Promise<string> {
    if (!(await this.ready(30000)) || !this.client) {
      throw new Error(this.notRunningReason());
    }
    const client = this.client;
    for (let attempt = 0; ; attempt++) {
      try {
        // Never pass `undefined` as the token: vscode-jsonrpc would then send [params, null] as positional params.
        const result = token
          ? await client.sendRequest<{ content?: unknown } | null>(GRAPH_REQUEST, params, token)
          : await client.sendRequest<{ content?: unknown } | null>(GRAPH_REQUEST, params);
        if (!result || typeof result.content !== 'string') {
          throw new Error('the language server returned no graph');
        }
        return result.content;
      } catch (e) {
        // Right after start the server may still be indexing the workspace and fail the request;
        // retry for a short while before reporting the error.
        const young = Date.now() - this.runningSince < STARTUP_RETRY_MS;
        if (!young || token?.isCancellationRequested || this.client !== client) {
          throw e;
        }
        await new Promise((r) => setTimeout(r, Math.min(2000, 250 * 2 ** attempt)));
      }
    }
  }

  notRunningReason(): string {
    if (this._state === 'not-installed' && this.interpreter && this.lastProblem) {
      return problemMessage(this.interpreter, this.lastProblem);
    }
    return 'The Glacier language server is not running. Run "Glacier: Restart Server", or see "Glacier: Show Output".';
  }

  dispose(): void {
    void this.stop();
    this.stateEmitter.dispose();
  }
}

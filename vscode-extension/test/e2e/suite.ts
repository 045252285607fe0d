/**
 * End-to-end tests. This module runs INSIDE the extension host of a real VS Code (code-server), loaded
 * through `extensionTestsPath`; it drives the installed .vsix through the `vscode` API and asks the
 * Playwright driver (drive.js) for browser-side checks via `@@PW {...}` log lines.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { applyThemeFilter, contrastRatio, relativeLuminance, Rgb, ThemeName } from '../../src/theme';

const EXTENSION_ID = 'glacier.glacier';
const ARTIFACTS = process.env.GLACIER_E2E_ARTIFACTS ?? '';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const t0 = Date.now();
const log = (...a: unknown[]) => console.log('[e2e]', `+${((Date.now() - t0) / 1000).toFixed(1)}s`, ...a);

async function waitFor<T>(what: string, fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, ms = 20000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) {
        return v;
      }
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) {
      throw new Error(`timed out after ${ms} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    }
    await sleep(150);
  }
}

type PwAction =
  | { type: 'screenshot'; name: string; settleMs?: number }
  | { type: 'probeWebview'; want?: 'graph' | 'message' }
  | { type: 'clickNode'; id: string }
  | { type: 'text'; selector: string; timeout?: number }
  | { type: 'texts'; selector: string; timeout?: number }
  | { type: 'press'; key: string }
  | { type: 'wait'; ms: number };

interface WebviewProbe {
  found: boolean;
  bodyClass: string;
  graphVisible: boolean;
  messageVisible: boolean;
  messageText: string;
  title: string;
  taskIds: string[];
  datasetIds: string[];
  textFill: string | null;
  taskFill: string | null;
  background: string | null;
  svgFilter: string | null;
}

let pwSeq = 0;
/** Asks the Playwright driver to do browser-side work; returns one result per action. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function pw(actions: PwAction[], ms = 45000): Promise<any[]> {
  const id = `${++pwSeq}-${Date.now()}`;
  const file = path.join(ARTIFACTS, '.pw', `${id}.json`);
  console.log(`@@PW ${JSON.stringify({ id, actions })}`);
  await waitFor(`the browser driver (${actions.map((a) => a.type).join(', ')})`, () => fs.existsSync(file), ms);
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** A computed CSS colour, rgb(...) or color(srgb ...), as 0..255 channels. */
function cssRgb(css: string | null): Rgb {
  const m = /rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)/.exec(css ?? '');
  if (m) {
    return [Number(m[1]), Number(m[2]), Number(m[3])];
  }
  const c = /color\(srgb\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)/.exec(css ?? '');
  if (c) {
    return [Number(c[1]) * 255, Number(c[2]) * 255, Number(c[3]) * 255];
  }
  throw new Error(`unparsed colour ${css}`);
}

/** The colour a user sees: the computed fill passed through the SVG's CSS filter. */
function seen(css: string | null, svgFilter: string | null): Rgb {
  const theme: ThemeName = /invert\(1\)/.test(svgFilter ?? '') ? 'dark' : 'light';
  return applyThemeFilter(cssRgb(css), theme);
}

interface GraphState {
  uri?: string;
  svg?: string;
  message?: { title: string; message: string; kind: string };
  renders: number;
  visible: boolean;
  tasks: string[];
  datasets: string[];
}
const graphState = () => vscode.commands.executeCommand<GraphState>('glacier._graphState');
const statusBar = () => vscode.commands.executeCommand<{ text: string } | undefined>('glacier._statusBar');
const serverState = () => vscode.commands.executeCommand<{ state: string; interpreter?: { command: string[]; source: string } }>('glacier._serverState');
const codeOf = (d: vscode.Diagnostic) => String(typeof d.code === 'object' && d.code !== null ? d.code.value : d.code);
const glc002 = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => codeOf(d) === 'GLC002');
const byName = (ids: string[], name: string) => ids.find((id) => id === name || id.endsWith(`.${name}`));

function findPosition(doc: vscode.TextDocument, lineIncludes: string, token: string): vscode.Position {
  for (let i = 0; i < doc.lineCount; i++) {
    const text = doc.lineAt(i).text;
    if (text.includes(lineIncludes)) {
      const col = text.indexOf(token, text.indexOf(lineIncludes));
      return new vscode.Position(i, col >= 0 ? col : text.indexOf(token));
    }
  }
  throw new Error(`no line with ${lineIncludes}`);
}

async function showFile(name: string): Promise<vscode.TextEditor> {
  const uri = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, name);
  const doc = await vscode.workspace.openTextDocument(uri);
  return vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, preview: false });
}

export async function run(): Promise<void> {
  const results: { name: string; ok: boolean; ms: number; error?: string }[] = [];
  const tests: [string, () => Promise<void>][] = [];
  const test = (name: string, fn: () => Promise<void>) => tests.push([name, fn]);

  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  assert.ok(folder, 'a workspace folder is open');
  const pipelineUri = vscode.Uri.joinPath(folder, 'pipeline.py');
  let editor: vscode.TextEditor;
  let doc: vscode.TextDocument;

  test('extension activates and starts python -m glacier_lsp from glacier.interpreter', async () => {
    editor = await showFile('pipeline.py');
    doc = editor.document;
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is installed`);
    await waitFor('activation', () => ext.isActive, 30000);
    const s = await waitFor('server running', async () => {
      const st = await serverState();
      if (st.state === 'not-installed' || st.state === 'failed') {
        throw new Error(`server state ${st.state}`);
      }
      return st.state === 'running' && st;
    }, 60000);
    assert.equal(s.interpreter?.source, 'setting');
    log('server interpreter:', JSON.stringify(s.interpreter));
  });

  test('GLC002 missing-producer diagnostic reaches the Problems panel', async () => {
    const diags = await waitFor('GLC002 diagnostic', () => glc002(pipelineUri).length > 0 && glc002(pipelineUri), 60000);
    const d = diags[0];
    assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(d.source, 'glacier');
    assert.match(d.message, /merged/);
    const call = findPosition(doc, 'Pipeline([', 'Pipeline(');
    assert.equal(d.range.start.line, call.line, 'reported at the Pipeline( call');
    await vscode.commands.executeCommand('workbench.actions.view.problems');
    const [panel] = await pw([{ type: 'text', selector: '.markers-panel .monaco-list-row:has-text("GLC002")', timeout: 15000 }]);
    assert.ok(panel.text && /GLC002/.test(panel.text), `Problems panel row: ${panel.text}`);
    assert.match(panel.text, /merged/);
  });

  test('hover over a dataset annotation names its producer', async () => {
    await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    const pos = findPosition(doc, 'def clean(', 'raw');
    const hovers = await waitFor('hover', async () => {
      const h = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', pipelineUri, pos);
      return h && h.length > 0 && h;
    });
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(text, /Produced by `extract`/, text);
    // and in the UI
    const ed = vscode.window.activeTextEditor!;
    ed.selection = new vscode.Selection(pos.translate(0, 1), pos.translate(0, 1));
    await vscode.commands.executeCommand('editor.action.showHover');
    const [hover] = await pw([{ type: 'text', selector: '.monaco-hover:visible:has-text("Produced by")' }, { type: 'screenshot', name: 'hover.png' }]);
    assert.match(hover.text ?? '', /Produced by\s*extract/);
    await vscode.commands.executeCommand('editor.action.hideHover').then(undefined, () => undefined);
  });

  test('status bar shows the pipeline and error counts of the active file', async () => {
    let last: string | undefined;
    await waitFor('status text', async () => {
      last = (await statusBar())?.text;
      return last === '$(error) Glacier: 1 pipeline, 1 error';
    }).catch((e) => {
      throw new Error(`${e.message}; status bar text: ${last}`);
    });
    const [item] = await pw([{ type: 'text', selector: '.statusbar-item:has-text("Glacier:")' }]);
    assert.match(item.text ?? '', /Glacier: 1 pipeline, 1 error/);
  });

  let summarizeId = '';
  test('"Glacier: Show Pipeline Graph" opens a webview whose SVG holds every task', async () => {
    await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    await vscode.commands.executeCommand('glacier.showGraph');
    const st = await waitFor('graph rendered', async () => {
      const g = await graphState();
      if (g.message && g.message.kind === 'error') {
        throw new Error(`graph message: ${g.message.title}: ${g.message.message}`);
      }
      return g.svg && g.tasks.length >= 3 ? g : undefined;
    }, 30000);
    const svg = await vscode.commands.executeCommand<string>('glacier._lastGraphSvg');
    assert.equal(svg, st.svg);
    for (const t of ['extract', 'clean', 'summarize']) {
      assert.ok(byName(st.tasks, t), `task ${t} in the SVG (tasks: ${st.tasks.join(', ')})`);
      assert.ok(svg.includes(`id="task:${byName(st.tasks, t)}"`));
    }
    for (const d of ['raw', 'cleaned']) {
      assert.ok(st.datasets.includes(d), `dataset ${d} in the SVG (datasets: ${st.datasets.join(', ')})`);
    }
    summarizeId = byName(st.tasks, 'summarize')!;
    const [probe] = (await pw([{ type: 'probeWebview', want: 'graph' }])) as WebviewProbe[];
    assert.ok(probe.found, 'the graph webview is in the page');
    assert.ok(probe.graphVisible, 'graph visible in the webview');
    for (const t of ['extract', 'clean', 'summarize']) {
      assert.ok(byName(probe.taskIds.map((i) => i.slice(5)), t), `webview DOM shows task ${t}: ${probe.taskIds.join(', ')}`);
    }
    // Picture for the docs: editor + squiggle, Problems panel, status bar and the graph beside.
    await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    await vscode.commands.executeCommand('workbench.actions.view.problems');
    await vscode.commands.executeCommand('workbench.action.focusFirstEditorGroup');
    await pw([{ type: 'screenshot', name: 'graph.png', settleMs: 800 }]);
    // The same with more room for the picture (the one used in docs/vscode.md).
    await vscode.commands.executeCommand('workbench.action.closeSidebar');
    await pw([{ type: 'probeWebview', want: 'graph' }, { type: 'screenshot', name: 'docs.png', settleMs: 800 }]);
  });

  test('the code lens above a pipeline opens the graph of that pipeline', async () => {
    const lens = await waitFor('a glacier.showGraph code lens', async () => {
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', pipelineUri, 50);
      return lenses?.find((l) => l.command?.command === 'glacier.showGraph');
    });
    const args = lens.command!.arguments ?? [];
    assert.equal(args[1], 'demo', `code lens arguments: ${JSON.stringify(args)}`);
    const before = (await graphState()).renders;
    await vscode.commands.executeCommand(lens.command!.command, ...args);
    await waitFor('a new render of pipeline demo', async () => {
      const g = await vscode.commands.executeCommand<GraphState & { pipeline: string | null }>('glacier._graphState');
      return g.renders > before && g.pipeline === 'demo' && g.svg && g.tasks.length >= 3 && g.uri === pipelineUri.toString();
    });
  });

  test('clicking a task or a dataset in the graph reveals its definition', async () => {
    // move the cursor away first
    const ed = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    ed.selection = new vscode.Selection(0, 0, 0, 0);
    const [click] = await pw([{ type: 'clickNode', id: `task:${summarizeId}` }]);
    assert.ok(click.clicked, JSON.stringify(click));
    const def = findPosition(doc, 'def summarize(', 'summarize');
    await waitFor('cursor on def summarize', () => {
      const e = vscode.window.activeTextEditor;
      return e && e.document.uri.toString() === pipelineUri.toString() && e.selection.start.line === def.line && e.document.getText(e.selection) === 'summarize';
    });
    const [click2] = await pw([{ type: 'clickNode', id: 'dataset:raw' }]);
    assert.ok(click2.clicked, JSON.stringify(click2));
    const decl = findPosition(doc, 'raw = Dataset(', 'raw');
    await waitFor('cursor on the raw dataset', () => {
      const e = vscode.window.activeTextEditor;
      return e && e.selection.start.line === decl.line && e.document.getText(e.selection) === 'raw';
    });
  });

  test('without Graphviz `dot` on the server\'s PATH the graph is drawn all the same, same ids, clicks work', async () => {
    // The webview's SVG has no comments left (prepareSvg), so the renderer shows only in the bytes:
    // Glacier's other Graphviz lays out a little differently from Debian's `dot`.
    const withDot = await graphState();
    assert.ok(withDot.svg && withDot.tasks.length >= 3, 'a graph drawn by dot to compare with');
    const config = vscode.workspace.getConfiguration('glacier');
    const original = config.inspect<string[] | string>('interpreter')?.globalValue;
    const python = Array.isArray(original) ? original[0] : String(original);
    // The server runs as `env PATH=<empty folder> python -m glacier_lsp`: no `dot` anywhere.
    const noDot = fs.mkdtempSync(path.join(os.tmpdir(), 'no-dot-'));
    try {
      await config.update('interpreter', ['/usr/bin/env', `PATH=${noDot}`, python], vscode.ConfigurationTarget.Global);
      await waitFor('server on the PATH without dot', async () => {
        const st = await serverState();
        return st.state === 'running' && st.interpreter?.command.includes(`PATH=${noDot}`);
      }, 60000);
      await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
      await vscode.commands.executeCommand('glacier.showGraph');
      const st = await waitFor('a graph drawn without dot', async () => {
        const g = await graphState();
        if (g.message && g.message.kind === 'error') {
          throw new Error(`graph message: ${g.message.title}: ${g.message.message}`);
        }
        return g.renders > withDot.renders && g.svg && g.svg !== withDot.svg ? g : undefined;
      }, 30000);
      assert.deepEqual([...st.tasks].sort(), [...withDot.tasks].sort(), 'the same task ids as with dot');
      assert.deepEqual([...st.datasets].sort(), [...withDot.datasets].sort(), 'the same dataset ids as with dot');
      const [probe] = (await pw([{ type: 'probeWebview', want: 'graph' }, { type: 'screenshot', name: 'graph-without-dot.png', settleMs: 600 }])) as WebviewProbe[];
      assert.ok(probe.graphVisible, 'graph visible in the webview');
      assert.deepEqual(probe.taskIds.map((i) => i.slice(5)).sort(), [...withDot.tasks].sort(), 'the webview shows every task');
      const ed = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
      ed.selection = new vscode.Selection(0, 0, 0, 0);
      const [click] = await pw([{ type: 'clickNode', id: `task:${byName(st.tasks, 'clean')}` }]);
      assert.ok(click.clicked, JSON.stringify(click));
      const def = findPosition(doc, 'def clean(', 'clean');
      await waitFor('cursor on def clean', () => {
        const e = vscode.window.activeTextEditor;
        return e && e.document.uri.toString() === pipelineUri.toString() && e.selection.start.line === def.line && e.document.getText(e.selection) === 'clean';
      });
    } finally {
      await config.update('interpreter', original, vscode.ConfigurationTarget.Global);
      fs.rmSync(noDot, { recursive: true, force: true });
    }
    await waitFor('server back on the normal PATH', async () => {
      const st = await serverState();
      return st.state === 'running' && st.interpreter?.command[0] === python;
    }, 60000);
    await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    await vscode.commands.executeCommand('glacier.showGraph');
    await waitFor('graph by dot again', async () => (await graphState()).svg === withDot.svg, 30000);
  });

  test('the graph and diagnostics follow edits (didChange, debounced)', async () => {
    const before = await graphState();
    const ed = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    const call = findPosition(doc, 'pipeline = Pipeline([', 'pipeline');
    const ok = await ed.edit((b) => {
      b.insert(new vscode.Position(call.line, 0), '@task\ndef merge(rows: cleaned) -> merged:\n    return rows\n\n\n');
      const line = doc.lineAt(call.line).text;
      const start = line.indexOf('[');
      const end = line.indexOf(']');
      b.replace(new vscode.Range(call.line, start, call.line, end + 1), '[extract, clean, merge, summarize]');
    });
    assert.ok(ok, 'edit applied');
    const after = await waitFor('graph with the new task', async () => {
      const g = await graphState();
      return g.renders > before.renders && byName(g.tasks, 'merge') ? g : undefined;
    });
    assert.ok(byName(after.tasks, 'merge'));
    await waitFor('GLC002 cleared', () => glc002(pipelineUri).length === 0);
    let last: string | undefined;
    try {
      await waitFor('status shows 0 errors', async () => (last = (await statusBar())?.text) === '$(type-hierarchy-sub) Glacier: 1 pipeline, 0 errors').catch((e) => {
        throw new Error(`${e.message}; status bar text: ${last}`);
      });
    } finally {
      await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
    await waitFor('graph back without merge', async () => {
      const g = await graphState();
      return g.svg && !byName(g.tasks, 'merge') && byName(g.tasks, 'summarize');
    });
    await waitFor('GLC002 back', () => glc002(pipelineUri).length > 0);
  });

  test('the graph follows the light and dark themes', async () => {
    const config = vscode.workspace.getConfiguration('workbench');
    const original = config.inspect<string>('colorTheme')?.globalValue;
    try {
      const probes: Record<string, WebviewProbe> = {};
      for (const [theme, kind, cls] of [
        ['Default Light Modern', vscode.ColorThemeKind.Light, 'vscode-light'],
        ['Default Dark Modern', vscode.ColorThemeKind.Dark, 'vscode-dark'],
      ] as const) {
        await config.update('colorTheme', theme, vscode.ConfigurationTarget.Global);
        await waitFor(`${theme} active`, () => vscode.window.activeColorTheme.kind === kind);
        const probe = await waitFor(`webview body class ${cls}`, async () => {
          const [p] = (await pw([{ type: 'probeWebview', want: 'graph' }])) as WebviewProbe[];
          return p.found && p.bodyClass.split(/\s+/).includes(cls) && p;
        });
        probes[cls] = probe;
        await pw([{ type: 'screenshot', name: `graph-${cls.slice(7)}.png`, settleMs: 600 }]);
      }
      const light = probes['vscode-light'];
      const dark = probes['vscode-dark'];
      log('theme probes', JSON.stringify({ light, dark }));
      assert.equal(light.svgFilter, 'none');
      assert.match(dark.svgFilter ?? '', /invert\(1\)/);
      const lightBg = cssRgb(light.background);
      const darkBg = cssRgb(dark.background);
      assert.ok(relativeLuminance(lightBg) > 0.8, `light background: ${light.background}`);
      assert.ok(relativeLuminance(darkBg) < 0.05, `dark background: ${dark.background}`);
      const lightText = seen(light.textFill, light.svgFilter);
      const darkText = seen(dark.textFill, dark.svgFilter);
      assert.ok(contrastRatio(lightText, lightBg) >= 7, `light theme text ${lightText} on ${lightBg}`);
      assert.ok(contrastRatio(darkText, darkBg) >= 7, `dark theme text ${darkText} on ${darkBg}`);
      const darkTask = seen(dark.taskFill, dark.svgFilter);
      assert.ok(relativeLuminance(darkTask) < 0.1, `no bright boxes on the dark theme: task fill seen as ${darkTask}`);
      assert.ok(contrastRatio(darkText, darkTask) >= 7, 'task label legible on its fill');
    } finally {
      await config.update('colorTheme', original, vscode.ConfigurationTarget.Global);
    }
  });

  test('a file without a pipeline gives a readable message in the graph view', async () => {
    await showFile('helpers.py');
    const st = await waitFor('message for helpers.py', async () => {
      const g = await graphState();
      return g.uri?.endsWith('helpers.py') && g.message && g;
    });
    assert.match(`${st.message!.title} ${st.message!.message}`, /helpers\.py/);
    const [probe] = (await pw([{ type: 'probeWebview', want: 'message' }])) as WebviewProbe[];
    assert.ok(probe.messageVisible && !probe.graphVisible, JSON.stringify(probe));
    assert.ok(probe.messageText.length > 10, `message: ${probe.messageText}`);
    assert.equal(probe.taskIds.length, 0);
    await showFile('pipeline.py');
    await waitFor('graph back for pipeline.py', async () => {
      const g = await graphState();
      return g.uri?.endsWith('pipeline.py') && g.svg && g.tasks.length >= 3;
    });
  });

  test('"Glacier: Restart Server" restarts the server', async () => {
    await vscode.commands.executeCommand('glacier.restartServer');
    await waitFor('running again', async () => (await serverState()).state === 'running', 60000);
    await waitFor('diagnostics again', () => glc002(pipelineUri).length > 0, 60000);
    await vscode.commands.executeCommand('glacier.showOutput');
  });

  test('Glacier missing from the interpreter: one clear notification, then recovery', async () => {
    const config = vscode.workspace.getConfiguration('glacier');
    const original = config.inspect<string[] | string>('interpreter')?.globalValue;
    const python = Array.isArray(original) ? original[0] : String(original);
    try {
      // -I -S: isolated, without site-packages, so glacier_lsp cannot be imported
      await config.update('interpreter', [python, '-I', '-S'], vscode.ConfigurationTarget.Global);
      await waitFor('not-installed state', async () => (await serverState()).state === 'not-installed', 30000);
      // The notification (toast or, when toasts are suppressed, the notification centre).
      await vscode.commands.executeCommand('notifications.showList');
      const [list] = await pw([
        { type: 'texts', selector: '.notifications-center .notification-list-item', timeout: 15000 },
        { type: 'screenshot', name: 'not-installed.png' },
      ]);
      const glacier = (list.texts as string[]).filter((t) => /Glacier/.test(t));
      assert.equal(glacier.length, 1, `exactly one Glacier notification: ${JSON.stringify(list.texts)}`);
      assert.match(glacier[0], /Glacier is not installed in the Python interpreter/);
      assert.match(glacier[0], /pip install glacier-pipelines/);
      assert.match(glacier[0], /glacier\.interpreter/);
      await vscode.commands.executeCommand('notifications.hideList');
      assert.equal((await statusBar())?.text, '$(warning) Glacier: not installed');
      const g = await waitFor('graph view explains', async () => {
        const s = await graphState();
        return s.message && /not installed/.test(s.message.message) && s;
      });
      assert.equal(g.message!.kind, 'error');
    } finally {
      await config.update('interpreter', original, vscode.ConfigurationTarget.Global);
    }
    await waitFor('running again', async () => (await serverState()).state === 'running', 60000);
    await waitFor('graph again', async () => (await graphState()).svg);
  });

  // GLACIER_E2E_ONLY=<regex>: run only matching tests (the first, activation, always runs).
  const only = process.env.GLACIER_E2E_ONLY ? new RegExp(process.env.GLACIER_E2E_ONLY) : undefined;
  const selected = only ? tests.filter(([name], i) => i === 0 || only.test(name)) : tests;
  log(`running ${selected.length} tests`);
  for (const [name, fn] of selected) {
    const start = Date.now();
    try {
      await fn();
      results.push({ name, ok: true, ms: Date.now() - start });
      log(`PASS ${name} (${Date.now() - start} ms)`);
    } catch (e) {
      const error = e instanceof Error ? e.stack ?? e.message : String(e);
      results.push({ name, ok: false, ms: Date.now() - start, error });
      log(`FAIL ${name} (${Date.now() - start} ms)\n${error}`);
      await pw([{ type: 'screenshot', name: `fail-${results.length}.png` }], 15000).catch(() => undefined);
    }
  }
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  if (ARTIFACTS) {
    fs.writeFileSync(path.join(ARTIFACTS, 'e2e-result.json'), JSON.stringify({ passed, failed, results }, null, 2));
  }
  log(`e2e: ${passed} passed, ${failed} failed`);
  if (failed > 0) {
    throw new Error(`${failed} end-to-end test(s) failed`);
  }
}

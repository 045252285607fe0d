/**
 * Optional use of the Python extension (ms-python.python) to find the active environment. There is
 * no extensionDependencies entry: when that extension is missing, nothing here runs.
 */
import * as vscode from 'vscode';

export const PYTHON_EXTENSION_ID = 'ms-python.python';

/** The part of ms-python.python's public API (`@vscode/python-extension`) used here. */
interface PythonEnvironmentsApi {
  getActiveEnvironmentPath(resource?: vscode.Uri): { id: string; path: string } | undefined;
  resolveEnvironment(env: { id: string; path: string } | string): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
  onDidChangeActiveEnvironmentPath?: vscode.Event<unknown>;
}
interface PythonExtensionApi {
  ready?: Promise<void>;
  environments?: PythonEnvironmentsApi;
}

function timeout<T>(p: Thenable<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    Promise.resolve(p).then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

async function api(log: (msg: string) => void): Promise<PythonExtensionApi | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
  if (!ext) {
    return undefined;
  }
  try {
    const exports = ext.isActive ? ext.exports : await timeout(ext.activate(), 30000, 'activating the Python extension');
    if (exports?.ready) {
      await timeout(exports.ready, 30000, 'waiting for the Python extension');
    }
    return exports;
  } catch (e) {
    log(`Python extension not usable: ${(e as Error).message}`);
    return undefined;
  }
}

/** The executable of the Python extension's active environment for `resource`, if any. */
export async function activePythonFromExtension(resource: vscode.Uri | undefined, log: (msg: string) => void): Promise<string | undefined> {
  const a = await api(log);
  const envs = a?.environments;
  if (!envs || typeof envs.getActiveEnvironmentPath !== 'function') {
    return undefined;
  }
  try {
    const envPath = envs.getActiveEnvironmentPath(resource);
    if (!envPath) {
      return undefined;
    }
    const resolved = await timeout(envs.resolveEnvironment(envPath), 15000, 'resolving the Python environment');
    return resolved?.executable?.uri?.fsPath ?? envPath.path;
  } catch (e) {
    log(`Could not get the active Python environment: ${(e as Error).message}`);
    return undefined;
  }
}

/** Calls `listener` when the Python extension's active environment changes (if it is installed). */
export async function onPythonEnvironmentChange(listener: () => void, log: (msg: string) => void): Promise<vscode.Disposable | undefined> {
  if (!vscode.extensions.getExtension(PYTHON_EXTENSION_ID)) {
    return undefined;
  }
  const a = await api(log);
  const event = a?.environments?.onDidChangeActiveEnvironmentPath;
  return typeof event === 'function' ? event(() => listener()) : undefined;
}

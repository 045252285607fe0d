/**
 * Choosing the Python interpreter that runs `python -m glacier_lsp`.
 * Pure logic (no `vscode` import) so that it is unit-testable.
 *
 * Order: the `glacier.interpreter` setting, else the active environment of the Python extension
 * (ms-python.python, optional), else `python3`.
 */

export const DEFAULT_PYTHON = 'python3';
export const SERVER_MODULE = 'glacier_lsp';

export type InterpreterSource = 'setting' | 'python-extension' | 'default';

export interface InterpreterChoice {
  /** The executable followed by extra arguments (never a shell string). */
  command: string[];
  source: InterpreterSource;
}

export interface VariableContext {
  workspaceFolder?: string;
  userHome: string;
  env: Record<string, string | undefined>;
}

/** `glacier.interpreter` may be a string or a string array; blanks mean "not set". */
export function normalizeInterpreterSetting(value: unknown): string[] {
  if (typeof value === 'string') {
    return value.trim() ? [value.trim()] : [];
  }
  if (Array.isArray(value)) {
    const parts = value.filter((v): v is string => typeof v === 'string').map((v) => v.trim());
    // An array whose executable is blank is "not set"; later blank arguments are dropped.
    if (parts.length === 0 || parts[0] === '') {
      return [];
    }
    return parts.filter((p) => p !== '');
  }
  return [];
}

/** Expands `${workspaceFolder}`, `${userHome}`, `${env:NAME}` and a leading `~/`. */
export function expandVariables(arg: string, ctx: VariableContext): string {
  let out = arg.replace(/\$\{(workspaceFolder|userHome|env:([A-Za-z_][A-Za-z0-9_]*))\}/g, (whole, name: string, envName?: string) => {
    if (envName !== undefined) {
      return ctx.env[envName] ?? '';
    }
    if (name === 'userHome') {
      return ctx.userHome;
    }
    return ctx.workspaceFolder ?? whole;
  });
  if (out === '~' || out.startsWith('~/')) {
    out = ctx.userHome + out.slice(1);
  }
  return out;
}

export function chooseInterpreter(options: {
  setting: unknown;
  /** Executable of the Python extension's active environment, if that extension is installed and answered. */
  pythonExtension?: string;
  vars: VariableContext;
}): InterpreterChoice {
  const fromSetting = normalizeInterpreterSetting(options.setting);
  if (fromSetting.length > 0) {
    return { command: fromSetting.map((a) => expandVariables(a, options.vars)), source: 'setting' };
  }
  if (options.pythonExtension && options.pythonExtension.trim()) {
    return { command: [options.pythonExtension.trim()], source: 'python-extension' };
  }
  return { command: [DEFAULT_PYTHON], source: 'default' };
}

/** The process to spawn: `<python> [extra args] -m glacier_lsp`. */
export function serverCommand(choice: InterpreterChoice): { command: string; args: string[] } {
  return { command: choice.command[0], args: [...choice.command.slice(1), '-m', SERVER_MODULE] };
}

export function describeSource(source: InterpreterSource): string {
  switch (source) {
    case 'setting':
      return 'from the glacier.interpreter setting';
    case 'python-extension':
      return "the Python extension's active environment";
    case 'default':
      return 'the default, as neither glacier.interpreter nor the Python extension chose one';
  }
}

/** Quotes an argument for display in a copy-pastable POSIX shell command. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function displayCommand(argv: string[]): string {
  return argv.map(shellQuote).join(' ');
}

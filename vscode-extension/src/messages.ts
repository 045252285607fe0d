/** User-facing texts (pure, unit-tested). */
import { InterpreterChoice, describeSource, displayCommand } from './interpreter';

export type ServerProblem =
  | { kind: 'not-installed' }
  | { kind: 'interpreter-not-found' }
  | { kind: 'import-failed'; detail: string };

export function installCommand(choice: InterpreterChoice): string {
  return displayCommand([...choice.command, '-m', 'pip', 'install', 'glacier-pipelines']);
}

/** The single notification shown when the server cannot be started from the chosen interpreter. */
export function problemMessage(choice: InterpreterChoice, problem: ServerProblem): string {
  const python = displayCommand(choice.command);
  const where = `${python} (${describeSource(choice.source)})`;
  const fix =
    choice.source === 'setting'
      ? `Install it with "${installCommand(choice)}", or change the glacier.interpreter setting to a Python environment that has Glacier.`
      : `Install it with "${installCommand(choice)}", or set glacier.interpreter to a Python environment that has Glacier.`;
  switch (problem.kind) {
    case 'not-installed':
      return `Glacier is not installed in the Python interpreter ${where}. ${fix}`;
    case 'interpreter-not-found':
      return `Glacier could not start: the Python interpreter ${where} was not found. Set glacier.interpreter to the Python environment where Glacier is installed (e.g. "pip install glacier-pipelines" there).`;
    case 'import-failed':
      return `Glacier's language server could not be imported with ${where}: ${problem.detail}. ${fix}`;
  }
}

/** Classifies the result of `<python> -c "import glacier_lsp"`. */
export function classifyImportCheck(result: {
  spawnErrorCode?: string;
  exitCode: number | null;
  stderr: string;
}): ServerProblem | undefined {
  if (result.spawnErrorCode === 'ENOENT' || result.spawnErrorCode === 'EACCES') {
    return { kind: 'interpreter-not-found' };
  }
  if (result.exitCode === 0 && !result.spawnErrorCode) {
    return undefined;
  }
  if (/No module named '?glacier_lsp'?/.test(result.stderr) || /No module named '?glacier'?/.test(result.stderr)) {
    return { kind: 'not-installed' };
  }
  const lines = result.stderr.trim().split(/\r?\n/).filter((l) => l.trim());
  const detail = lines.length ? lines[lines.length - 1].trim() : result.spawnErrorCode ?? `exit code ${result.exitCode}`;
  return { kind: 'import-failed', detail };
}

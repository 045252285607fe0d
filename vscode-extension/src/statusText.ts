/** Status-bar text for the active file (pure, unit-tested). */

export type ServerState = 'starting' | 'running' | 'stopped' | 'not-installed' | 'failed';

export interface StatusInput {
  state: ServerState;
  /** Pipelines defined in the active file; undefined while unknown. */
  pipelines?: number;
  /** Error diagnostics in the active file. */
  errors: number;
}

export interface StatusView {
  text: string;
  tooltip: string;
  /** Command run when the item is clicked. */
  command: 'glacier.showGraph' | 'glacier.showOutput' | 'glacier.restartServer';
  /** The status bar background: error when the server cannot run. */
  alert: boolean;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function formatStatus(input: StatusInput): StatusView {
  switch (input.state) {
    case 'starting':
      return { text: '$(sync~spin) Glacier', tooltip: 'Glacier: starting the language server…', command: 'glacier.showOutput', alert: false };
    case 'not-installed':
      return { text: '$(warning) Glacier: not installed', tooltip: 'Glacier is not installed in the selected Python interpreter. Click for details.', command: 'glacier.showOutput', alert: true };
    case 'failed':
    case 'stopped':
      return { text: '$(warning) Glacier: stopped', tooltip: 'The Glacier language server is not running. Click to restart it.', command: 'glacier.restartServer', alert: true };
    case 'running': {
      const parts: string[] = [];
      if (input.pipelines !== undefined) {
        parts.push(plural(input.pipelines, 'pipeline'));
      }
      parts.push(plural(input.errors, 'error'));
      const icon = input.errors > 0 ? '$(error)' : '$(type-hierarchy-sub)';
      return {
        text: `${icon} Glacier: ${parts.join(', ')}`,
        tooltip: `Glacier — this file: ${parts.join(', ')}. Click to show the pipeline graph.`,
        command: 'glacier.showGraph',
        alert: false,
      };
    }
  }
}

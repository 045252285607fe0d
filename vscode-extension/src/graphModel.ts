/**
 * The JSON pipeline model returned by `glacier/graph` with format "json", and the lookups the graph
 * view needs (pure, unit-tested).
 */
import * as path from 'path';

export interface DatasetInfo {
  name: string;
  variable?: string | null;
  module?: string | null;
  filename: string;
  line: number;
  storage?: unknown;
  schema?: string | null;
}

export interface TaskInfo {
  id: string;
  name: string;
  module?: string | null;
  filename: string;
  line: number;
  inputs?: { parameter: string; dataset: string }[];
  output?: string | null;
  compute?: unknown;
}

export interface PipelineInfo {
  name: string | null;
  variable?: string | null;
  filename: string;
  line: number;
  tasks: string[];
  edges?: { source: string; target: string; dataset: string }[];
  order?: string[];
  sources?: string[];
  sinks?: string[];
  inputs?: string[];
}

export interface GraphModel {
  datasets: DatasetInfo[];
  tasks: TaskInfo[];
  pipelines: PipelineInfo[];
}

export interface SourceLocation {
  filename: string;
  /** 1-based, as in the model. */
  line: number;
  /** The identifier to select on that line (function or variable name), if known. */
  name?: string;
  kind: 'task' | 'dataset' | 'pipeline';
}

function asArray<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

/** Parses the `content` string of a json-format `glacier/graph` answer. Throws a readable Error. */
export function parseGraphModel(content: string): GraphModel {
  let raw: unknown;
  try {
    raw = JSON.parse(content);
  } catch (e) {
    throw new Error(`the server's graph model is not valid JSON (${(e as Error).message})`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error("the server's graph model is not a JSON object");
  }
  const obj = raw as Record<string, unknown>;
  return {
    datasets: asArray<DatasetInfo>(obj.datasets),
    tasks: asArray<TaskInfo>(obj.tasks),
    pipelines: asArray<PipelineInfo>(obj.pipelines),
  };
}

/** Splits an SVG element id such as `task:pkg.mod.clean` or `dataset:raw`. */
export function parseNodeId(elementId: string): { kind: 'task' | 'dataset'; key: string } | undefined {
  const m = /^(task|dataset):(.+)$/s.exec(elementId);
  if (!m) {
    return undefined;
  }
  return { kind: m[1] as 'task' | 'dataset', key: m[2] };
}

/** Where the node with SVG id `task:<id>` / `dataset:<name>` is defined. */
export function locateNode(model: GraphModel, elementId: string): SourceLocation | undefined {
  const parsed = parseNodeId(elementId);
  if (!parsed) {
    return undefined;
  }
  if (parsed.kind === 'task') {
    const t = model.tasks.find((x) => x.id === parsed.key) ?? model.tasks.find((x) => x.name === parsed.key);
    if (!t || !t.filename || !(t.line >= 1)) {
      return undefined;
    }
    return { filename: t.filename, line: t.line, name: t.name, kind: 'task' };
  }
  const d = model.datasets.find((x) => x.name === parsed.key);
  if (!d || !d.filename || !(d.line >= 1)) {
    return undefined;
  }
  return { filename: d.filename, line: d.line, name: d.variable ?? undefined, kind: 'dataset' };
}

/** Normalises a file system path for comparison (case-insensitive on Windows and macOS-style drives). */
export function normalizePath(p: string, platform: NodeJS.Platform = process.platform): string {
  const impl = platform === 'win32' ? path.win32 : path.posix;
  let n = impl.normalize(p);
  if (n.length > 1 && (n.endsWith('/') || n.endsWith('\\'))) {
    n = n.slice(0, -1);
  }
  return platform === 'win32' ? n.toLowerCase() : n;
}

/** True when `filename` (from the server) names one of `candidates` (the editor's path and its realpath). */
export function sameFile(filename: string, candidates: string[], platform: NodeJS.Platform = process.platform): boolean {
  const f = normalizePath(filename, platform);
  return candidates.some((c) => normalizePath(c, platform) === f);
}

export function pipelinesInFile(model: GraphModel, candidates: string[], platform: NodeJS.Platform = process.platform): PipelineInfo[] {
  return model.pipelines.filter((p) => typeof p.filename === 'string' && sameFile(p.filename, candidates, platform));
}

/** A display label for a pipeline (its name, else its variable, else its line). */
export function pipelineLabel(p: PipelineInfo): string {
  return p.name ?? p.variable ?? `pipeline at line ${p.line}`;
}

/**
 * Finds the column range of `name` as a whole identifier on `lines[start]` or, for decorated
 * functions, on one of the next few lines. Returns 0-based [line, startCol, endCol].
 */
export function findIdentifier(lines: string[], start: number, name: string | undefined, lookahead = 8): [number, number, number] | undefined {
  if (!name) {
    return undefined;
  }
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const def = new RegExp(`\\b(?:def|class)\\s+(${escaped})\\b`);
  const word = new RegExp(`(?<![A-Za-z0-9_])(${escaped})(?![A-Za-z0-9_])`);
  const end = Math.min(lines.length, start + 1 + lookahead);
  for (let i = start; i < end; i++) {
    const m = def.exec(lines[i]);
    if (m) {
      const col = m.index + m[0].length - name.length;
      return [i, col, col + name.length];
    }
  }
  if (start < lines.length) {
    const m = word.exec(lines[start]);
    if (m) {
      return [start, m.index, m.index + name.length];
    }
  }
  return undefined;
}

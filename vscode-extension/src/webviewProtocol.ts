/** Messages between the graph webview and the extension, and how the extension handles them (pure). */
import { GraphModel, SourceLocation, locateNode } from './graphModel';

/** Webview -> extension. */
export type FromWebview =
  | { type: 'ready' }
  | { type: 'reveal'; id: string }
  | { type: 'selectPipeline'; pipeline: string | null }
  | { type: 'refresh' };

/** Extension -> webview. */
export type ToWebview =
  | {
      type: 'graph';
      svg: string;
      title: string;
      pipelines: { value: string | null; label: string }[];
      selected: string | null;
    }
  | { type: 'message'; title: string; message: string; kind: 'info' | 'error' | 'loading' }
  | { type: 'theme'; theme: string };

export type WebviewAction =
  | { kind: 'reveal'; location: SourceLocation }
  | { kind: 'notFound'; id: string; reason: string }
  | { kind: 'selectPipeline'; pipeline: string | null }
  | { kind: 'refresh' }
  | { kind: 'ready' }
  | { kind: 'ignore' };

export function isFromWebview(msg: unknown): msg is FromWebview {
  if (!msg || typeof msg !== 'object') {
    return false;
  }
  const m = msg as Record<string, unknown>;
  switch (m.type) {
    case 'ready':
    case 'refresh':
      return true;
    case 'reveal':
      return typeof m.id === 'string';
    case 'selectPipeline':
      return m.pipeline === null || typeof m.pipeline === 'string';
    default:
      return false;
  }
}

/** Decides what to do with a message posted by the webview, given the last json model (if any). */
export function handleWebviewMessage(msg: unknown, model: GraphModel | undefined): WebviewAction {
  if (!isFromWebview(msg)) {
    return { kind: 'ignore' };
  }
  switch (msg.type) {
    case 'ready':
      return { kind: 'ready' };
    case 'refresh':
      return { kind: 'refresh' };
    case 'selectPipeline':
      return { kind: 'selectPipeline', pipeline: msg.pipeline };
    case 'reveal': {
      if (!model) {
        return { kind: 'notFound', id: msg.id, reason: 'the pipeline model is not loaded yet' };
      }
      const location = locateNode(model, msg.id);
      if (!location) {
        return { kind: 'notFound', id: msg.id, reason: `no definition is known for ${msg.id}` };
      }
      return { kind: 'reveal', location };
    }
  }
}

/** Turns a failed `glacier/graph` request into a message the user can act on. */
export function humanizeGraphError(raw: string): string {
  // pygls wraps handler exceptions: "pygls.exceptions.JsonRpcInternalError: ValueError: <text>"
  const reason = raw
    .replace(/^Internal error \(\w+\):\s*/, '')
    .replace(/^(?:[\w.]*(?:Error|Exception)\w*:\s*)+/, '')
    .trim();
  if (/^(The )?Glacier\b/.test(reason)) {
    return reason; // already written for users (see GlacierServer.notRunningReason)
  }
  if (/Unhandled method|method not found|MethodNotFound|-32601/i.test(reason)) {
    return 'This version of the Glacier language server does not provide glacier/graph. Update Glacier (pip install -U glacier-pipelines) and run "Glacier: Restart Server".';
  }
  if (/Client is not running|connection (got )?disposed|Pending response rejected/i.test(reason)) {
    return 'The Glacier language server is not running. Run "Glacier: Restart Server", or see "Glacier: Show Output".';
  }
  return reason.trim() || 'The language server could not draw this pipeline.';
}

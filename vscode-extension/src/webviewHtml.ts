/** The graph view's HTML shell (pure). The SVG arrives later by postMessage. */
import { graphCss } from './theme';

/** Escapes a value for a double-quoted HTML attribute. */
export function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

export function renderWebviewHtml(opts: { cspSource: string; nonce: string; scriptUri: string }): string {
  const csp = [
    "default-src 'none'",
    `img-src ${opts.cspSource} data:`,
    `style-src 'nonce-${opts.nonce}'`,
    `script-src 'nonce-${opts.nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Glacier pipeline graph</title>
<style nonce="${opts.nonce}">${graphCss()}</style>
</head>
<body>
<div id="toolbar">
  <span id="title">Glacier pipeline graph</span>
  <select id="pipeline" title="Pipeline" hidden></select>
  <button id="refresh" title="Refresh the graph">Refresh</button>
</div>
<div id="message"><h3>Loading…</h3><div class="body">Asking the Glacier language server for the pipeline graph.</div></div>
<div id="graph" hidden></div>
<script nonce="${opts.nonce}" src="${escapeAttr(opts.scriptUri)}"></script>
</body>
</html>`;
}

export function makeNonce(random: () => number = Math.random): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  for (let i = 0; i < 32; i++) {
    out += chars.charAt(Math.floor(random() * chars.length));
  }
  return out;
}

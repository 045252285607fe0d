/** Script of the graph webview (bundled by esbuild into dist/webview.js, runs in the browser). */
import { findNodeElementId, ElementLike } from './nodeId';
import type { ToWebview, FromWebview } from '../webviewProtocol';

declare function acquireVsCodeApi(): { postMessage(msg: FromWebview): void; setState(s: unknown): void; getState(): unknown };

const vscode = acquireVsCodeApi();
const graph = document.getElementById('graph') as HTMLDivElement;
const message = document.getElementById('message') as HTMLDivElement;
const title = document.getElementById('title') as HTMLSpanElement;
const select = document.getElementById('pipeline') as HTMLSelectElement;
const refresh = document.getElementById('refresh') as HTMLButtonElement;

function showMessage(heading: string, body: string, kind: string): void {
  message.replaceChildren();
  const h = document.createElement('h3');
  h.textContent = heading;
  const b = document.createElement('div');
  b.className = 'body';
  b.textContent = body;
  message.append(h, b);
  message.className = kind;
  message.hidden = false;
  graph.hidden = true;
  graph.replaceChildren(); // no stale picture behind a message
  document.body.dataset.state = kind;
}

function showGraph(msg: Extract<ToWebview, { type: 'graph' }>): void {
  title.textContent = msg.title;
  graph.innerHTML = msg.svg; // already sanitised by the extension (prepareSvg); CSP blocks scripts anyway
  for (const g of Array.from(graph.querySelectorAll('g[id^="task:"], g[id^="dataset:"]'))) {
    g.setAttribute('tabindex', '0');
    g.setAttribute('role', 'button');
    const label = g.querySelector('title')?.textContent ?? g.id;
    g.setAttribute('aria-label', `${g.id.startsWith('task:') ? 'Task' : 'Dataset'} ${label}: go to definition`);
  }
  fitSvg(graph.querySelector('svg'));
  select.replaceChildren();
  for (const p of msg.pipelines) {
    const o = document.createElement('option');
    o.value = p.value ?? '';
    o.textContent = p.label;
    o.selected = p.value === msg.selected;
    select.append(o);
  }
  select.hidden = msg.pipelines.length < 2;
  message.hidden = true;
  graph.hidden = false;
  document.body.dataset.state = 'graph';
}

/** Scales the picture to the panel width, but never beyond 1.5x its natural size. */
function fitSvg(svg: SVGSVGElement | null): void {
  if (!svg) {
    return;
  }
  const width = svg.getAttribute('width') ?? '';
  const n = parseFloat(width);
  if (n > 0 && svg.hasAttribute('viewBox')) {
    const px = /pt$/.test(width) ? (n * 4) / 3 : n;
    svg.removeAttribute('height');
    svg.style.width = '100%';
    svg.style.maxWidth = `${Math.round(px * 1.5)}px`;
    svg.style.height = 'auto';
  }
}

function reveal(target: EventTarget | null): void {
  const id = findNodeElementId(target as unknown as ElementLike);
  if (!id) {
    return;
  }
  for (const el of Array.from(graph.querySelectorAll('.glacier-selected'))) {
    el.classList.remove('glacier-selected');
  }
  graph.querySelector(`g[id="${CSS.escape(id)}"]`)?.classList.add('glacier-selected');
  vscode.postMessage({ type: 'reveal', id });
}

// Handle clicks here and stop them: VS Code's webview link handler must not see SVG elements.
graph.addEventListener('click', (e) => {
  e.preventDefault();
  e.stopPropagation();
  reveal(e.target);
});
graph.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' || e.key === ' ') {
    e.preventDefault();
    reveal(e.target);
  }
});
select.addEventListener('change', () => vscode.postMessage({ type: 'selectPipeline', pipeline: select.value === '' ? null : select.value }));
refresh.addEventListener('click', () => vscode.postMessage({ type: 'refresh' }));

window.addEventListener('message', (event: MessageEvent<ToWebview>) => {
  const msg = event.data;
  switch (msg?.type) {
    case 'graph':
      showGraph(msg);
      break;
    case 'message':
      title.textContent = msg.title;
      showMessage(msg.title, msg.message, msg.kind);
      break;
    case 'theme':
      document.body.dataset.glacierTheme = msg.theme;
      break;
  }
});

vscode.postMessage({ type: 'ready' });

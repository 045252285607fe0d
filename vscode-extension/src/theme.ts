/**
 * Theme handling for the graph webview (pure, unit-tested).
 *
 * Graphviz writes fixed colours (black text and strokes, a white background). The webview does not
 * invert the picture: `prepareSvg` strips what must not run, and `GRAPH_CSS` recolours the SVG
 * through CSS, which takes precedence over SVG presentation attributes. The background becomes
 * transparent, and text and edges take the editor foreground. Task and dataset nodes get
 * theme-derived fills that differ by kind. Strokes the server set to a colour other than black
 * (e.g. red for a problem) are kept. VS Code puts `vscode-light` / `vscode-dark` /
 * `vscode-high-contrast` / `vscode-high-contrast-light` on the webview's <body>, and each class
 * selects a palette below. The palettes use VS Code's theme variables, with fallbacks.
 */

export type ThemeName = 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';

/** Maps vscode.ColorThemeKind (1 Light, 2 Dark, 3 HighContrast, 4 HighContrastLight) to a name. */
export function themeKindName(kind: number): ThemeName {
  switch (kind) {
    case 2:
      return 'dark';
    case 3:
      return 'high-contrast';
    case 4:
      return 'high-contrast-light';
    default:
      return 'light';
  }
}

/** The <body> class VS Code uses for a theme. */
export function bodyClassFor(theme: ThemeName): string {
  return `vscode-${theme}`;
}

export interface Palette {
  taskFill: string;
  taskStroke: string;
  datasetFill: string;
  datasetStroke: string;
  edge: string;
  text: string;
  /** Used when VS Code's variables are missing, e.g. in a browser preview. */
  fallbackBackground: string;
}

const mix = (color: string, fallback: string, pct: number, bg: string) =>
  `color-mix(in srgb, var(${color}, ${fallback}) ${pct}%, var(--vscode-editor-background, ${bg}))`;

export const PALETTES: Record<ThemeName, Palette> = {
  light: {
    taskFill: mix('--vscode-charts-blue', '#1a85ff', 14, '#ffffff'),
    taskStroke: 'var(--vscode-charts-blue, #1a85ff)',
    datasetFill: mix('--vscode-charts-green', '#388a34', 12, '#ffffff'),
    datasetStroke: 'var(--vscode-charts-green, #388a34)',
    edge: 'var(--vscode-editor-foreground, #3b3b3b)',
    text: 'var(--vscode-editor-foreground, #3b3b3b)',
    fallbackBackground: '#ffffff',
  },
  dark: {
    taskFill: mix('--vscode-charts-blue', '#3794ff', 22, '#1e1e1e'),
    taskStroke: 'var(--vscode-charts-blue, #3794ff)',
    datasetFill: mix('--vscode-charts-green', '#89d185', 16, '#1e1e1e'),
    datasetStroke: 'var(--vscode-charts-green, #89d185)',
    edge: 'var(--vscode-editor-foreground, #cccccc)',
    text: 'var(--vscode-editor-foreground, #cccccc)',
    fallbackBackground: '#1e1e1e',
  },
  'high-contrast': {
    taskFill: 'var(--vscode-editor-background, #000000)',
    taskStroke: 'var(--vscode-contrastActiveBorder, #f38518)',
    datasetFill: 'var(--vscode-editor-background, #000000)',
    datasetStroke: 'var(--vscode-contrastBorder, #6fc3df)',
    edge: 'var(--vscode-editor-foreground, #ffffff)',
    text: 'var(--vscode-editor-foreground, #ffffff)',
    fallbackBackground: '#000000',
  },
  'high-contrast-light': {
    taskFill: 'var(--vscode-editor-background, #ffffff)',
    taskStroke: 'var(--vscode-contrastActiveBorder, #006bbd)',
    datasetFill: 'var(--vscode-editor-background, #ffffff)',
    datasetStroke: 'var(--vscode-contrastBorder, #0f4a85)',
    edge: 'var(--vscode-editor-foreground, #292929)',
    text: 'var(--vscode-editor-foreground, #292929)',
    fallbackBackground: '#ffffff',
  },
};

function paletteVars(p: Palette): string {
  return [
    `--glacier-task-fill: ${p.taskFill};`,
    `--glacier-task-stroke: ${p.taskStroke};`,
    `--glacier-dataset-fill: ${p.datasetFill};`,
    `--glacier-dataset-stroke: ${p.datasetStroke};`,
    `--glacier-edge: ${p.edge};`,
    `--glacier-text: ${p.text};`,
    `--glacier-fallback-bg: ${p.fallbackBackground};`,
  ].join(' ');
}

const SHAPES = ':is(polygon, ellipse, path, polyline, rect)';

/** The stylesheet of the graph view: layout, one palette per theme class, SVG recolouring. */
export function graphCss(): string {
  const palettes = (Object.keys(PALETTES) as ThemeName[])
    .map((t) => `body.${bodyClassFor(t)} { ${paletteVars(PALETTES[t])} }`)
    .join('\n');
  return `
:root { ${paletteVars(PALETTES.light)} }
${palettes}
html, body { height: 100%; }
body { margin: 0; padding: 0; color: var(--vscode-foreground); background: var(--vscode-editor-background, var(--glacier-fallback-bg));
  font-family: var(--vscode-font-family, sans-serif); font-size: var(--vscode-font-size, 13px); }
#toolbar { position: sticky; top: 0; z-index: 1; display: flex; gap: 8px; align-items: center; padding: 6px 10px;
  background: var(--vscode-editor-background, var(--glacier-fallback-bg)); border-bottom: 1px solid var(--vscode-panel-border, transparent); }
#title { font-weight: 600; flex: 1; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
#toolbar select, #toolbar button { font: inherit; color: var(--vscode-dropdown-foreground, inherit);
  background: var(--vscode-dropdown-background, transparent); border: 1px solid var(--vscode-dropdown-border, #888); padding: 2px 6px; }
#toolbar button { color: var(--vscode-button-secondaryForeground, inherit); background: var(--vscode-button-secondaryBackground, transparent); cursor: pointer; }
#toolbar select[hidden] { display: none; }
#message { margin: 16px; padding: 10px 12px; border-left: 3px solid var(--vscode-textLink-foreground, #3794ff);
  background: var(--vscode-textBlockQuote-background, transparent); white-space: pre-wrap; }
#message.error { border-left-color: var(--vscode-errorForeground, #f14c4c); }
#message h3 { margin: 0 0 6px 0; font-size: 1.05em; }
#message[hidden], #graph[hidden] { display: none; }
#graph { padding: 10px; }
#graph svg { max-width: 100%; height: auto; display: block; margin: 0 auto; }
#graph svg .graph > polygon:first-of-type { fill: transparent !important; stroke: none !important; }
#graph svg text { fill: var(--glacier-text); }
#graph svg .edge path { stroke: var(--glacier-edge); opacity: 0.85; }
#graph svg .edge polygon { fill: var(--glacier-edge); stroke: var(--glacier-edge); opacity: 0.85; }
#graph svg .cluster polygon { fill: transparent; stroke: var(--vscode-panel-border, #8888); }
#graph svg .node ${SHAPES} { fill: var(--vscode-editor-background, var(--glacier-fallback-bg)); }
#graph svg .node ${SHAPES}[stroke="black"], #graph svg .node ${SHAPES}[stroke="#000000"], #graph svg .node ${SHAPES}:not([stroke]) { stroke: var(--glacier-edge); }
#graph svg g[id^="task:"] ${SHAPES} { fill: var(--glacier-task-fill); }
#graph svg g[id^="task:"] ${SHAPES}[stroke="black"], #graph svg g[id^="task:"] ${SHAPES}[stroke="#000000"], #graph svg g[id^="task:"] ${SHAPES}:not([stroke]) { stroke: var(--glacier-task-stroke); }
#graph svg g[id^="dataset:"] ${SHAPES} { fill: var(--glacier-dataset-fill); }
#graph svg g[id^="dataset:"] ${SHAPES}[stroke="black"], #graph svg g[id^="dataset:"] ${SHAPES}[stroke="#000000"], #graph svg g[id^="dataset:"] ${SHAPES}:not([stroke]) { stroke: var(--glacier-dataset-stroke); }
#graph svg g[id^="task:"], #graph svg g[id^="dataset:"] { cursor: pointer; outline: none; }
#graph svg g[id^="task:"]:is(:hover, :focus) ${SHAPES}, #graph svg g[id^="dataset:"]:is(:hover, :focus) ${SHAPES} { stroke-width: 2.5px; }
#graph svg g.glacier-selected ${SHAPES} { stroke: var(--vscode-focusBorder, #007fd4) !important; stroke-width: 3px; }
`;
}

/**
 * Makes a Graphviz SVG safe and embeddable: drops the XML prolog, doctype and comments, <script> and
 * <foreignObject> elements, event-handler attributes and javascript: links.
 */
export function prepareSvg(svg: string): string {
  let s = svg;
  s = s.replace(/<\?xml[\s\S]*?\?>/g, '');
  s = s.replace(/<!DOCTYPE[\s\S]*?>/gi, '');
  s = s.replace(/<!--[\s\S]*?-->/g, '');
  s = s.replace(/<script[\s\S]*?<\/script\s*>/gi, '').replace(/<script[^>]*\/>/gi, '');
  s = s.replace(/<foreignObject[\s\S]*?<\/foreignObject\s*>/gi, '');
  s = s.replace(/\son[a-z]+\s*=\s*("[^"]*"|'[^']*')/gi, '');
  s = s.replace(/\s(?:xlink:)?href\s*=\s*("\s*javascript:[^"]*"|'\s*javascript:[^']*')/gi, '');
  return s.trim();
}

/** Ids of the task and dataset nodes in a Graphviz SVG (the `id` of their <g> elements). */
export function svgNodeIds(svg: string): { tasks: string[]; datasets: string[] } {
  const tasks: string[] = [];
  const datasets: string[] = [];
  const re = /<g\b[^>]*\bid="(task|dataset):([^"]*)"/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(svg))) {
    const key = decodeXmlEntities(m[2]);
    (m[1] === 'task' ? tasks : datasets).push(key);
  }
  return { tasks, datasets };
}

export function decodeXmlEntities(s: string): string {
  return s
    .replace(/&#x([0-9a-fA-F]+);/g, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#([0-9]+);/g, (_, d: string) => String.fromCodePoint(parseInt(d, 10)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

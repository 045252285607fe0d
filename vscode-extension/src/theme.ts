/**
 * Theme handling for the graph webview (pure, unit-tested).
 *
 * The server's Graphviz SVG uses fixed colours, and they carry meaning: fills by compute kind, red
 * for problems, a legend. They are designed for a white page. So:
 *  - every theme: the white page background becomes transparent (the editor background shows);
 *  - light themes: the colours are kept as they are;
 *  - dark themes: `invert(1) hue-rotate(180deg)`. Lightness flips (pastel fills become dark tints,
 *    dark text becomes light) and hues stay (red is still red, green still green);
 *  - high contrast dark: the same, with more contrast.
 * VS Code puts `vscode-light` / `vscode-dark` / `vscode-high-contrast` / `vscode-high-contrast-light`
 * on the webview's <body>; the CSS below keys on those classes, so a theme switch needs no re-render.
 */

export type ThemeName = 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';

export const THEMES: ThemeName[] = ['light', 'dark', 'high-contrast', 'high-contrast-light'];

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

export function isDark(theme: ThemeName): boolean {
  return theme === 'dark' || theme === 'high-contrast';
}

/** The CSS filter applied to the SVG in a theme. */
export function svgFilterFor(theme: ThemeName): string {
  switch (theme) {
    case 'dark':
      return 'invert(1) hue-rotate(180deg)';
    case 'high-contrast':
      return 'invert(1) hue-rotate(180deg) contrast(1.3)';
    case 'high-contrast-light':
      return 'contrast(1.3)';
    case 'light':
      return 'none';
  }
}

export type Rgb = [number, number, number];

export function parseHexColor(hex: string): Rgb {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex.trim());
  if (!m) {
    throw new Error(`not a #rrggbb colour: ${hex}`);
  }
  const n = parseInt(m[1], 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

const clamp = (v: number) => Math.min(255, Math.max(0, v));

/** What a colour looks like after the theme's filter (the CSS Filter Effects formulas). */
export function applyThemeFilter(rgb: Rgb, theme: ThemeName): Rgb {
  let [r, g, b] = rgb;
  if (isDark(theme)) {
    [r, g, b] = [255 - r, 255 - g, 255 - b];
    // hue-rotate(180deg): cos = -1, sin = 0
    const m = [
      [0.213 - 0.787, 0.715 + 0.715, 0.072 + 0.072],
      [0.213 + 0.213, 0.715 - 0.285, 0.072 + 0.072],
      [0.213 + 0.213, 0.715 + 0.715, 0.072 - 0.928],
    ];
    [r, g, b] = m.map((row) => clamp(row[0] * r + row[1] * g + row[2] * b)) as Rgb;
  }
  if (theme === 'high-contrast' || theme === 'high-contrast-light') {
    [r, g, b] = [r, g, b].map((v) => clamp((v - 127.5) * 1.3 + 127.5)) as Rgb;
  }
  return [Math.round(r), Math.round(g), Math.round(b)];
}

/** WCAG relative luminance, 0 (black) .. 1 (white). */
export function relativeLuminance([r, g, b]: Rgb): number {
  const lin = (v: number) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export function contrastRatio(a: Rgb, b: Rgb): number {
  const [l1, l2] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x);
  return (l1 + 0.05) / (l2 + 0.05);
}

/** The stylesheet of the graph view: layout, transparent background, one filter per theme class. */
export function graphCss(): string {
  const filters = THEMES.map((t) => `body.${bodyClassFor(t)} #graph svg { filter: ${svgFilterFor(t)}; }`).join('\n');
  return `
html, body { height: 100%; }
body { margin: 0; padding: 0; color: var(--vscode-foreground); background: var(--vscode-editor-background);
  font-family: var(--vscode-font-family, sans-serif); font-size: var(--vscode-font-size, 13px); }
#toolbar { position: sticky; top: 0; z-index: 1; display: flex; gap: 8px; align-items: center; padding: 6px 10px;
  background: var(--vscode-editor-background); border-bottom: 1px solid var(--vscode-panel-border, transparent); }
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
${filters}
#graph svg g[id^="task:"], #graph svg g[id^="dataset:"] { cursor: pointer; outline: none; }
#graph svg g[id^="task:"]:is(:hover, :focus) :is(polygon, ellipse, path), #graph svg g[id^="dataset:"]:is(:hover, :focus) :is(polygon, ellipse, path) { stroke-width: 2.5px; }
#graph svg g.glacier-selected :is(polygon, ellipse, path) { stroke-width: 3.5px; }
`;
}

/**
 * Makes a Graphviz SVG safe and embeddable: drops the XML prolog, doctype and comments, <script> and
 * <foreignObject> elements and event-handler attributes. Turns <a> elements (Graphviz writes them
 * for tooltips and URLs) into <g> with a <title>, so tooltips remain and nothing navigates.
 */
export function prepareSvg(svg: string): string {
  let s = svg;
  s = s.replace(/<\?xml[\s\S]*?\?>/g, '');
  s = s.replace(/<!DOCTYPE[\s\S]*?>/gi, '');
  s = s.replace(/<!--[\s\S]*?-->/g, '');
  s = s.replace(/<script[\s\S]*?<\/script\s*>/gi, '').replace(/<script[^>]*\/>/gi, '');
  s = s.replace(/<foreignObject[\s\S]*?<\/foreignObject\s*>/gi, '');
  s = s.replace(/\son[a-z]+\s*=\s*("[^"]*"|'[^']*')/gi, '');
  s = s.replace(/<a\b([^>]*?)(\/?)>/gi, (_whole, attrs: string, selfClosing: string) => {
    if (selfClosing) {
      return '';
    }
    const title = /\bxlink:title\s*=\s*"([^"]*)"/.exec(attrs) ?? /\btitle\s*=\s*"([^"]*)"/.exec(attrs);
    return `<g class="glacier-link">${title ? `<title>${title[1].replace(/</g, '&lt;')}</title>` : ''}`;
  });
  s = s.replace(/<\/a\s*>/gi, '</g>');
  return s.trim();
}

/** Ids of the task and dataset nodes in a Graphviz SVG (the `id` of their <g> elements). */
export function svgNodeIds(svg: string): { tasks: string[]; datasets: string[] } {
  const tasks: string[] = [];
  const datasets: string[] = [];
  const re = /<g\b[^>]*\sid="(task|dataset):([^"]*)"/g;
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

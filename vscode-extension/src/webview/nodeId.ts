/** Finding the clicked graph node in the webview's DOM (pure, unit-tested with fake elements). */

export interface ElementLike {
  readonly localName?: string;
  readonly tagName?: string;
  readonly parentNode: ElementLike | null;
  getAttribute?(name: string): string | null;
}

export const NODE_ID = /^(task|dataset):/;

/** The id of the nearest ancestor <g> (or the element itself) whose id starts with task: or dataset:. */
export function findNodeElementId(start: ElementLike | null | undefined): string | undefined {
  for (let el = start ?? null; el; el = el.parentNode) {
    const name = (el.localName ?? el.tagName ?? '').toLowerCase();
    if (name === 'g' && typeof el.getAttribute === 'function') {
      const id = el.getAttribute('id');
      if (id && NODE_ID.test(id)) {
        return id;
      }
    }
  }
  return undefined;
}

/**
 * Finding island markers in the DOM and giving preact a parent for the nodes between them.
 * Written against a minimal node shape, so it can be tested without a DOM.
 *
 * @module
 */

/** The parts of a DOM `Node` this module reads. */
export interface MarkerNode {
  nodeType: number;
  /** Text of a comment node. */
  data?: string;
  firstChild: MarkerNode | null;
  nextSibling: MarkerNode | null;
}

/** One island found in the page. */
export interface FoundIsland<N extends MarkerNode = MarkerNode> {
  name: string;
  /** Index of the island's props in the page state. */
  index: number;
  /** The `<!--frsh:island:…-->` comment. */
  start: N;
  /** The `<!--/frsh:island-->` comment. */
  end: N;
}

const COMMENT = 8;
const START = /^frsh:island:([A-Za-z0-9_$]+):(\d+)$/;
const END = "/frsh:island";

/**
 * The outermost islands below `root`, in document order. Markers nested inside an island are
 * skipped (the server does not write them, but an island could render the text); an island
 * without its end marker is ignored.
 */
export function findIslands<N extends MarkerNode>(root: N): FoundIsland<N>[] {
  const found: FoundIsland<N>[] = [];
  let open: { name: string; index: number; start: N } | null = null;
  let depth = 0;
  const visit = (node: N) => {
    for (let child = node.firstChild as N | null; child; child = child.nextSibling as N | null) {
      if (child.nodeType === COMMENT) {
        const text = child.data ?? "";
        const start = START.exec(text);
        if (start !== null) {
          if (depth === 0) open = { name: start[1], index: Number(start[2]), start: child };
          depth++;
        } else if (text === END && depth > 0) {
          depth--;
          if (depth === 0 && open !== null) {
            found.push({ ...open, end: child });
            open = null;
          }
        }
      } else if (depth === 0 && child.firstChild !== null) {
        visit(child);
        // Markers pair up within one parent: drop an island left open inside an element.
        depth = 0;
        open = null;
      }
    }
  };
  visit(root);
  return found;
}

/** What preact's `render()`/`hydrate()` use of their parent node. */
export interface IslandParent {
  nodeType: number;
  namespaceURI: string | null;
  readonly firstChild: Node | null;
  readonly childNodes: Node[];
  insertBefore(node: Node, before: Node | null): Node;
  appendChild(node: Node): Node;
  removeChild(node: Node): Node;
}

/**
 * A stand-in parent for the nodes between `start` and `end` (siblings), for
 * `hydrate(vnode, parent)`: preact sees only those nodes, and whatever it appends lands before
 * `end`.
 */
export function islandParent(start: Node, end: Node): IslandParent {
  const parent = start.parentNode!;
  const between = () => {
    const nodes: Node[] = [];
    for (let n = start.nextSibling; n !== null && n !== end; n = n.nextSibling) nodes.push(n);
    return nodes;
  };
  return {
    nodeType: 1,
    namespaceURI: (parent as Element).namespaceURI ?? null,
    get firstChild() {
      return start.nextSibling === end ? null : start.nextSibling;
    },
    get childNodes() {
      return between();
    },
    insertBefore: (node, before) => parent.insertBefore(node, before ?? end),
    appendChild: (node) => parent.insertBefore(node, end),
    removeChild: (node) => parent.removeChild(node),
  };
}

import assert from "node:assert/strict";
import { findIslands, type MarkerNode } from "./markers.ts";

/** A tiny DOM stand-in: elements with children, comments with data, text. */
interface Fake extends MarkerNode {
  label: string;
}

function el(label: string, ...children: Fake[]): Fake {
  const node: Fake = { nodeType: 1, label, firstChild: children[0] ?? null, nextSibling: null };
  children.forEach((child, i) => (child.nextSibling = children[i + 1] ?? null));
  return node;
}
const text = (label: string): Fake => ({ nodeType: 3, label, firstChild: null, nextSibling: null });
const comment = (data: string): Fake => ({
  nodeType: 8,
  label: `<!--${data}-->`,
  data,
  firstChild: null,
  nextSibling: null,
});

Deno.test("finds outermost islands in document order, with name, index and both markers", () => {
  const a = comment("frsh:island:Counter:0");
  const aEnd = comment("/frsh:island");
  const b = comment("frsh:island:panels_Echo:1");
  const bEnd = comment("/frsh:island");
  const body = el(
    "body",
    el("header", text("x")),
    el("main", a, el("div", text("3")), aEnd, comment("unrelated"), el("section", b, bEnd)),
  );
  const found = findIslands(body);
  assert.deepEqual(
    found.map((i) => [i.name, i.index, i.start, i.end]),
    [["Counter", 0, a, aEnd], ["panels_Echo", 1, b, bEnd]],
  );
});

Deno.test("markers nested inside an island are part of it", () => {
  const outer = comment("frsh:island:Outer:0");
  const outerEnd = comment("/frsh:island");
  const body = el(
    "body",
    outer,
    comment("frsh:island:Inner:1"),
    el("p", comment("frsh:island:Deep:2"), comment("/frsh:island")),
    comment("/frsh:island"),
    outerEnd,
  );
  assert.deepEqual(findIslands(body).map((i) => [i.name, i.start, i.end]), [[
    "Outer",
    outer,
    outerEnd,
  ]]);
});

Deno.test("unterminated or malformed markers are ignored", () => {
  const body = el(
    "body",
    el("div", comment("frsh:island:Lost:0")),
    comment("frsh:island:bad name:1"),
    comment("/frsh:island"),
    comment("frsh:island:Ok:2"),
    comment("/frsh:island"),
  );
  assert.deepEqual(findIslands(body).map((i) => i.name), ["Ok"]);
});

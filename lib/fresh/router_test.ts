import assert from "node:assert/strict";
import { acceptsMethod, middlewareItem, resolve, routeItem, type RouterItem } from "./router.ts";

type Item = RouterItem<string, string>;

Deno.test("resolve collects the middlewares listed before the matching route", () => {
  const items: Item[] = [
    middlewareItem(null, ["a"]),
    routeItem("/one", ["GET"], "one"),
    middlewareItem(null, ["b"]),
    routeItem("/two", ["GET"], "two"),
  ];
  const one = resolve(items, "GET", "/one");
  assert.equal(one.route?.value, "one");
  assert.deepEqual(one.middlewares, ["a"]);
  const two = resolve(items, "GET", "/two");
  assert.equal(two.route?.value, "two");
  assert.deepEqual(two.middlewares, ["a", "b"]);
  const none = resolve(items, "GET", "/three");
  assert.equal(none.route, null);
  assert.deepEqual(none.middlewares, ["a", "b"]);
  assert.deepEqual(none.allow, []);
});

Deno.test("middleware prefixes cover the path and below, not siblings", () => {
  const items: Item[] = [
    middlewareItem("/api", ["api"]),
    middlewareItem("/admin/*", ["admin"]),
    middlewareItem("/", ["all"]),
  ];
  assert.deepEqual(resolve(items, "GET", "/api").middlewares, ["api", "all"]);
  assert.deepEqual(resolve(items, "GET", "/api/x/y").middlewares, ["api", "all"]);
  assert.deepEqual(resolve(items, "GET", "/apix").middlewares, ["all"]);
  assert.deepEqual(resolve(items, "GET", "/admin/users").middlewares, ["admin", "all"]);
  assert.throws(() => middlewareItem("api", ["x"]), TypeError);
});

Deno.test("the first route that matches path and method wins", () => {
  const items: Item[] = [
    routeItem("/x", ["POST"], "post"),
    routeItem("/x", ["GET"], "get"),
    routeItem("/x", "*", "any"),
  ];
  assert.equal(resolve(items, "POST", "/x").route?.value, "post");
  assert.equal(resolve(items, "GET", "/x").route?.value, "get");
  assert.equal(resolve(items, "HEAD", "/x").route?.value, "get");
  assert.equal(resolve(items, "DELETE", "/x").route?.value, "any");
});

Deno.test("a path matched only with other methods reports what is allowed", () => {
  const items: Item[] = [
    routeItem("/x", ["POST"], "post"),
    routeItem("/x", ["GET"], "get"),
  ];
  const found = resolve(items, "PUT", "/x");
  assert.equal(found.route, null);
  assert.deepEqual(found.allow, ["GET", "HEAD", "POST"]);
});

Deno.test("params are decoded; an empty catch-all is an empty string", () => {
  const items: Item[] = [routeItem("/a/:id", ["GET"], "a"), routeItem("/r/:rest*", ["GET"], "r")];
  assert.deepEqual(resolve(items, "GET", "/a/caf%C3%A9%20au%20lait").params, {
    id: "café au lait",
  });
  assert.deepEqual(resolve(items, "GET", "/a/%E0%A4%A").params, { id: "%E0%A4%A" });
  assert.deepEqual(resolve(items, "GET", "/r/x/y").params, { rest: "x/y" });
  assert.deepEqual(resolve(items, "GET", "/r").params, { rest: "" });
});

Deno.test("acceptsMethod treats HEAD as GET", () => {
  assert.equal(acceptsMethod(["GET"], "HEAD"), true);
  assert.equal(acceptsMethod(["POST"], "HEAD"), false);
  assert.equal(acceptsMethod("*", "PATCH"), true);
  assert.throws(() => routeItem("x", ["GET"], "x"), TypeError);
});

Deno.test("a path with no pattern syntax matches as a string, exactly as URLPattern would", () => {
  const items: Item[] = [
    routeItem("/ws", ["GET"], "ws"),
    routeItem("/favicon.ico", ["GET"], "icon"),
    routeItem("/blog/:id", ["GET"], "post"),
    routeItem("/a/../b", ["GET"], "dots"),
  ];
  assert.equal(items[0].kind === "route" && items[0].literal, "/ws");
  assert.equal(items[2].kind === "route" && items[2].literal, null);
  assert.equal(items[3].kind === "route" && items[3].literal, null, "dot segments: URLPattern");
  for (
    const [path, expected] of [
      ["/ws", "ws"],
      ["/ws/", undefined],
      ["/WS", undefined],
      ["/wsx", undefined],
      ["/favicon.ico", "icon"],
      ["/w%73", undefined],
      ["/blog/7", "post"],
    ] as const
  ) {
    const found = resolve(items, "GET", path).route?.value;
    assert.equal(found, expected, path);
    // The same answer as URLPattern gives.
    const byPattern = items.find((item) =>
      item.kind === "route" && item.pattern.exec({ pathname: path }) !== null
    );
    assert.equal(byPattern?.kind === "route" ? byPattern.value : undefined, expected, path);
  }
});

/**
 * `staticFiles()`: a middleware serving the files in `<root>/static`.
 *
 * @module
 */

import { extname, join, resolve, sep } from "node:path";
import { appBuildFor } from "./build_cache.ts";
import type { Context } from "./context.ts";
import type { MiddlewareFn } from "./middleware.ts";

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".htm": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".xml": "application/xml; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".avif": "image/avif",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".wasm": "application/wasm",
  ".pdf": "application/pdf",
};

/** Cache-Control for files whose URL changes whenever their content does. */
export const IMMUTABLE = "public, max-age=31536000, immutable";

/** The Content-Type for a file name, by extension; `application/octet-stream` if unknown. */
export function contentType(name: string): string {
  return CONTENT_TYPES[extname(name).toLowerCase()] ?? "application/octet-stream";
}

/**
 * Whether a file name carries a content hash: `-` or `.` then 8+ lowercase hex
 * or uppercase base32/36 characters with at least one digit, before the
 * extension (`app-3f2a9c1b.js`, `chunk-K4XQ2Z7M.js`). Requiring a digit keeps
 * words such as `-FAVICONS` from being cached forever by mistake.
 */
export function isHashedName(name: string): boolean {
  const m = /[-.]([0-9a-f]{8,}|[0-9A-Z]{8,})\.[A-Za-z0-9]+$/.exec(name);
  return m !== null && /[0-9]/.test(m[1]);
}

/**
 * The `/`-separated path below a static folder for a raw (still
 * percent-encoded) URL pathname, or `null` when it must not be served:
 * encoded `/`, `\` or NUL, `.`/`..` or empty segments, dot-files other than
 * `.well-known`, undecodable escapes, or a folder path.
 */
export function staticPath(rawPathname: string): string | null {
  if (/%(2f|5c|00)/i.test(rawPathname)) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPathname);
  } catch {
    return null;
  }
  if (!decoded.startsWith("/") || /[\\\0]/.test(decoded)) return null;
  const segments = decoded.slice(1).split("/");
  for (const segment of segments) {
    if (segment === "" || segment === "." || segment === "..") return null;
    if (segment.startsWith(".") && segment !== ".well-known") return null;
  }
  return segments.join("/");
}

interface CachedTag {
  mtime: number;
  size: number;
  etag: string;
}

async function sha1Hex(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function statFile(path: string): Promise<Deno.FileInfo | null> {
  try {
    const info = await Deno.stat(path);
    return info.isFile ? info : null;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return null;
    }
    throw err;
  }
}

/**
 * Every file below `base`, as `/`-separated relative paths; an empty set when `base` is missing.
 * Read once per folder, so a request for a path that is not there (every `/ws` upgrade, every
 * route) costs a set lookup rather than a failed `stat` with its error and stack trace. The files
 * of a running app do not change: `deno task dev` restarts the process when they do.
 */
async function listFiles(base: string): Promise<Set<string>> {
  const files = new Set<string>();
  const visit = async (dir: string, prefix: string) => {
    try {
      for await (const entry of Deno.readDir(dir)) {
        if (entry.isDirectory) await visit(join(dir, entry.name), `${prefix}${entry.name}/`);
        else if (entry.isFile) files.add(`${prefix}${entry.name}`);
      }
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  };
  await visit(base, "");
  return files;
}

function matchesEtag(ifNoneMatch: string | null, etag: string): boolean {
  if (ifNoneMatch === null) return false;
  return ifNoneMatch.split(",").some((tag) => {
    const t = tag.trim();
    return t === "*" || t.replace(/^W\//, "") === etag;
  });
}

/**
 * The answer to another method than GET or HEAD on a file that exists: 405 rather than falling
 * through to a 404, which would tell a client the file is not there (as Fresh 2 does).
 */
function methodNotAllowed(): Response {
  return new Response("Method Not Allowed", {
    status: 405,
    headers: { "allow": "GET, HEAD", "content-type": "text/plain; charset=utf-8" },
  });
}

/** A folder to serve; `immutable`: every file in it has a content-addressed name. */
export type StaticDir = string | { path: string; immutable: boolean };

/**
 * A middleware serving files from `dirs` (searched in order) for GET and HEAD;
 * other methods on a file get 405 with `Allow: GET, HEAD`, and paths that are
 * no file fall through to `ctx.next()`. `dirs` may depend on the request's
 * context, e.g. on `ctx.config.root`.
 *
 * Responses carry a strong ETag (SHA-1 of the content, cached per file until
 * its size or mtime changes) and answer a matching `If-None-Match` with 304.
 * Hashed file names, `?__frsh_c=` URLs and files of `immutable` folders are
 * `immutable`; others `no-cache`.
 */
export function serveStaticDirs<State>(
  dirs: readonly StaticDir[] | ((ctx: Context<State>) => readonly StaticDir[]),
): MiddlewareFn<State> {
  const tags = new Map<string, CachedTag>();
  const listings = new Map<string, Promise<Set<string>>>();
  const listing = (base: string) => {
    let files = listings.get(base);
    if (!files) listings.set(base, files = listFiles(base));
    return files;
  };

  const etagFor = async (path: string, info: Deno.FileInfo): Promise<string> => {
    const mtime = info.mtime?.getTime() ?? 0;
    const cached = tags.get(path);
    if (cached && cached.mtime === mtime && cached.size === info.size) return cached.etag;
    const etag = `"${await sha1Hex(path)}"`;
    tags.set(path, { mtime, size: info.size, etag });
    return etag;
  };

  return async (ctx) => {
    const method = ctx.req.method;
    const rel = staticPath(ctx.url.pathname);
    if (rel === null) return ctx.next();

    for (const dir of typeof dirs === "function" ? dirs(ctx) : dirs) {
      const base = resolve(typeof dir === "string" ? dir : dir.path);
      const immutableDir = typeof dir !== "string" && dir.immutable;
      if (!(await listing(base)).has(rel)) continue;
      const path = resolve(join(base, rel));
      if (!path.startsWith(base + sep)) continue;
      const info = await statFile(path);
      if (info === null) continue;
      if (method !== "GET" && method !== "HEAD") return methodNotAllowed();

      const etag = await etagFor(path, info);
      const headers = new Headers({
        "content-type": contentType(path),
        "etag": etag,
        "cache-control": immutableDir || ctx.url.searchParams.has("__frsh_c") || isHashedName(path)
          ? IMMUTABLE
          : "no-cache",
      });
      if (matchesEtag(ctx.req.headers.get("if-none-match"), etag)) {
        return new Response(null, { status: 304, headers });
      }
      if (method === "HEAD") {
        headers.set("content-length", String(info.size));
        return new Response(null, { status: 200, headers });
      }
      const file = await Deno.open(path, { read: true });
      // Length of the file actually opened, in case it was replaced since the stat.
      headers.set("content-length", String((await file.stat()).size));
      return new Response(file.readable, { status: 200, headers });
    }
    return ctx.next();
  };
}

/**
 * A middleware serving the files in `<root>/static` (root: `ctx.config.root`)
 * and the built browser code under `/_fresh/js/`: from `_fresh/static` after
 * `deno task build` (all immutable), else bundled in memory on first request.
 *
 * ```ts
 * import { App, staticFiles } from "fresh";
 *
 * const app = new App().use(staticFiles()).fsRoutes();
 * ```
 */
export function staticFiles<State>(): MiddlewareFn<State> {
  const fromDirs = serveStaticDirs<State>((ctx) => {
    const dirs: StaticDir[] = [join(ctx.config.root, "static")];
    const staticDir = appBuildFor(ctx.config.root)?.staticDir;
    if (staticDir) dirs.push({ path: staticDir, immutable: true });
    return dirs;
  });
  const tags = new WeakMap<Uint8Array, string>();
  return async (ctx) => {
    const method = ctx.req.method;
    const build = appBuildFor(ctx.config.root);
    const file = build ? await build.devFile(ctx.url.pathname) : null;
    if (file === null) return fromDirs(ctx);
    if (method !== "GET" && method !== "HEAD") return methodNotAllowed();
    let etag = tags.get(file.contents);
    if (etag === undefined) {
      const digest = await crypto.subtle.digest("SHA-1", file.contents as Uint8Array<ArrayBuffer>);
      etag = `"${
        Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("")
      }"`;
      tags.set(file.contents, etag);
    }
    const headers = new Headers({
      "content-type": contentType(ctx.url.pathname),
      "etag": etag,
      "cache-control": file.immutable ? IMMUTABLE : "no-cache",
    });
    if (matchesEtag(ctx.req.headers.get("if-none-match"), etag)) {
      return new Response(null, { status: 304, headers });
    }
    headers.set("content-length", String(file.contents.byteLength));
    return new Response(method === "HEAD" ? null : file.contents as Uint8Array<ArrayBuffer>, {
      status: 200,
      headers,
    });
  };
}

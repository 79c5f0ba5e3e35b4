/**
 * Pieces for the black-box tests of issue 14 (identity, private rooms, server API), written from
 * the text rather than from the implementation: tokens minted with `jose` (good ones and
 * each kind of forgery), a JWKS endpoint on loopback, probes that connect with a token, and a
 * small client for the HTTP server API.
 *
 * @module
 */

import assert from "node:assert/strict";
import * as jose from "jose";
import { type Frame, Probe } from "./helpers.ts";
import { type UpgradeAnswer, upgradeAnswer } from "./raw_socket.ts";
import type { ServerProcess } from "./server_process.ts";

/** The HS256 secret the servers under test are given as `AUTH_SECRET`. */
export const SECRET = "spec-secret-7f3a9c1e5b2d4f6a8c0e1b3d5f7a9c2e";
/** The `API_KEY` the servers under test are given. */
export const API_KEY = "spec-api-key-4b8d2f6a1c9e3b7d";

const encoder = new TextEncoder();

/** Epoch seconds, as JWT `exp` counts. */
export const nowS = () => Math.floor(Date.now() / 1000);

export interface SignOptions {
  /** Absolute `exp` in epoch seconds; `null` leaves the claim out. Default: two minutes ahead. */
  exp?: number | null;
  alg?: string;
  kid?: string;
}

/** Signs `claims` with `key` (a secret string or a private key) as a JWT. */
export async function sign(
  claims: jose.JWTPayload & Record<string, unknown>,
  key: string | CryptoKey,
  { exp = nowS() + 120, alg = "HS256", kid }: SignOptions = {},
): Promise<string> {
  const jwt = new jose.SignJWT(claims).setProtectedHeader({ alg, typ: "JWT", kid }).setIssuedAt();
  if (exp !== null) jwt.setExpirationTime(exp);
  return await jwt.sign(typeof key === "string" ? encoder.encode(key) : key);
}

/** An HS256 token signed with {@link SECRET}. */
export function token(
  claims: jose.JWTPayload & Record<string, unknown>,
  options: SignOptions = {},
): Promise<string> {
  return sign(claims, SECRET, options);
}

const b64url = (value: unknown) =>
  jose.base64url.encode(typeof value === "string" ? value : JSON.stringify(value));

/** An unsigned token (`alg: "none"`, empty signature) carrying `claims`. */
export function unsignedToken(claims: Record<string, unknown>): string {
  return `${b64url({ alg: "none", typ: "JWT" })}.${b64url(claims)}.`;
}

/** `jwt` with its payload changed by `changes` and the original signature kept. */
export function tampered(jwt: string, changes: Record<string, unknown>): string {
  const [header, payload, signature] = jwt.split(".");
  const claims = JSON.parse(new TextDecoder().decode(jose.base64url.decode(payload)));
  return `${header}.${b64url({ ...claims, ...changes })}.${signature}`;
}

/** A key pair for `alg` with its public half as PEM (SPKI), for `AUTH_PUBLIC_KEY`. */
export async function keyPair(alg: "RS256" | "ES256" | "PS256") {
  const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true });
  return { publicKey, privateKey, pem: await jose.exportSPKI(publicKey) };
}

/** A JWKS document served on 127.0.0.1 (for `AUTH_JWKS_URL`), closed when disposed. */
export async function serveJwks(
  keys: { publicKey: CryptoKey; alg: string; kid: string }[],
): Promise<{ url: string } & AsyncDisposable> {
  const jwks = {
    keys: await Promise.all(keys.map(async ({ publicKey, alg, kid }) => ({
      ...await jose.exportJWK(publicKey),
      alg,
      kid,
      use: "sig",
    }))),
  };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => Response.json(jwks),
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/.well-known/jwks.json`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/** `/ws?token=…` (and any other query parameters) on `node`. */
export function wsUrl(node: ServerProcess, query: Record<string, string> = {}): string {
  const search = new URLSearchParams(query).toString();
  return search ? `${node.wsUrl}?${search}` : node.wsUrl;
}

/** What `node` answers an upgrade to `/ws` with `query`, read from a raw socket. */
export function upgradeWith(
  node: ServerProcess,
  query: Record<string, string>,
): Promise<UpgradeAnswer> {
  return upgradeAnswer(node.port, {}, `/ws?${new URLSearchParams(query)}`);
}

/** A probe connected with `jwt` (or anonymous without one), past its `welcome`. */
export function openWith(node: ServerProcess, jwt?: string): Promise<Probe> {
  return Probe.open(wsUrl(node, jwt === undefined ? {} : { token: jwt }));
}

/** The `welcome` data a probe got. */
export function welcomeOf(probe: Probe): Record<string, unknown> {
  const welcome = probe.frames.find((f) => f.type === "welcome");
  assert.ok(welcome?.data, "no welcome");
  return welcome.data;
}

/** A promise that rejects with `message()` after `ms`, unless cleared first. */
export function deadline(ms: number, message: () => string) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), ms);
  });
  return { expired, clear: () => clearTimeout(timer) };
}

/** Waits up to `timeoutMs` for the probe's socket to close, and returns when and how. */
export async function closedWithin(
  probe: Probe,
  timeoutMs: number,
): Promise<{ code: number; reason: string; at: number }> {
  const limit = deadline(timeoutMs, () => `not closed within ${timeoutMs} ms: ${probe.describe()}`);
  try {
    const event = await Promise.race([probe.closed, limit.expired]);
    return { code: event.code, reason: event.reason, at: Date.now() };
  } finally {
    limit.clear();
  }
}

/** The reply's error code, or a failure naming the whole reply when it succeeded. */
export function errorCode(reply: Frame): string | undefined {
  assert.equal(reply.ok, false, `expected a refusal, got ${JSON.stringify(reply)}`);
  return reply.error?.code;
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  /** The parsed body, or the raw text when it is not JSON. */
  body: unknown;
  text: string;
}

/**
 * Calls the server API on `node`: `body` is sent as JSON (a string is sent as it is), `key` goes
 * in `Authorization: Bearer …` unless it is null; `authorization` replaces the whole header.
 */
export async function api(
  node: ServerProcess,
  method: string,
  path: string,
  { body, key = API_KEY, authorization }: {
    body?: unknown;
    key?: string | null;
    authorization?: string;
  } = {},
): Promise<ApiAnswer> {
  const headers: Record<string, string> = {};
  if (authorization !== undefined) headers.authorization = authorization;
  else if (key !== null) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${node.origin}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: the caller sees the text.
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/** Asserts the API's error shape, `{"error": {"code", "message"}}`, with `status` and `code`. */
export function assertApiError(answer: ApiAnswer, status: number, code: string, what: string) {
  assert.equal(answer.status, status, `${what}: ${answer.text}`);
  const body = answer.body as { error?: { code?: unknown; message?: unknown } };
  assert.equal(typeof body, "object", `${what}: not JSON: ${answer.text}`);
  assert.equal(body.error?.code, code, `${what}: ${answer.text}`);
  assert.equal(typeof body.error?.message, "string", `${what}: ${answer.text}`);
  assert.ok((body.error?.message as string).length > 0, `${what}: empty message`);
}

/** Asserts a 2xx JSON answer and returns its body. */
export function okJson(answer: ApiAnswer, what: string): Record<string, unknown> {
  assert.equal(answer.status, 200, `${what}: ${answer.status} ${answer.text}`);
  assert.match(answer.headers.get("content-type") ?? "", /application\/json/, what);
  return answer.body as Record<string, unknown>;
}

/**
 * Publishes a sentinel to `room` and returns every chat `probe` got from the mark `since` (an
 * index into its frames) up to the sentinel: one server's publishes to one room keep their order,
 * so anything a call before it delivered has arrived by then.
 */
export async function chatsUpToSentinel(
  node: ServerProcess,
  probe: Probe,
  room: string,
  since: number,
): Promise<Frame[]> {
  const text = `sentinel ${crypto.randomUUID()}`;
  okJson(await api(node, "POST", "/api/publish", { body: { room, text } }), "sentinel");
  await probe.next((f) => f.type === "chat" && f.data?.text === text);
  const chats = probe.frames.slice(since).filter((f) => f.type === "chat");
  return chats.slice(0, chats.findIndex((f) => f.data?.text === text));
}

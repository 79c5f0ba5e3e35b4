/**
 * Server configuration, read from the environment (and `.env` through Deno's `--env-file`).
 * Every variable is checked at start; a bad value stops the server with a message that names the
 * variable, because a typo found at 3 a.m. in production is worse than one found at deploy time.
 *
 * It runs a little past 300 lines because it holds every variable's parser and its entry in one
 * table, so that a variable is read the same way wherever it is documented.
 *
 * @module
 */

import * as auth from "../auth/config.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";

/** The `AUTH_*` variables and `USER_CONNECTION_LIMIT` are described in `lib/auth/config.ts`. */
export interface Config extends auth.AuthSettings {
  port: number;
  host: string;
  heartbeatMs: number;
  maxMessageBytes: number;
  /** Frames per second per session; 0 turns the limit off. Burst is twice the rate. */
  rateLimit: number;
  /**
   * Requests that notify other sessions (chat, dm, set_name, join, leave, dm_request), per second
   * per session; 0 turns the limit off. Burst is twice the rate.
   */
  chatRate: number;
  /** `["*"]` allows every origin; an empty list allows only the server's own. */
  allowedOrigins: string[];
  maxBufferedBytes: number;
  logLevel: LogLevel;
  /** Seconds without any frame (pong included) before a peer is taken for dead. */
  idleTimeoutS: number;
  /** How long an unanswered DM request stays pending. */
  dmRequestTtlMs: number;
  /** Rooms with more members than this get no `presence`/`renamed` events. */
  presenceLimit: number;
  /** Empty: the in-memory hub. Set: this process is one node of a deployment joined by Redis. */
  redisUrl: string;
  redisPassword: string;
  /** This node's name in the deployment; empty means one is made up at start. */
  nodeId: string;
  /** How soon a node that stopped (even by `kill -9`) disappears from every other node's view. */
  nodeTtlMs: number;
  /** How long a dropped session waits to be resumed; 0 ends sessions with their connection. */
  resumeTtlMs: number;
  /** Events an away session may miss and still be resumed whole. */
  resumeBuffer: number;
  /** Messages per room kept for `history`; 0 keeps none. */
  historySize: number;
  /** How long a room's history outlives its last message. */
  historyTtlMs: number;
  /** WebSocket connections this process holds at most; 0 derives it from the open-file limit. */
  maxConnections: number;
  /**
   * The origin browsers reach the server at (`https://chat.example.com`); empty when unset. When
   * set, it is the server's own origin and upgrades with another `Host` are refused.
   */
  publicUrl: string;
  /** Bearer token for `/metrics`; empty means only loopback may read it. */
  metricsToken: string;
  /** Bearer key of the server API (`/api/publish`, …); empty turns the API off (404). */
  apiKey: string;
  /** `text`: one greppable line per record; `json`: one JSON object per line, for log shippers. */
  logFormat: LogFormat;
  /** `SIO_CONFORMANCE`: serve the official Socket.IO suites' fixture under `/conformance/`. */
  sioConformance: boolean;
  /** `SIO_SEED_DMS`: seed 001's direct messages (no consent) between `/socket.io/` sessions. */
  sioSeedDms: boolean;
}

export type LogFormat = "text" | "json";

export const DEFAULTS: Config = {
  port: 8000,
  host: "0.0.0.0",
  heartbeatMs: 60_000,
  maxMessageBytes: 65_536,
  rateLimit: 5000,
  chatRate: 20,
  allowedOrigins: [],
  maxBufferedBytes: 1_048_576,
  logLevel: "info",
  idleTimeoutS: 30,
  dmRequestTtlMs: 60_000,
  presenceLimit: 250,
  redisUrl: "",
  redisPassword: "",
  nodeId: "",
  nodeTtlMs: 10_000,
  resumeTtlMs: 120_000,
  resumeBuffer: 1000,
  historySize: 200,
  historyTtlMs: 3_600_000,
  maxConnections: 0,
  publicUrl: "",
  metricsToken: "",
  apiKey: "",
  logFormat: "text",
  sioConformance: false,
  sioSeedDms: true,
  ...auth.AUTH_DEFAULTS,
};

/** One documented variable: its name, what it holds, and how to read it. */
interface Variable<K extends keyof Config> {
  key: K;
  env: string;
  parse(raw: string): Config[K];
}

/** A configuration value that cannot be used; the message names the variable. */
export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = "ConfigError";
  }
}

/** A whole number from `min` to `max`; without `max`, only the lower bound is checked and told. */
function integer(min: number, max?: number) {
  return (raw: string): number => {
    const text = raw.trim();
    if (!/^\d+$/.test(text)) throw new Error(`expected a whole number, got "${raw}"`);
    const n = Number(text);
    // Past 2^53 the number read is no longer the number written.
    if (!Number.isSafeInteger(n)) throw new Error(`${text} is too large`);
    if (max === undefined) {
      if (n < min) throw new Error(`expected at least ${min}, got ${n}`);
    } else if (n < min || n > max) {
      throw new Error(`expected ${min} to ${max}, got ${n}`);
    }
    return n;
  };
}

function rate(raw: string): number {
  const text = raw.trim();
  if (!/^\d+(\.\d+)?$/.test(text)) {
    throw new Error(`expected a rate per second (0 turns it off), got "${raw}"`);
  }
  return Number(text);
}

function host(raw: string): string {
  const text = raw.trim();
  if (text === "" || /\s/.test(text)) throw new Error(`expected a host name or address`);
  return text;
}

function origins(raw: string): string[] {
  const list = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (list.includes("*")) {
    if (list.length > 1) throw new Error(`"*" cannot be combined with other origins`);
    return ["*"];
  }
  return list.map((item) => {
    let url: URL;
    try {
      url = new URL(item);
    } catch {
      throw new Error(`"${item}" is not an origin like https://example.com`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new Error(`"${item}" must use http or https`);
    }
    if (url.origin !== item.replace(/\/$/, "")) {
      throw new Error(`"${item}" is not a bare origin; use ${url.origin}`);
    }
    return url.origin;
  });
}

function redisUrl(raw: string): string {
  const text = raw.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`"${raw}" is not a URL like redis://host:6379`);
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new Error(`"${raw}" must start with redis:// or rediss://`);
  }
  return text;
}

function nodeId(raw: string): string {
  const text = raw.trim();
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(text)) {
    throw new Error(`expected 1 to 64 characters of A-Z, a-z, 0-9, "_", "." or "-"`);
  }
  return text;
}

function logLevel(raw: string): LogLevel {
  const text = raw.trim().toLowerCase();
  if (text === "debug" || text === "info" || text === "warn" || text === "error") return text;
  throw new Error(`expected debug, info, warn or error, got "${raw}"`);
}

function publicUrl(raw: string): string {
  const text = raw.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`"${raw}" is not a URL like https://chat.example.com`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`"${raw}" must use http or https`);
  }
  if (url.origin !== text.replace(/\/$/, "")) {
    throw new Error(`"${raw}" is not a bare origin; use ${url.origin}`);
  }
  return url.origin;
}

/**
 * The server API's key: what a backend sends as `Authorization: Bearer <key>`, so one token of
 * visible ASCII (a header could not carry the rest). Its strength is the operator's to choose.
 */
function apiKey(raw: string): string {
  const text = raw.trim();
  if (!/^[\x21-\x7e]+$/.test(text)) throw new Error("expected visible ASCII, with no spaces");
  return text;
}

function logFormat(raw: string): LogFormat {
  const text = raw.trim().toLowerCase();
  if (text === "text" || text === "json") return text;
  throw new Error(`expected text or json, got "${raw}"`);
}

function flag(raw: string): boolean {
  const text = raw.trim().toLowerCase();
  if (text === "1" || text === "true") return true;
  if (text === "0" || text === "false") return false;
  throw new Error(`expected 1 or 0 (true or false), got "${raw}"`);
}

const VARIABLES: { [K in keyof Config]: Variable<K> } = {
  port: { key: "port", env: "PORT", parse: integer(0, 65535) },
  host: { key: "host", env: "HOST", parse: host },
  heartbeatMs: { key: "heartbeatMs", env: "HEARTBEAT_MS", parse: integer(10) },
  maxMessageBytes: { key: "maxMessageBytes", env: "MAX_MESSAGE_BYTES", parse: integer(64) },
  rateLimit: { key: "rateLimit", env: "RATE_LIMIT", parse: rate },
  chatRate: { key: "chatRate", env: "CHAT_RATE", parse: rate },
  allowedOrigins: { key: "allowedOrigins", env: "ALLOWED_ORIGINS", parse: origins },
  maxBufferedBytes: { key: "maxBufferedBytes", env: "MAX_BUFFERED_BYTES", parse: integer(1024) },
  logLevel: { key: "logLevel", env: "LOG_LEVEL", parse: logLevel },
  idleTimeoutS: { key: "idleTimeoutS", env: "IDLE_TIMEOUT_S", parse: integer(1, 3600) },
  dmRequestTtlMs: { key: "dmRequestTtlMs", env: "DM_REQUEST_TTL_MS", parse: integer(10) },
  presenceLimit: { key: "presenceLimit", env: "PRESENCE_LIMIT", parse: integer(0) },
  redisUrl: { key: "redisUrl", env: "REDIS_URL", parse: redisUrl },
  redisPassword: { key: "redisPassword", env: "REDIS_PASSWORD", parse: (raw) => raw },
  nodeId: { key: "nodeId", env: "NODE_ID", parse: nodeId },
  nodeTtlMs: { key: "nodeTtlMs", env: "NODE_TTL_MS", parse: integer(250) },
  resumeTtlMs: { key: "resumeTtlMs", env: "RESUME_TTL_MS", parse: integer(0, 86_400_000) },
  resumeBuffer: { key: "resumeBuffer", env: "RESUME_BUFFER", parse: integer(1, 1_000_000) },
  historySize: { key: "historySize", env: "HISTORY_SIZE", parse: integer(0, 100_000) },
  historyTtlMs: { key: "historyTtlMs", env: "HISTORY_TTL_MS", parse: integer(1000) },
  maxConnections: { key: "maxConnections", env: "MAX_CONNECTIONS", parse: integer(0, 10_000_000) },
  publicUrl: { key: "publicUrl", env: "PUBLIC_URL", parse: publicUrl },
  metricsToken: { key: "metricsToken", env: "METRICS_TOKEN", parse: (raw) => raw.trim() },
  apiKey: { key: "apiKey", env: "API_KEY", parse: apiKey },
  logFormat: { key: "logFormat", env: "LOG_FORMAT", parse: logFormat },
  sioConformance: { key: "sioConformance", env: "SIO_CONFORMANCE", parse: flag },
  sioSeedDms: { key: "sioSeedDms", env: "SIO_SEED_DMS", parse: flag },
  authMode: { key: "authMode", env: "AUTH_MODE", parse: auth.authMode },
  authSecret: { key: "authSecret", env: "AUTH_SECRET", parse: auth.secret },
  authPublicKey: { key: "authPublicKey", env: "AUTH_PUBLIC_KEY", parse: auth.publicKey },
  authJwksUrl: { key: "authJwksUrl", env: "AUTH_JWKS_URL", parse: auth.jwksUrl },
  authAlgorithm: { key: "authAlgorithm", env: "AUTH_ALGORITHM", parse: auth.algorithm },
  authAudience: { key: "authAudience", env: "AUTH_AUDIENCE", parse: (raw) => raw.trim() },
  authIssuer: { key: "authIssuer", env: "AUTH_ISSUER", parse: (raw) => raw.trim() },
  userConnectionLimit: {
    key: "userConnectionLimit",
    env: "USER_CONNECTION_LIMIT",
    parse: integer(0, 1_000_000),
  },
};

/**
 * Reads the configuration from `env` (a lookup, so tests pass a plain object).
 * Unset or empty variables take their default.
 *
 * @example
 * ```ts
 * const config = loadConfig((name) => Deno.env.get(name));
 * ```
 * @throws {ConfigError} naming the first variable whose value cannot be used, or the one that
 * does not fit with the others (`AUTH_*`).
 */
export function loadConfig(env: (name: string) => string | undefined): Config {
  const config: Record<string, unknown> = { ...DEFAULTS };
  for (const variable of Object.values(VARIABLES)) {
    const raw = env(variable.env);
    if (raw === undefined || raw.trim() === "") continue;
    try {
      config[variable.key] = variable.parse(raw);
    } catch (err) {
      throw new ConfigError(variable.env, (err as Error).message);
    }
  }
  const mismatch = auth.authMismatch(config as unknown as Config);
  if (mismatch) throw new ConfigError(mismatch.variable, mismatch.message);
  return config as unknown as Config;
}

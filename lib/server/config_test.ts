import assert from "node:assert/strict";
import { ConfigError, DEFAULTS, loadConfig } from "./config.ts";

const from = (env: Record<string, string>) => loadConfig((name) => env[name]);

function refused(env: Record<string, string>, variable: string): string {
  try {
    from(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.variable, variable);
    assert.ok(err.message.startsWith(`${variable}: `), err.message);
    return err.message;
  }
  assert.fail(`expected ${JSON.stringify(env)} to be refused`);
}

Deno.test("defaults when nothing is set, or set to empty", () => {
  assert.deepEqual(from({}), DEFAULTS);
  assert.deepEqual(from({ PORT: "", LOG_LEVEL: "  " }), DEFAULTS);
  assert.equal(DEFAULTS.port, 8000);
  assert.equal(DEFAULTS.host, "0.0.0.0");
  assert.equal(DEFAULTS.heartbeatMs, 60_000);
  assert.equal(DEFAULTS.maxMessageBytes, 65_536);
  assert.equal(DEFAULTS.rateLimit, 5000);
  assert.equal(DEFAULTS.chatRate, 20);
  assert.equal(DEFAULTS.maxBufferedBytes, 1_048_576);
  assert.equal(DEFAULTS.presenceLimit, 250);
  assert.equal(DEFAULTS.resumeTtlMs, 120_000);
  assert.equal(DEFAULTS.resumeBuffer, 1000);
  assert.equal(DEFAULTS.historySize, 200);
  assert.equal(DEFAULTS.historyTtlMs, 3_600_000);
});

Deno.test("every variable is read", () => {
  assert.deepEqual(
    from({
      PORT: "0",
      HOST: "127.0.0.1",
      HEARTBEAT_MS: "250",
      MAX_MESSAGE_BYTES: "1024",
      RATE_LIMIT: "0",
      CHAT_RATE: "2.5",
      ALLOWED_ORIGINS: "https://a.example, http://b.example:8080/",
      MAX_BUFFERED_BYTES: "65536",
      LOG_LEVEL: "DEBUG",
      IDLE_TIMEOUT_S: "5",
      DM_REQUEST_TTL_MS: "1000",
      PRESENCE_LIMIT: "50",
      REDIS_URL: "redis://127.0.0.1:6390",
      REDIS_PASSWORD: "s3cret",
      NODE_ID: "node-a",
      NODE_TTL_MS: "2000",
      RESUME_TTL_MS: "0",
      RESUME_BUFFER: "50",
      HISTORY_SIZE: "0",
      HISTORY_TTL_MS: "5000",
      MAX_CONNECTIONS: "100",
      PUBLIC_URL: "https://chat.example.com/",
      METRICS_TOKEN: " t0ken ",
      API_KEY: " k3y-for-the-api ",
      LOG_FORMAT: "JSON",
      SIO_CONFORMANCE: "1",
      SIO_SEED_DMS: "false",
      AUTH_MODE: " Required ",
      AUTH_JWKS_URL: "https://id.example.com/.well-known/jwks.json",
      AUTH_ALGORITHM: "es256",
      AUTH_AUDIENCE: " chat ",
      AUTH_ISSUER: "https://id.example.com",
      USER_CONNECTION_LIMIT: "3",
    }),
    {
      port: 0,
      host: "127.0.0.1",
      heartbeatMs: 250,
      maxMessageBytes: 1024,
      rateLimit: 0,
      chatRate: 2.5,
      allowedOrigins: ["https://a.example", "http://b.example:8080"],
      maxBufferedBytes: 65536,
      logLevel: "debug",
      idleTimeoutS: 5,
      dmRequestTtlMs: 1000,
      presenceLimit: 50,
      redisUrl: "redis://127.0.0.1:6390",
      redisPassword: "s3cret",
      nodeId: "node-a",
      nodeTtlMs: 2000,
      resumeTtlMs: 0,
      resumeBuffer: 50,
      historySize: 0,
      historyTtlMs: 5000,
      maxConnections: 100,
      publicUrl: "https://chat.example.com",
      metricsToken: "t0ken",
      apiKey: "k3y-for-the-api",
      logFormat: "json",
      sioConformance: true,
      sioSeedDms: false,
      authMode: "required",
      authSecret: "",
      authPublicKey: "",
      authJwksUrl: "https://id.example.com/.well-known/jwks.json",
      authAlgorithm: "ES256",
      authAudience: "chat",
      authIssuer: "https://id.example.com",
      userConnectionLimit: 3,
    },
  );
  assert.deepEqual(from({ ALLOWED_ORIGINS: "*" }).allowedOrigins, ["*"]);
});

Deno.test("bad values name their variable", () => {
  assert.match(refused({ RESUME_BUFFER: "0" }, "RESUME_BUFFER"), /1 to/);
  // A header could not carry it.
  assert.match(refused({ API_KEY: "two words" }, "API_KEY"), /visible ASCII/);
  assert.match(refused({ RESUME_TTL_MS: "-1" }, "RESUME_TTL_MS"), /whole number|0 to/);
  assert.match(refused({ HISTORY_SIZE: "lots" }, "HISTORY_SIZE"), /whole number/);
  assert.match(refused({ PUBLIC_URL: "chat.example.com" }, "PUBLIC_URL"), /not a URL/);
  assert.match(refused({ PUBLIC_URL: "https://chat.example.com/app" }, "PUBLIC_URL"), /bare/);
  assert.match(refused({ LOG_FORMAT: "xml" }, "LOG_FORMAT"), /text or json/);
  assert.match(refused({ SIO_CONFORMANCE: "yes" }, "SIO_CONFORMANCE"), /1 or 0/);
  assert.match(refused({ MAX_CONNECTIONS: "-5" }, "MAX_CONNECTIONS"), /whole number/);
  assert.match(refused({ PORT: "eighty" }, "PORT"), /whole number/);
  assert.match(refused({ PORT: "70000" }, "PORT"), /0 to 65535/);
  assert.match(refused({ PORT: "-1" }, "PORT"), /whole number/);
  refused({ HEARTBEAT_MS: "1.5" }, "HEARTBEAT_MS");
  refused({ HEARTBEAT_MS: "0" }, "HEARTBEAT_MS");
  refused({ MAX_MESSAGE_BYTES: "1e6" }, "MAX_MESSAGE_BYTES");
  refused({ RATE_LIMIT: "-5" }, "RATE_LIMIT");
  refused({ CHAT_RATE: "fast" }, "CHAT_RATE");
  refused({ ALLOWED_ORIGINS: "*,https://a.example" }, "ALLOWED_ORIGINS");
  refused({ ALLOWED_ORIGINS: "a.example" }, "ALLOWED_ORIGINS");
  refused({ ALLOWED_ORIGINS: "ftp://a.example" }, "ALLOWED_ORIGINS");
  refused({ ALLOWED_ORIGINS: "https://a.example/path" }, "ALLOWED_ORIGINS");
  refused({ MAX_BUFFERED_BYTES: "10" }, "MAX_BUFFERED_BYTES");
  refused({ LOG_LEVEL: "loud" }, "LOG_LEVEL");
  refused({ HOST: "two words" }, "HOST");
  refused({ IDLE_TIMEOUT_S: "0" }, "IDLE_TIMEOUT_S");
  refused({ REDIS_URL: "http://127.0.0.1:6379" }, "REDIS_URL");
  refused({ REDIS_URL: "localhost" }, "REDIS_URL");
  refused({ NODE_ID: "has space" }, "NODE_ID");
  refused({ PRESENCE_LIMIT: "lots" }, "PRESENCE_LIMIT");
  refused({ NODE_TTL_MS: "100" }, "NODE_TTL_MS");
});

Deno.test("a value under a lower bound with no upper bound says 'at least'", () => {
  assert.equal(
    refused({ HEARTBEAT_MS: "0" }, "HEARTBEAT_MS"),
    "HEARTBEAT_MS: expected at least 10, got 0",
  );
  assert.equal(
    refused({ NODE_TTL_MS: "100" }, "NODE_TTL_MS"),
    "NODE_TTL_MS: expected at least 250, got 100",
  );
  // A bounded range still names both ends.
  assert.equal(refused({ PORT: "70000" }, "PORT"), "PORT: expected 0 to 65535, got 70000");
  assert.equal(
    refused({ IDLE_TIMEOUT_S: "0" }, "IDLE_TIMEOUT_S"),
    "IDLE_TIMEOUT_S: expected 1 to 3600, got 0",
  );
});

Deno.test("a number past the safe integer range is refused as too large, not with a huge bound", () => {
  const message = refused({ HISTORY_TTL_MS: "99999999999999999999" }, "HISTORY_TTL_MS");
  assert.doesNotMatch(message, /9007199254740991/);
  assert.match(message, /too large/);
});

Deno.test("AUTH_*: each value read, and combinations that cannot work stop the server", () => {
  const secret = "s".repeat(32);
  const pem = "-----BEGIN PUBLIC KEY-----\\nMFkw\\n-----END PUBLIC KEY-----";
  assert.equal(from({ AUTH_MODE: "optional", AUTH_SECRET: secret }).authSecret, secret);
  // A PEM on one line, as an environment file holds it, has its line breaks back.
  assert.equal(
    from({ AUTH_MODE: "required", AUTH_PUBLIC_KEY: pem }).authPublicKey,
    "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----",
  );
  refused({ AUTH_MODE: "sometimes" }, "AUTH_MODE");
  refused({ AUTH_MODE: "required" }, "AUTH_MODE");
  refused({ AUTH_SECRET: secret }, "AUTH_MODE");
  refused({ AUTH_MODE: "optional", AUTH_SECRET: "short" }, "AUTH_SECRET");
  refused({ AUTH_MODE: "optional", AUTH_PUBLIC_KEY: "MFkw" }, "AUTH_PUBLIC_KEY");
  refused({ AUTH_MODE: "optional", AUTH_JWKS_URL: "http://id.example.com/jwks" }, "AUTH_JWKS_URL");
  assert.equal(
    from({ AUTH_MODE: "optional", AUTH_JWKS_URL: "http://127.0.0.1:9/jwks" }).authJwksUrl,
    "http://127.0.0.1:9/jwks",
  );
  refused({ AUTH_MODE: "optional", AUTH_SECRET: secret, AUTH_PUBLIC_KEY: pem }, "AUTH_PUBLIC_KEY");
  refused(
    { AUTH_MODE: "optional", AUTH_SECRET: secret, AUTH_ALGORITHM: "RS256" },
    "AUTH_ALGORITHM",
  );
  refused(
    { AUTH_MODE: "optional", AUTH_PUBLIC_KEY: pem, AUTH_ALGORITHM: "HS256" },
    "AUTH_ALGORITHM",
  );
  refused(
    { AUTH_MODE: "optional", AUTH_SECRET: secret, AUTH_ALGORITHM: "HS512" },
    "AUTH_ALGORITHM",
  );
  refused({ USER_CONNECTION_LIMIT: "2" }, "USER_CONNECTION_LIMIT");
  refused(
    { AUTH_MODE: "required", AUTH_SECRET: secret, USER_CONNECTION_LIMIT: "-1" },
    "USER_CONNECTION_LIMIT",
  );
});

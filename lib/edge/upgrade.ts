/**
 * The WebSocket opening handshake as RFC 6455 §4.2.1 wants it checked, before `Deno.upgradeWebSocket`
 * sees the request. Deno checks only that `Upgrade`, `Connection` and `Sec-WebSocket-Key` are there,
 * and throws (a 500 with a stack trace) when they are not; it upgrades any version and any key.
 *
 * The answers, in the order the checks run:
 * - no `Upgrade: websocket`: **426** with `Upgrade: websocket` (a plain `GET /ws`);
 * - `Connection` without the `Upgrade` token: **400**;
 * - `Sec-WebSocket-Version` missing or other than 13: **426** with `Sec-WebSocket-Version: 13`
 *   (§4.4: the client learns the version to speak; checked before the key, whose form a client of
 *   another version may not share);
 * - `Sec-WebSocket-Key` missing or not 16 bytes of base64: **400**.
 *
 * @module
 */

/** A handshake this server will not upgrade: the answer to send, and why, for the log. */
export interface HandshakeRefusal {
  response: Response;
  reason: string;
}

/** 16 bytes in base64: 22 characters carrying 128 bits, then the `==` padding. */
const KEY = /^[A-Za-z0-9+/]{22}==$/;

/** Whether a comma-separated header value holds `token`, in any case (`keep-alive, Upgrade`). */
function hasToken(value: string | null, token: string): boolean {
  return value !== null && value.split(",").some((part) => part.trim().toLowerCase() === token);
}

function refuse(status: number, reason: string, headers: HeadersInit = {}): HandshakeRefusal {
  return { response: new Response(`${reason}\n`, { status, headers }), reason };
}

/**
 * Checks the upgrade headers of `req`: `"ok"` when `Deno.upgradeWebSocket` may proceed, otherwise
 * the refusal to answer with.
 *
 * @example
 * ```ts
 * const req = new Request("http://hub.example/ws", {
 *   headers: { upgrade: "websocket", connection: "Upgrade", "sec-websocket-version": "8" },
 * });
 * const checked = checkHandshake(req);
 * if (checked !== "ok") checked.response.status; // 426
 * ```
 */
export function checkHandshake(req: Request): "ok" | HandshakeRefusal {
  const headers = req.headers;
  if (!hasToken(headers.get("upgrade"), "websocket")) {
    return refuse(426, "This endpoint speaks WebSocket; see docs/protocol.md", {
      upgrade: "websocket",
    });
  }
  if (!hasToken(headers.get("connection"), "upgrade")) {
    return refuse(400, "Connection header must contain Upgrade");
  }
  const version = headers.get("sec-websocket-version");
  if (version !== "13") {
    return refuse(
      426,
      version === null
        ? "Sec-WebSocket-Version is missing; this server speaks 13"
        : `Sec-WebSocket-Version ${JSON.stringify(version)} is not supported; use 13`,
      { "sec-websocket-version": "13" },
    );
  }
  const key = headers.get("sec-websocket-key");
  if (key === null) return refuse(400, "Sec-WebSocket-Key is missing");
  if (!KEY.test(key)) return refuse(400, "Sec-WebSocket-Key must be 16 bytes of base64");
  return "ok";
}

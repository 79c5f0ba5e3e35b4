/**
 * Sockets themselves: how one is opened (with Deno's handshake headers), and how abandoned ones
 * finish closing in the background.
 *
 * @module
 */

/** How to open a socket: the constructor, and handshake headers where the runtime allows them. */
export interface SocketOptions {
  WebSocket: typeof WebSocket;
  headers: Record<string, string> | undefined;
}

/**
 * Opens a socket to `url`.
 *
 * @throws what the `WebSocket` constructor throws (e.g. `headers` in a browser).
 */
export function openSocket(url: string, options: SocketOptions): WebSocket {
  const Ctor = options.WebSocket;
  return options.headers === undefined
    ? new Ctor(url)
    // Deno's non-standard WebSocketOptions; the DOM typing only knows protocols.
    : new Ctor(url, { headers: options.headers } as unknown as string[]);
}

const CLOSED = 3;

/** Sockets the client let go of whose close handshake has not finished yet. */
export class Draining {
  #closing = new Set<Promise<void>>();

  /** Closes `ws` with `code` and `reason` and tracks it until its `close` event. */
  close(ws: WebSocket, code: number, reason: string): void {
    if (ws.readyState === CLOSED) return;
    const done = new Promise<void>((resolve) => {
      ws.addEventListener("close", () => resolve(), { once: true });
    });
    this.#closing.add(done);
    done.then(() => this.#closing.delete(done));
    try {
      ws.close(code, reason);
    } catch {
      // Already closing: the close event still comes.
    }
  }

  /** Resolves when every socket closed so far has finished closing. */
  settled(): Promise<void> {
    return Promise.all(this.#closing).then(() => {});
  }
}

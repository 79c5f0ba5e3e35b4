/**
 * `HubClient` resuming its session against a fake hub that hands out tokens: which token each
 * attempt carries, what `resumed` says, and the close codes that change the reconnect (1012
 * hurries it, 4009 and 4003 stop it). Reconnect delays run on a fake clock: nothing here sleeps.
 *
 * @module
 */

import { deepEqual, equal, rejects } from "node:assert/strict";
import { type ClientOptions, type ConnectionState, HubClient } from "./mod.ts";
import { capture, FakeHub, isRequestError, waitFor } from "./testing/fake_hub.ts";
import { FakeTimers } from "./testing/fake_timers.ts";

/** The fixed backoff delay of these tests: equal bounds, so no jitter. */
const DELAY_MS = 1000;

/**
 * A `WebSocket` constructor that counts the client's connection attempts as they happen (so a
 * test sees an attempt at once, not when the server gets to it), and refuses the next `refuse`.
 */
function countingSockets(): { WebSocket: typeof WebSocket; attempts: number; refuse: number } {
  const counter = { WebSocket, attempts: 0, refuse: 0 };
  counter.WebSocket = class extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      counter.attempts++;
      if (counter.refuse > 0) {
        counter.refuse--;
        throw new SyntaxError("Refused by the test");
      }
      super(url, protocols);
    }
  };
  return counter;
}

interface Setup {
  hub: FakeHub;
  client: HubClient;
  timers: FakeTimers;
  sockets: ReturnType<typeof countingSockets>;
  /** Welcomes the client got so far. */
  welcomes: () => number;
}

/** A resuming fake hub and a client on a fake clock; both shut down after `fn`. */
async function withResumeHub(
  fn: (setup: Setup) => Promise<void>,
  options: { resume?: boolean; url?: (hubUrl: string) => string; client?: ClientOptions } = {},
): Promise<void> {
  const hub = new FakeHub({ resume: options.resume ?? true });
  const timers = new FakeTimers();
  const sockets = countingSockets();
  const client = new HubClient(options.url?.(hub.url) ?? hub.url, {
    minDelayMs: DELAY_MS,
    maxDelayMs: DELAY_MS,
    timers,
    WebSocket: sockets.WebSocket,
    ...options.client,
  });
  let welcomes = 0;
  client.on("welcome", () => welcomes++);
  try {
    await fn({ hub, client, timers, sockets, welcomes: () => welcomes });
  } finally {
    await client.close();
    await hub.close();
  }
}

/** The `resume` parameter of connection `n` (0-based) as the hub got it. */
function resumeParam(hub: FakeHub, n: number): string | null {
  return hub.urls[n].searchParams.get("resume");
}

// ---- tokens --------------------------------------------------------------------------------

Deno.test("keeps the token of every welcome and resumes with the latest on each reconnect", async () => {
  await withResumeHub(async ({ hub, client, timers, welcomes }) => {
    equal(client.resumed, null, "no welcome yet");
    equal(client.resumeToken, undefined);
    const seen: [ConnectionState, boolean | null, string | undefined][] = [];
    client.onState((state) => seen.push([state, client.resumed, client.resumeToken]));
    await client.ready();
    equal(resumeParam(hub, 0), null, "the first connection has no token to send");
    deepEqual([client.session?.sessionId, client.resumed, client.resumeToken], ["s1", false, "t1"]);
    for (const [i, code] of [4008, 1001, 4000].entries()) {
      hub.last.close(code, "drop");
      await waitFor(() => client.state === "reconnecting", `the drop with ${code}`);
      timers.advance(DELAY_MS);
      await waitFor(() => welcomes() === i + 2, `welcome ${i + 2}`);
      equal(resumeParam(hub, i + 1), `t${i + 1}`, "the token of the latest welcome");
      equal(client.session?.sessionId, "s1");
      equal(client.resumed, true);
      equal(client.resumeToken, `t${i + 2}`, "each welcome's token replaces the last");
    }
    // Listeners that hear `connected` already see the new welcome.
    deepEqual(seen.filter(([state]) => state === "connected"), [
      ["connected", false, "t1"],
      ["connected", true, "t2"],
      ["connected", true, "t3"],
      ["connected", true, "t4"],
    ]);
  });
});

Deno.test("resumeToken option: a new client (a reloaded page) continues the session", async () => {
  const hub = new FakeHub({ resume: true });
  const old = new HubClient(hub.url, { reconnect: false });
  const reloaded: HubClient[] = [];
  try {
    await old.ready();
    hub.last.close(1001, "Page unloaded");
    await waitFor(() => old.state === "offline", "the old page to go");
    equal(old.resumeToken, "t1", "a drop keeps the token");
    // The URL's own `resume` is the client's to set; the other parameters stay as written.
    const url = `${hub.url}?room=x&resume=stale&a=b%20c`;
    const client = new HubClient(url, { resumeToken: old.resumeToken, reconnect: false });
    reloaded.push(client);
    equal(client.resumeToken, "t1", "the option's token before the first welcome");
    await client.ready();
    equal(hub.urls[1].search, "?room=x&a=b%20c&resume=t1");
    deepEqual([client.session?.sessionId, client.resumed, client.resumeToken], ["s1", true, "t2"]);
  } finally {
    for (const c of [old, ...reloaded]) await c.close();
    await hub.close();
  }
});

Deno.test("a token the server does not know gives a new session, reported as not resumed", async () => {
  await withResumeHub(async ({ hub, client }) => {
    await client.ready();
    equal(resumeParam(hub, 0), "expired");
    deepEqual([client.session?.sessionId, client.resumed, client.resumeToken], ["s1", false, "t1"]);
  }, { client: { resumeToken: "expired" } });
});

Deno.test('resume off (token "") sends no resume parameter, and strips a stale one', async () => {
  await withResumeHub(async ({ hub, client, timers, welcomes }) => {
    await client.ready();
    equal(client.session?.resumeToken, "");
    equal(client.resumeToken, undefined, '"" is no token');
    hub.last.close(4008, "drop");
    await waitFor(() => client.state === "reconnecting", "the drop");
    timers.advance(DELAY_MS);
    await waitFor(() => welcomes() === 2, "the second welcome");
    deepEqual(hub.urls.map((u) => u.search), ["?a=1", "?a=1"]);
    deepEqual([client.session?.sessionId, client.resumed], ["s2", false]);
  }, { resume: false, client: { resumeToken: "" }, url: (url) => `${url}?resume=stale&a=1` });
});

// ---- close codes ---------------------------------------------------------------------------

Deno.test("1012 reconnects at once; another code waits for the backoff delay", async () => {
  await withResumeHub(async ({ hub, client, timers, sockets, welcomes }) => {
    await client.ready();
    const states: [ConnectionState, number | undefined][] = [];
    client.onState((state, close) => states.push([state, close?.code]));
    hub.last.close(1012, "Server restarting");
    // The fake clock never moves: only an attempt without delay can bring a welcome.
    await waitFor(() => welcomes() === 2, "the welcome after 1012");
    equal(timers.now, 0);
    equal(sockets.attempts, 2);
    equal(resumeParam(hub, 1), "t1");
    deepEqual([client.session?.sessionId, client.resumed], ["s1", true]);
    deepEqual(states, [["reconnecting", 1012], ["connected", undefined]]);

    hub.last.close(4008, "Slow consumer");
    await waitFor(() => client.state === "reconnecting", "the drop with 4008");
    timers.advance(DELAY_MS - 1);
    equal(sockets.attempts, 2, "no attempt before the delay");
    timers.advance(1);
    equal(sockets.attempts, 3, "the attempt once the delay ran out");
    await waitFor(() => welcomes() === 3, "the welcome after 4008");
    deepEqual([client.session?.sessionId, client.resumed, resumeParam(hub, 2)], ["s1", true, "t2"]);
  });
});

Deno.test("1012: when the immediate attempt fails, the next one backs off, with the same token", async () => {
  await withResumeHub(async ({ hub, client, timers, sockets, welcomes }) => {
    await client.ready();
    sockets.refuse = 1;
    const errors = await capture("error", async () => {
      hub.last.close(1012, "Server restarting");
      await waitFor(() => sockets.attempts === 2, "the immediate attempt");
    });
    equal(errors.length, 1, "the refused attempt is reported");
    equal(client.state, "reconnecting");
    equal(client.lastClose?.code, 1006);
    timers.advance(DELAY_MS - 1);
    equal(sockets.attempts, 2);
    timers.advance(1);
    equal(sockets.attempts, 3);
    await waitFor(() => welcomes() === 2, "the welcome after the retry");
    equal(resumeParam(hub, 1), "t1", "no welcome came in between, so t1 still holds");
    deepEqual([client.session?.sessionId, client.resumed], ["s1", true]);
  });
});

Deno.test("4009: the replaced client goes offline and stays there; reconnect() starts anew", async () => {
  await withResumeHub(async ({ hub, client, timers, sockets }) => {
    await client.ready();
    const states: [ConnectionState, number | undefined][] = [];
    client.onState((state, close) => states.push([state, close?.code]));
    // The same tab duplicated: the copy resumes with the stored token.
    const copy = new HubClient(hub.url, { resumeToken: client.resumeToken, timers });
    try {
      await copy.ready();
      deepEqual([copy.session?.sessionId, copy.resumed], ["s1", true]);
      await waitFor(() => client.state === "offline", "the replaced client to stop");
      deepEqual(states, [["offline", 4009]]);
      deepEqual(client.lastClose, { code: 4009, reason: "Replaced by a resume" });
      equal(client.resumeToken, undefined, "the copy holds the session's token now");
      await rejects(client.ready(), isRequestError("disconnected"));
      await rejects(client.request("server_time"), isRequestError("disconnected"));
      timers.advance(60_000);
      globalThis.dispatchEvent(new Event("online"));
      equal(sockets.attempts, 1, "neither time nor the network takes the session back");
      equal(copy.state, "connected");

      client.reconnect();
      await client.ready();
      equal(resumeParam(hub, 2), null);
      deepEqual([client.session?.sessionId, client.resumed], ["s2", false]);
      equal(copy.state, "connected");
      equal(copy.session?.sessionId, "s1");
    } finally {
      await copy.close();
    }
  });
});

Deno.test("4003: a client the application disconnected stays offline, without its token; reconnect() starts anew", async () => {
  await withResumeHub(async ({ hub, client, timers, sockets, welcomes }) => {
    await client.ready();
    const states: [ConnectionState, number | undefined][] = [];
    client.onState((state, close) => states.push([state, close?.code]));
    hub.last.close(4003, "Banned");
    await waitFor(() => client.state === "offline", "the disconnected client to stop");
    deepEqual(states, [["offline", 4003]]);
    equal(client.resumeToken, undefined, "the session ended: its token resumes nothing");
    await rejects(client.request("server_time"), isRequestError("disconnected"));
    timers.advance(60_000);
    globalThis.dispatchEvent(new Event("online"));
    equal(sockets.attempts, 1, "neither time nor the network makes a new session");
    client.reconnect();
    await waitFor(() => welcomes() === 2, "the welcome of the new session");
    equal(resumeParam(hub, 1), null);
    deepEqual([client.session?.sessionId, client.resumed], ["s2", false]);
  });
});

// ---- ending and pausing --------------------------------------------------------------------

Deno.test("close() closes with 1000, which ends the session, and drops the token", async () => {
  await withResumeHub(async ({ hub, client }) => {
    await client.ready();
    equal(client.resumeToken, "t1");
    await client.close();
    await waitFor(() => hub.closeCodes.length === 1, "the server to see the close");
    deepEqual(hub.closeCodes, [1000]);
    equal(client.resumeToken, undefined);
  });
});

Deno.test("the browser going offline closes with 4002, not 1000, and the session resumes", async () => {
  await withResumeHub(async ({ hub, client, welcomes }) => {
    await client.ready();
    globalThis.dispatchEvent(new Event("offline"));
    equal(client.state, "offline");
    await waitFor(() => hub.closeCodes.length === 1, "the server to see the close");
    deepEqual(hub.closeCodes, [4002]);
    equal(client.resumeToken, "t1");
    globalThis.dispatchEvent(new Event("online"));
    await waitFor(() => welcomes() === 2, "the welcome after coming back online");
    equal(resumeParam(hub, 1), "t1");
    deepEqual([client.session?.sessionId, client.resumed], ["s1", true]);
  });
});

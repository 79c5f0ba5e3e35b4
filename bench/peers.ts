/**
 * The servers the benchmark compares, and the generator processes that drive them. Each peer is
 * started on a free loopback port, checked once with its official client, measured, and stopped.
 * `hub-nohistory` is the hub with `HISTORY_SIZE=0`: not a server to compare, but the hub's own
 * baseline for what keeping room history costs in fan-out, run beside the hub (see `beside`).
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { HubClient } from "../lib/client/mod.ts";
import { runLoad } from "../tools/load/run.ts";
import { type Child, spawn, waitForPort } from "./procs.ts";
import type { Command } from "./generator.ts";
import type { RawCommand } from "./raw_generator.ts";
import type { ApiCommand } from "./api_publisher.ts";
import { lines } from "./lines.ts";
import type { DialectName } from "./wire.ts";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
export const ROOT = here("../");
const SOCKETIO_DIR = here("./peers/socketio/");
const PYTHON = "/usr/bin/python3";

export type PeerName =
  | "hub"
  | "hub-nohistory"
  | "hub-socketio"
  | "echo"
  | "socket.io"
  | "flask-socketio";
export const PEERS: PeerName[] = [
  "hub",
  "hub-nohistory",
  "hub-socketio",
  "echo",
  "socket.io",
  "flask-socketio",
];

/** The workloads of `deno task bench`. */
export type WorkloadName = "rpc" | "fanout" | "connections";

export interface CheckResult {
  ok: boolean;
  client: string;
  detail: string;
}

export interface RunningPeer {
  name: PeerName;
  dialect: DialectName;
  port: number;
  /** `ws://127.0.0.1:port`, without the dialect's path. */
  base: string;
  child: Child;
}

export interface PeerSpec {
  name: PeerName;
  dialect: DialectName;
  /** Installs what the peer needs, once per run. */
  prepare?(): Promise<void>;
  start(port: number): Child;
  /** A correctness check with the peer's official client, before any timing. */
  check(peer: RunningPeer): Promise<CheckResult>;
  /** The workloads it takes part in; all when absent. */
  workloads?: readonly WorkloadName[];
  /**
   * Kept out of the rotation and run right next to this server in every round, so the ratio of
   * the two compares runs adjacent in time (`placeBeside` in `rounds.ts`).
   */
  beside?: PeerName;
}

/** Whether `name` takes part in `workload`. */
export const runsWorkload = (name: PeerName, workload: WorkloadName) =>
  SPECS[name].workloads?.includes(workload) ?? true;

async function run(command: string, args: string[], cwd?: string): Promise<string> {
  const out = await new Deno.Command(command, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${command} ${args.join(" ")} failed:\n${text}`);
  return text;
}

/** `npm ci` for the Socket.IO peer when its node_modules is missing. */
async function npmCi(): Promise<void> {
  try {
    Deno.statSync(`${SOCKETIO_DIR}node_modules/socket.io/package.json`);
    return;
  } catch {
    console.error("bench: npm ci in bench/peers/socketio (node_modules missing)");
  }
  await run("npm", ["ci", "--no-audit", "--no-fund"], SOCKETIO_DIR);
}

async function pythonReady(): Promise<void> {
  try {
    await run(PYTHON, ["-c", "import flask_socketio, eventlet"]);
  } catch {
    throw new Error(
      "Flask-SocketIO is missing: apt-get install -y python3-flask-socketio python3-eventlet",
    );
  }
}

/** The official client for Socket.IO servers: socket.io-client 4.8 on Node. */
async function socketioCheck(peer: RunningPeer): Promise<CheckResult> {
  const out = await new Deno.Command("node", {
    args: ["check.mjs", `http://127.0.0.1:${peer.port}`],
    cwd: SOCKETIO_DIR,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  try {
    const result = JSON.parse(text.split("\n").at(-1)!);
    return {
      ok: out.success && result.ok,
      client: "socket.io-client 4.8.3",
      detail: result.detail,
    };
  } catch {
    return {
      ok: false,
      client: "socket.io-client 4.8.3",
      detail: text + new TextDecoder().decode(out.stderr),
    };
  }
}

/** The hub's own typed client (lib/client/mod.ts): random, join and a chat that comes back. */
export async function hubClientCheck(peer: RunningPeer): Promise<CheckResult> {
  const client = new HubClient(`${peer.base}/ws`, { reconnect: false, requestTimeoutMs: 5000 });
  try {
    await client.ready();
    for (let i = 0; i < 20; i++) {
      const reply = await client.request("random", { text: `check-${i}` });
      if (!(reply.n >= 1 && reply.n <= 100) || reply.text !== `check-${i} ${reply.n}`) {
        throw new Error(`random: bad reply ${JSON.stringify(reply)}`);
      }
    }
    await client.request("join", { room: "check" });
    const got = new Promise<{ text: string }>((resolve) => {
      const off = client.on("chat", (data) => {
        off();
        resolve(data);
      });
    });
    await client.request("chat", { room: "check", text: "hello" });
    const event = await got;
    if (event.text !== "hello") throw new Error(`chat: got ${JSON.stringify(event)}`);
    // And the load client's checks on a few hundred requests.
    const load = await runLoad({ url: `${peer.base}/ws`, messages: 500, inflight: 8 });
    if (!load.passed) throw new Error(`load client: ${load.problems.slice(0, 3).join("; ")}`);
    return {
      ok: true,
      client: "lib/client/mod.ts (HubClient) + tools/load",
      detail: "20 random replies, join, chat echo; 500 random requests checked by the load client",
    };
  } catch (err) {
    return { ok: false, client: "lib/client/mod.ts (HubClient)", detail: (err as Error).message };
  } finally {
    await client.close();
  }
}

/**
 * One hub process (`deno run main.ts`) on `port`, with the flags every hub in the benchmark gets;
 * `env` adds to them (the two-node run adds `REDIS_URL` and `NODE_ID`). `root` is the project to
 * run: this one, or another tree (the scale workloads' baseline, the hub before a change).
 */
export function startHub(
  name: string,
  port: number,
  env: Record<string, string> = {},
  root = ROOT,
): Child {
  return spawn(name, Deno.execPath(), {
    // BENCH_HUB_FLAGS adds Deno flags, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile
    // the hub under the benchmark's load.
    args: [
      "run",
      ...(Deno.env.get("BENCH_HUB_FLAGS")?.split(" ").filter((f) => f !== "") ?? []),
      "--allow-net",
      "--allow-env",
      "--allow-read",
      "main.ts",
    ],
    cwd: root,
    env: {
      PORT: String(port),
      HOST: "127.0.0.1",
      // The benchmark measures the hub's cost, not its flood control.
      RATE_LIMIT: "0",
      CHAT_RATE: "0",
      LOG_LEVEL: "warn",
      // A REDIS_URL in the caller's environment must not turn the single hub into a node, nor a
      // HISTORY_SIZE change the history the hub is measured with, nor RESUME_TTL_MS=0 leave the
      // resume storm nothing to resume (empty means the default).
      REDIS_URL: "",
      NODE_ID: "",
      HISTORY_SIZE: "",
      HISTORY_TTL_MS: "",
      RESUME_TTL_MS: "",
      RESUME_BUFFER: "",
      ...env,
    },
  });
}

export const SPECS: Record<PeerName, PeerSpec> = {
  hub: {
    name: "hub",
    dialect: "hub",
    start: (port) => startHub("hub", port),
    check: hubClientCheck,
  },
  // The hub keeping no room history: what history costs a fan-out is the hub's CPU per delivery
  // over this one's, within each round. RPC and idle connections never touch history.
  "hub-nohistory": {
    name: "hub-nohistory",
    dialect: "hub",
    start: (port) => startHub("hub-nohistory", port, { HISTORY_SIZE: "0" }),
    check: hubClientCheck,
    workloads: ["fanout"],
    beside: "hub",
  },
  // The hub's own Socket.IO endpoint (`/socket.io/`, lib/edge/socketio/), driven by the same
  // generator dialect as the Socket.IO peers and checked with the same official client.
  "hub-socketio": {
    name: "hub-socketio",
    dialect: "socketio",
    prepare: npmCi, // the check uses socket.io-client
    start: (port) => startHub("hub-socketio", port),
    check: socketioCheck,
  },
  echo: {
    name: "echo",
    dialect: "hub",
    start: (port) =>
      spawn("echo", Deno.execPath(), {
        args: ["run", "--allow-net", "--allow-env=PORT,HEARTBEAT_MS", here("./peers/echo.ts")],
        env: { PORT: String(port) },
      }),
    check: hubClientCheck,
  },
  "socket.io": {
    name: "socket.io",
    dialect: "socketio",
    prepare: npmCi,
    start: (port) =>
      spawn("socket.io", "node", {
        args: ["server.mjs"],
        cwd: SOCKETIO_DIR,
        env: { PORT: String(port), NODE_ENV: "production" },
      }),
    check: socketioCheck,
  },
  "flask-socketio": {
    name: "flask-socketio",
    dialect: "socketio",
    prepare: async () => {
      await pythonReady();
      await npmCi(); // the check uses socket.io-client
    },
    start: (port) =>
      spawn("flask-socketio", PYTHON, {
        args: [here("./peers/flask/app.py")],
        env: { PORT: String(port), PYTHONUNBUFFERED: "1" },
      }),
    check: socketioCheck,
  },
};

/** Starts a peer and waits for it to listen. */
export async function startPeer(spec: PeerSpec, port: number): Promise<RunningPeer> {
  const child = spec.start(port);
  await waitForPort(child, port);
  return { name: spec.name, dialect: spec.dialect, port, base: `ws://127.0.0.1:${port}`, child };
}

/** One generator process (bench/generator.ts), driven by JSON lines. */
export class Generator {
  readonly child: Child;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #lines: AsyncIterator<string>;

  /**
   * `script`: `generator.ts`, or `raw_generator.ts` for the scale workloads' idle sockets; `nice`
   * lowers its priority (see `SpawnOptions.nice`).
   */
  constructor(index: number | string, script = "./generator.ts", nice?: number) {
    this.child = spawn(`generator-${index}`, Deno.execPath(), {
      nice,
      args: ["run", "--allow-net", here(script)],
      stdin: "piped",
      stdout: "piped",
    });
    this.#writer = this.child.process.stdin.getWriter();
    this.#lines = lines(this.child.process.stdout);
  }

  /** Sends one command and resolves with its result. */
  async send<T>(command: Command | RawCommand | ApiCommand): Promise<T> {
    await this.#writer.write(new TextEncoder().encode(JSON.stringify(command) + "\n"));
    let next = await this.#lines.next();
    // Anything but a JSON line (a stray log) is skipped.
    while (!next.done && !next.value.startsWith("{")) next = await this.#lines.next();
    if (next.done) throw new Error(`${this.child.name} exited during ${command.cmd}`);
    const answer = JSON.parse(next.value);
    if (!answer.ok) throw new Error(`${this.child.name} failed ${command.cmd}: ${answer.error}`);
    return answer.result as T;
  }

  async close(): Promise<void> {
    try {
      await this.#writer.close();
    } catch {
      // already closed
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.child.exited,
      new Promise((resolve) => timer = setTimeout(resolve, 3000)),
    ]);
    clearTimeout(timer);
    await this.child.stop();
  }
}

/** Starts `count` generators. */
export function startGenerators(count: number): Generator[] {
  return Array.from({ length: count }, (_, i) => new Generator(i));
}

/** Versions of everything measured, for the report. */
export async function versions(): Promise<Record<string, string>> {
  const safe = async (fn: () => Promise<string>) => {
    try {
      return (await fn()).trim();
    } catch {
      return "unknown";
    }
  };
  const pkg = (name: string) =>
    safe(async () =>
      JSON.parse(await Deno.readTextFile(`${SOCKETIO_DIR}node_modules/${name}/package.json`))
        .version
    );
  const py = (module: string) =>
    safe(() =>
      run(PYTHON, [
        "-c",
        `import importlib.metadata as m; print(m.version("${module}"))`,
      ])
    );
  return {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    node: await safe(() => run("node", ["--version"])),
    "socket.io": await pkg("socket.io"),
    "engine.io": await pkg("engine.io"),
    ws: await pkg("ws"),
    python: await safe(() => run(PYTHON, ["--version"])),
    "flask-socketio": await py("Flask-SocketIO"),
    "python-socketio": await py("python-socketio"),
    "python-engineio": await py("python-engineio"),
    eventlet: await py("eventlet"),
    flask: await py("Flask"),
    hub: await safe(() => run("git", ["rev-parse", "--short", "HEAD"], ROOT)),
  };
}

/**
 * The connection churn storm: starts a hub (`main.ts`) on 127.0.0.1, opens WebSockets at a fixed
 * rate, each closing as soon as its `welcome` arrives, and reads the hub's resident memory
 * (`VmRSS` in `/proc/<pid>/status`, from outside the process) during the storm and for a while
 * after it. It shows what closed sockets cost the hub, and for how long.
 *
 * Bounded and self-stopping: the storm lasts `--seconds`, at most `--inflight` connections are in
 * flight at a time, the watch after it lasts `--after` seconds, and the hub is killed on the way out
 * (errors and Ctrl-C included). Linux only, for `/proc`.
 *
 * ```sh
 * deno run -A tools/churn.ts --rate 2000 --seconds 10 --after 20 --close abrupt --idle 30 --gc
 * ```
 *
 * - `--close clean` sends a close frame (1000) and waits for the hub's; `--close abrupt` drops the
 *   TCP connection without one.
 * - `--idle` is passed as `IDLE_TIMEOUT_S`, `--resume-ttl-ms` as `RESUME_TTL_MS` (0 unless given,
 *   so that sessions end with their connections and what stays is the socket alone).
 * - `--gc` runs the hub under `--inspect` (on 127.0.0.1) and has it collect all garbage before each
 *   reading, which then also gives its live V8 heap. Without it, RSS also holds garbage that V8 has
 *   not collected yet, and V8 decides when: a storm's RSS says more about the collector than about
 *   what is still referenced.
 *
 * @module
 */

import { parseArgs } from "node:util";

const ROOT = new URL("..", import.meta.url).pathname;
const encoder = new TextEncoder();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface ChurnOptions {
  /** Connections opened per second. */
  rate: number;
  seconds: number;
  /** Seconds of watching after the storm. */
  after: number;
  close: "clean" | "abrupt";
  /** `IDLE_TIMEOUT_S` for the hub. */
  idle: number;
  /** `RESUME_TTL_MS` for the hub. */
  resumeTtlMs: number;
  /** Most connections in flight at once; a tick that finds this many skips its share. */
  inflight: number;
  /** Milliseconds between readings. */
  sampleMs: number;
  /** Collect garbage in the hub before each reading (through its inspector). */
  gc: boolean;
}

/** One reading, `t` in seconds from the storm's start. */
interface Sample {
  t: number;
  rssMb: number;
  /** The live V8 heap, after a full collection; only with `gc`. */
  heapMb?: number;
}

const mb = (bytes: number) => Math.round(bytes / 104857.6) / 10;

/** A process's resident memory in MB, or undefined once it is gone. */
export function readRssMb(pid: number): number | undefined {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const kb = Number(status.match(/^VmRSS:\s+(\d+) kB/m)?.[1]);
    return Number.isFinite(kb) ? mb(kb * 1024) : undefined;
  } catch {
    return undefined;
  }
}

/** A free loopback port, for the inspector (Deno's `--inspect` takes no port 0). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** The hub under test, in its own process. */
interface Hub {
  child: Deno.ChildProcess;
  port: number;
  inspector?: Inspector;
}

/** The hub of the storm under way, for a stop that cannot wait for the storm to unwind. */
let running: Hub | undefined;

/** Starts `main.ts` with the start task's permissions, and waits for its "listening" line. */
async function startHub(options: ChurnOptions): Promise<Hub> {
  const inspectPort = options.gc ? freePort() : undefined;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      ...(inspectPort ? [`--inspect=127.0.0.1:${inspectPort}`] : []),
      `${ROOT}main.ts`,
    ],
    cwd: ROOT,
    env: {
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      IDLE_TIMEOUT_S: String(options.idle),
      RESUME_TTL_MS: String(options.resumeTtlMs),
      RATE_LIMIT: "0",
      CHAT_RATE: "0",
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const hub: Hub = { child, port: 0 };
  running = hub;
  let text = "";
  const { promise: listening, resolve } = Promise.withResolvers<number>();
  const read = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      // Only the start-up lines matter; later output is read and dropped.
      if (text.length > 100_000) continue;
      text += decoder.decode(chunk, { stream: true });
      const match = text.match(/listening url="http:\/\/[^"]*:(\d+)"/);
      if (match) resolve(Number(match[1]));
    }
  };
  read(child.stdout);
  read(child.stderr);
  const failed = Promise.race([
    child.status.then(() => Promise.reject(new Error(`Hub exited before listening:\n${text}`))),
    sleep(30_000).then(() => Promise.reject(new Error(`Hub did not start in 30 s:\n${text}`))),
  ]);
  hub.port = await Promise.race([listening, failed]);
  if (inspectPort) hub.inspector = await Inspector.open(inspectPort);
  return hub;
}

/** Just enough of the Chrome DevTools protocol to collect garbage and read the heap. */
class Inspector {
  #next = 1;
  #waiting = new Map<number, (result: Record<string, unknown>) => void>();

  private constructor(readonly socket: WebSocket) {
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      this.#waiting.get(message.id)?.(message.result ?? {});
      this.#waiting.delete(message.id);
    };
  }

  static async open(port: number): Promise<Inspector> {
    const [target] = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
    const socket = new WebSocket(target.webSocketDebuggerUrl);
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = () => reject(new Error(`Inspector at port ${port} refused the connection`));
    });
    const inspector = new Inspector(socket);
    await inspector.call("Runtime.enable");
    return inspector;
  }

  call(method: string, params: object = {}): Promise<Record<string, unknown>> {
    const id = this.#next++;
    const { promise, resolve } = Promise.withResolvers<Record<string, unknown>>();
    this.#waiting.set(id, resolve);
    this.socket.send(JSON.stringify({ id, method, params }));
    return promise;
  }

  /** A full collection, then the V8 heap still in use, in MB. */
  async liveHeapMb(): Promise<number> {
    await this.call("HeapProfiler.collectGarbage");
    const { result } = await this.call("Runtime.evaluate", {
      expression: "Deno.memoryUsage().heapUsed",
      returnByValue: true,
    }) as { result: { value: number } };
    return mb(result.value);
  }
}

/** A masked client close frame with code 1000 and no reason. */
const CLOSE_FRAME = new Uint8Array([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]);

/** True once `bytes` hold the upgrade answer's headers and one whole frame after them. */
function hasFirstFrame(bytes: Uint8Array, length: number): boolean {
  for (let i = 3; i < length; i++) {
    if (bytes[i - 3] !== 13 || bytes[i - 2] !== 10 || bytes[i - 1] !== 13 || bytes[i] !== 10) {
      continue;
    }
    const at = i + 1;
    if (length < at + 2) return false;
    let size = bytes[at + 1] & 0x7f;
    let header = 2;
    if (size === 126) {
      if (length < at + 4) return false;
      size = (bytes[at + 2] << 8) | bytes[at + 3];
      header = 4;
    }
    return length >= at + header + size;
  }
  return false;
}

/** One connection's life: upgrade, the welcome, then a clean close or a drop. */
async function churnOne(port: number, close: ChurnOptions["close"]): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(encoder.encode(
      `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n` +
        `Sec-WebSocket-Version: 13\r\n\r\n`,
    ));
    const buffer = new Uint8Array(8192);
    let length = 0;
    while (!hasFirstFrame(buffer, length)) {
      if (length === buffer.length) throw new Error("Hub's upgrade answer is over 8 KiB");
      const n = await conn.read(buffer.subarray(length));
      if (n === null) throw new Error("Hub closed the connection before its welcome");
      length += n;
      if (length >= 12 && buffer[9] !== 0x31) {
        const head = new TextDecoder().decode(buffer.subarray(0, length)).split("\r\n")[0];
        throw new Error(`Hub refused the upgrade: ${head}`);
      }
    }
    if (close === "abrupt") return;
    await conn.write(CLOSE_FRAME);
    // The hub's close frame, then its end of the stream.
    while (await conn.read(buffer) !== null) { /* drain */ }
  } finally {
    try {
      conn.close();
    } catch { /* already closed */ }
  }
}

export interface ChurnResult {
  options: ChurnOptions;
  opened: number;
  failed: number;
  skipped: number;
  /** The reading before the first connection. */
  baseline: Sample;
  samples: Sample[];
  firstError?: string;
}

/** Runs one storm against a fresh hub and returns what it measured. */
export async function churn(options: ChurnOptions): Promise<ChurnResult> {
  const hub = await startHub(options);
  try {
    const reading = async (t: number): Promise<Sample | undefined> => {
      const heapMb = await hub.inspector?.liveHeapMb();
      const rssMb = readRssMb(hub.child.pid);
      return rssMb === undefined ? undefined : { t, rssMb, heapMb };
    };
    await sleep(1000);
    const baseline = (await reading(0))!;
    const started = performance.now();
    const elapsed = () => Math.round((performance.now() - started) / 100) / 10;
    const samples: Sample[] = [];
    let stopped = false;
    const sampler = (async () => {
      while (!stopped) {
        const sample = await reading(elapsed());
        if (sample) samples.push(sample);
        await sleep(options.sampleMs);
      }
    })();

    let opened = 0, failed = 0, skipped = 0, inflight = 0;
    let firstError: string | undefined;
    const pending = new Set<Promise<void>>();
    const tickMs = 10;
    let due = 0;
    const end = started + options.seconds * 1000;
    while (performance.now() < end) {
      due += options.rate * tickMs / 1000;
      for (; due >= 1; due--) {
        if (inflight >= options.inflight) {
          skipped++;
          continue;
        }
        inflight++;
        const one: Promise<void> = churnOne(hub.port, options.close).then(
          () => void opened++,
          (err) => {
            failed++;
            firstError ??= String(err);
          },
        ).finally(() => {
          inflight--;
          pending.delete(one);
        });
        pending.add(one);
      }
      await sleep(tickMs);
    }
    await Promise.all(pending);
    await sleep(options.after * 1000);
    stopped = true;
    await sampler;
    return { options, opened, failed, skipped, baseline, samples, firstError };
  } finally {
    hub.inspector?.socket.close();
    hub.child.kill("SIGKILL");
    await hub.child.status;
    running = undefined;
  }
}

/** The peak during the storm and readings at whole seconds after it, as text lines. */
export function summarize(result: ChurnResult): string {
  const { options, samples } = result;
  const show = (s: Sample | undefined) =>
    s ? (s.heapMb === undefined ? `${s.rssMb}` : `${s.rssMb} (${s.heapMb})`) : "?";
  const during = samples.filter((s) => s.t <= options.seconds);
  const peak = during.reduce((a, b) => (b.rssMb > a.rssMb ? b : a), during[0]);
  const at = (t: number) => samples.find((s) => s.t >= t);
  const marks = [1, 2, 5, 10, 15, 20, 30].filter((s) => s <= options.after);
  const lines = [
    `close=${options.close} IDLE_TIMEOUT_S=${options.idle} RESUME_TTL_MS=${options.resumeTtlMs} ` +
    `rate=${options.rate}/s for ${options.seconds} s: ${result.opened} opened and closed ` +
    `(${Math.round(result.opened / options.seconds)}/s), ${result.failed} failed, ` +
    `${result.skipped} skipped at ${options.inflight} in flight`,
    `MB, RSS${options.gc ? " (live heap after a full GC)" : ""}: before ${
      show(result.baseline)
    }, ` +
    `peak during ${show(peak)}, ` +
    marks.map((s) => `+${s} s ${show(at(options.seconds + s))}`).join(", "),
  ];
  if (result.firstError) lines.push(`first error: ${result.firstError}`);
  return lines.join("\n");
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      rate: { type: "string", default: "5000" },
      seconds: { type: "string", default: "10" },
      after: { type: "string", default: "20" },
      close: { type: "string", default: "abrupt" },
      idle: { type: "string", default: "30" },
      "resume-ttl-ms": { type: "string", default: "0" },
      inflight: { type: "string", default: "1000" },
      "sample-ms": { type: "string", default: "500" },
      gc: { type: "boolean", default: false },
      samples: { type: "boolean", default: false },
    },
  });
  const close = values.close;
  if (close !== "clean" && close !== "abrupt") {
    throw new Error(`--close must be clean or abrupt, got "${close}"`);
  }
  const options: ChurnOptions = {
    rate: Number(values.rate),
    seconds: Number(values.seconds),
    after: Number(values.after),
    close,
    idle: Number(values.idle),
    resumeTtlMs: Number(values["resume-ttl-ms"]),
    inflight: Number(values.inflight),
    sampleMs: Number(values["sample-ms"]),
    gc: values.gc,
  };
  // Whatever happens, the run ends: the storm, the drain and the watch, plus a minute to spare.
  const stop = (why: string) => {
    console.error(why);
    running?.child.kill("SIGKILL");
    Deno.exit(1);
  };
  const deadline = setTimeout(
    () => stop("Churn storm overran its deadline; stopping"),
    (options.seconds + options.after + 60) * 1000,
  );
  Deno.addSignalListener("SIGINT", () => stop("Interrupted; stopping"));
  const result = await churn(options);
  clearTimeout(deadline);
  console.log(summarize(result));
  if (values.samples) {
    console.log(result.samples.map((s) => `${s.t}\t${s.rssMb}\t${s.heapMb ?? ""}`).join("\n"));
  }
  Deno.exit(0);
}

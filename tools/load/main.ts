/**
 * `deno task load`: sends `random` requests to a running hub, checks every reply and prints what
 * came back, how fast and with what latency. It exits with status 1 when any reply is missing,
 * wrong, duplicated or later than `--timeout`, so it can gate a deployment; 2 on bad arguments.
 * Without `--url` it dials `ws://127.0.0.1:$PORT/ws`, the port `deno task start` listens on; when
 * no socket opens, it says why on stderr.
 *
 * ```sh
 * deno task load --url ws://127.0.0.1:8000/ws --messages 10000 --connections 4 --inflight 8
 * deno task load --json > report.json
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type LoadReport, type Progress, runLoad } from "./run.ts";

const USAGE = `Usage: deno task load [options]

  --url URL          hub WebSocket URL (default ws://127.0.0.1:$PORT/ws, PORT defaulting to 8000)
  --messages N       requests to send in all (default 10000)
  --connections N    sockets to spread them over (default 1)
  --inflight N       unanswered requests allowed per socket (default 1)
  --origin ORIGIN    Origin header for the upgrade
  --timeout MS       a reply later than this counts as missing (default 10000)
  --json             print the report as JSON on stdout
  --quiet            no progress on stderr
  -h, --help         this text

Exits 0 when every request got exactly one right reply in time, 1 otherwise, 2 on bad options.`;

/** The parsed command line. */
export interface LoadArgs {
  url: string;
  messages: number;
  connections: number;
  inflight: number;
  origin?: string;
  timeoutMs: number;
  json: boolean;
  quiet: boolean;
  help: boolean;
}

/**
 * Reads `PORT` from the environment only when allowed to (`deno task load` has `--allow-env=PORT`):
 * asking first keeps a bare `deno run --allow-net` from failing, or prompting on a terminal.
 */
function envPort(name: string): string | undefined {
  if (name !== "PORT") return undefined;
  const allowed = Deno.permissions.querySync({ name: "env", variable: name }).state === "granted";
  return allowed ? Deno.env.get(name) : undefined;
}

/** `ws://127.0.0.1:$PORT/ws`, so the client dials the port the server was started on. */
function defaultUrl(port: string | undefined): string {
  if (port === undefined || port.trim() === "") return "ws://127.0.0.1:8000/ws";
  const text = port.trim();
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new Error(`PORT must be a port from 1 to 65535 for the default --url, got "${port}"`);
  }
  return `ws://127.0.0.1:${Number(text)}/ws`;
}

function wholeNumber(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) {
    throw new Error(`--${flag} must be a whole number of at least 1, got "${raw}"`);
  }
  return Number(raw);
}

/**
 * Reads the command line; `env` gives `PORT` for the default `--url` (none by default, so that
 * only `main` reads the environment).
 *
 * ```ts
 * parseLoadArgs(["--messages", "500", "--json"]).messages; // 500
 * ```
 *
 * @throws {Error} naming the option (or `PORT`) that cannot be used.
 */
export function parseLoadArgs(
  args: string[],
  env: (name: string) => string | undefined = () => undefined,
): LoadArgs {
  const { values } = parseArgs({
    args,
    options: {
      url: { type: "string" },
      messages: { type: "string" },
      connections: { type: "string" },
      inflight: { type: "string" },
      origin: { type: "string" },
      timeout: { type: "string" },
      json: { type: "boolean" },
      quiet: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowPositionals: false,
  });
  const url = values.url ?? defaultUrl(env("PORT"));
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`--url must be a ws:// or wss:// URL, got "${url}"`);
  }
  if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") {
    throw new Error(`--url must be a ws:// or wss:// URL, got "${url}"`);
  }
  return {
    url,
    messages: wholeNumber("messages", values.messages, 10_000),
    connections: wholeNumber("connections", values.connections, 1),
    inflight: wholeNumber("inflight", values.inflight, 1),
    origin: values.origin,
    timeoutMs: wholeNumber("timeout", values.timeout, 10_000),
    json: values.json ?? false,
    quiet: values.quiet ?? false,
    help: values.help ?? false,
  };
}

const number = new Intl.NumberFormat("en-US");
const fmt = (n: number) => number.format(n);

/** A progress bar redrawn in place (TTY) or a plain line (pipes and logs). */
function progressPrinter(tty: boolean): (p: Progress) => void {
  const encoder = new TextEncoder();
  const write = (text: string) => Deno.stderr.writeSync(encoder.encode(text));
  let lastLine = 0;
  return (p) => {
    const done = p.received + p.missing;
    const rate = p.elapsedMs > 0 ? Math.round(p.received / (p.elapsedMs / 1000)) : 0;
    if (tty) {
      const width = 30;
      const filled = Math.min(width, Math.floor((done / p.messages) * width));
      const bar = "#".repeat(filled) + ".".repeat(width - filled);
      const pct = Math.floor((done / p.messages) * 100);
      write(
        `\r[${bar}] ${pct}% ${fmt(p.received)}/${fmt(p.messages)} received, ` +
          `${fmt(p.failed)} failed, ${fmt(p.missing)} missing, ${fmt(rate)} msg/s `,
      );
      if (done >= p.messages) write("\n");
    } else if (p.elapsedMs - lastLine >= 1000 || done >= p.messages) {
      lastLine = p.elapsedMs;
      write(
        `progress: ${fmt(p.received)}/${fmt(p.messages)} received, ${fmt(p.failed)} failed, ` +
          `${fmt(p.missing)} missing, ${(p.elapsedMs / 1000).toFixed(1)} s\n`,
      );
    }
  };
}

/** The human summary. */
export function formatReport(r: LoadReport): string {
  const l = r.latencyMs;
  const lines = [
    `load: ${r.url}, ${fmt(r.messages)} messages over ${r.connections} connection(s), ` +
    `${r.inflight} in flight each`,
    `  sent          ${fmt(r.sent)}${r.unsent ? ` (${fmt(r.unsent)} never sent)` : ""}`,
    `  received      ${fmt(r.received)} (${fmt(r.ok)} right)`,
    `  failed        ${fmt(r.failed)}`,
    `  duplicated    ${fmt(r.duplicated)}`,
    `  out of order  ${fmt(r.outOfOrder)}`,
    `  missing       ${fmt(r.missing)} (${fmt(r.late)} came later than ${fmt(r.timeoutMs)} ms)`,
    `  throughput    ${fmt(r.msgsPerSec)} msgs/s over ${(r.elapsedMs / 1000).toFixed(3)} s`,
    `  latency ms    p50 ${l.p50}  p90 ${l.p90}  p99 ${l.p99}  max ${l.max}`,
  ];
  if (r.problems.length > 0) {
    lines.push(`  problems (first ${r.problems.length}):`);
    for (const p of r.problems.slice(0, 10)) lines.push(`    ${p}`);
    if (r.problems.length > 10) lines.push(`    … see --json for more`);
  }
  lines.push(r.passed ? "PASS" : "FAIL");
  return lines.join("\n");
}

/** A failed TCP connect in the words of the hint that follows it. */
function connectFailure(err: unknown): string {
  if (err instanceof Deno.errors.ConnectionRefused) return "connection refused";
  if (err instanceof Deno.errors.TimedOut || (err as Error)?.name === "TimeoutError") {
    return "connection timed out";
  }
  const message = err instanceof Error ? err.message : String(err);
  if (/failed to lookup address|dns error/i.test(message)) return "no such host";
  return message.replace(/ \(os error \d+\)$/, "");
}

/** How long each probe of {@link whyNoConnection} waits for an answer. */
const PROBE_MS = 5000;

/** What a WebSocket's `error` event says: Deno puts the upgrade's HTTP status there. */
function upgradeFailure(url: string, origin?: string): Promise<string> {
  const ws = origin === undefined
    ? new WebSocket(url)
    // Deno's WebSocket takes headers as its second argument; the DOM type does not know it.
    : new WebSocket(url, { headers: { origin } } as unknown as string[]);
  let timer: ReturnType<typeof setTimeout> | undefined;
  return new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${PROBE_MS / 1000} s`), PROBE_MS);
    ws.onopen = () => resolve("it opens now: the server may have been busy or restarting");
    ws.onerror = (event) => {
      const message = event instanceof ErrorEvent ? event.message : "";
      resolve(
        message.replace(/^NetworkError: failed to connect to WebSocket: /, "") || "no reason",
      );
    };
  }).finally(() => {
    clearTimeout(timer);
    ws.onerror = null;
    ws.close();
  });
}

/**
 * Why no socket opened to `url`, in one line for stderr. Run only after a run in which a connection
 * could not open; the run itself records no cause (a WebSocket's close event has none), so this
 * tries once more: TCP first, which tells "nothing listens there" apart from a refused upgrade.
 */
async function whyNoConnection(url: string, origin?: string): Promise<string> {
  const { protocol, hostname, port } = new URL(url);
  try {
    const conn = await Deno.connect({
      hostname: hostname.replace(/^\[(.*)\]$/, "$1"),
      port: Number(port) || (protocol === "wss:" ? 443 : 80),
      signal: AbortSignal.timeout(PROBE_MS),
    });
    conn.close();
  } catch (err) {
    return `load: cannot connect to ${url} (${connectFailure(err)}); is the server running? ` +
      `pass --url ws://host:port/ws`;
  }
  return `load: ${url} refused the upgrade (${await upgradeFailure(url, origin)})` +
    (origin === undefined ? "" : `; check --origin ${origin} against ALLOWED_ORIGINS`);
}

async function main(): Promise<number> {
  let args: LoadArgs;
  try {
    args = parseLoadArgs(Deno.args, envPort);
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  Deno.addSignalListener("SIGINT", onSignal);
  try {
    const report = await runLoad({
      url: args.url,
      messages: args.messages,
      connections: args.connections,
      inflight: args.inflight,
      origin: args.origin,
      timeoutMs: args.timeoutMs,
      signal: abort.signal,
      onProgress: args.quiet ? undefined : progressPrinter(Deno.stderr.isTerminal()),
      progressMs: Deno.stderr.isTerminal() ? 100 : 250,
    });
    console.log(args.json ? JSON.stringify(report, null, 2) : formatReport(report));
    if (report.problems.some((p) => / could not open$/.test(p))) {
      console.error(await whyNoConnection(args.url, args.origin));
    }
    return report.passed ? 0 : 1;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
  }
}

if (import.meta.main) Deno.exit(await main());

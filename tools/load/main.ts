/**
 * `deno task load`: sends `random` requests to a running hub, checks every reply and prints what
 * came back, how fast and with what latency. It exits with status 1 when any reply is missing,
 * wrong, duplicated or later than `--timeout`, so it can gate a deployment; 2 on bad arguments.
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

  --url URL          hub WebSocket URL (default ws://127.0.0.1:8000/ws)
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

function wholeNumber(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) {
    throw new Error(`--${flag} must be a whole number of at least 1, got "${raw}"`);
  }
  return Number(raw);
}

/**
 * Reads the command line.
 *
 * ```ts
 * parseLoadArgs(["--messages", "500", "--json"]).messages; // 500
 * ```
 *
 * @throws {Error} naming the option that cannot be used.
 */
export function parseLoadArgs(args: string[]): LoadArgs {
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
  const url = values.url ?? "ws://127.0.0.1:8000/ws";
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

async function main(): Promise<number> {
  let args: LoadArgs;
  try {
    args = parseLoadArgs(Deno.args);
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
    return report.passed ? 0 : 1;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
  }
}

if (import.meta.main) Deno.exit(await main());

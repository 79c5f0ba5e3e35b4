/**
 * Child processes for the benchmark: starting them with the open-files limit raised, stopping
 * every one of them on exit (Ctrl-C and errors included), and reading their CPU time and memory
 * from `/proc` (Linux only).
 *
 * @module
 */

/** Clock ticks per second of `/proc/<pid>/stat` times; 100 on every Linux in practice. */
let clockTicks = 100;
const PAGE_SIZE = 4096;

/** Clock ticks per second of `/proc` CPU times (after {@link initClock}). */
export const ticksPerSecond = () => clockTicks;

/** Reads `getconf CLK_TCK` once. */
export async function initClock(): Promise<void> {
  try {
    const out = await new Deno.Command("getconf", { args: ["CLK_TCK"], stdout: "piped" }).output();
    const ticks = Number(new TextDecoder().decode(out.stdout).trim());
    if (ticks > 0) clockTicks = ticks;
  } catch {
    // keep 100
  }
}

interface Stat {
  ppid: number;
  /** user + system CPU of the process itself, in ticks. */
  cpuTicks: number;
  /** user + system CPU of its children that it has waited for, in ticks. */
  childTicks: number;
  rssPages: number;
}

function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  // The command name may hold spaces and parentheses: fields start after the last ")".
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return {
    ppid: Number(fields[1]),
    cpuTicks: Number(fields[11]) + Number(fields[12]),
    childTicks: Number(fields[13]) + Number(fields[14]),
    rssPages: Number(fields[21]),
  };
}

/** `pid` and every live process below it. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of Deno.readDirSync("/proc")) {
    const child = Number(entry.name);
    if (!Number.isInteger(child)) continue;
    const stat = readStat(child);
    if (!stat) continue;
    const list = children.get(stat.ppid);
    if (list) list.push(child);
    else children.set(stat.ppid, [child]);
  }
  const tree: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.pop()!;
    tree.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return tree;
}

/**
 * User + system CPU time of a process tree in microseconds: the live processes and the children
 * they have reaped.
 */
export function cpuMicros(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids.flatMap(processTree)) {
    const stat = readStat(pid);
    if (stat) ticks += stat.cpuTicks + stat.childTicks;
  }
  return (ticks * 1e6) / clockTicks;
}

/** Resident memory of a process tree, in bytes. */
export function rssBytes(pid: number): number {
  let pages = 0;
  for (const p of processTree(pid)) pages += readStat(p)?.rssPages ?? 0;
  return pages * PAGE_SIZE;
}

const children = new Set<Child>();
/** Set once the harness is being interrupted: no child may start after that. */
let interrupted = false;

/** A process started by the harness; stopped by {@link stopAll} whatever happens. */
export interface Child {
  name: string;
  pid: number;
  process: Deno.ChildProcess;
  /** Resolves when it has exited. */
  exited: Promise<Deno.CommandStatus>;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  stdin?: "piped" | "null";
  stdout?: "piped" | "null" | "inherit";
  stderr?: "piped" | "null" | "inherit";
  /**
   * A `nice` increment: load generators run at a lower priority than the server and the probe, so
   * that on a machine they share the probe measures the server rather than the scheduler.
   */
  nice?: number;
}

/**
 * Starts `command` with its soft open-files limit raised to the hard limit (10,000 sockets need
 * more than the usual 1,024), keeping the same pid through `exec`.
 */
export function spawn(name: string, command: string, options: SpawnOptions): Child {
  // A workload still running when Ctrl-C came must not leave a child behind the final sweep.
  if (interrupted) throw new Error(`interrupted: not starting ${name}`);
  const process = new Deno.Command("sh", {
    args: [
      "-c",
      `ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec ${
        options.nice ? `nice -n ${Math.trunc(options.nice)} ` : ""
      }"$@"`,
      "sh",
      command,
      ...options.args,
    ],
    env: options.env,
    cwd: options.cwd,
    stdin: options.stdin ?? "null",
    stdout: options.stdout ?? "null",
    stderr: options.stderr ?? "inherit",
  }).spawn();
  const exited = process.status;
  let stopping: Promise<void> | undefined;
  const child: Child = {
    name,
    pid: process.pid,
    process,
    exited,
    stop() {
      stopping ??= (async () => {
        const done = exited.then(() => true);
        try {
          process.kill("SIGTERM");
        } catch {
          // already gone
        }
        let timer: ReturnType<typeof setTimeout> | undefined;
        const stopped = await Promise.race([
          done,
          new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), 3000)),
        ]);
        clearTimeout(timer);
        if (!stopped) {
          try {
            process.kill("SIGKILL");
          } catch {
            // already gone
          }
          await exited;
        }
        children.delete(child);
      })();
      return stopping;
    },
  };
  children.add(child);
  exited.then(() => children.delete(child));
  return child;
}

/** Stops every child still running. */
export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((child) => child.stop()));
}

/** Stops every child on Ctrl-C or SIGTERM, then exits with 130. */
export function stopAllOnSignal(): void {
  const handler = async () => {
    console.error("\nbench: interrupted, stopping every peer and generator");
    interrupted = true;
    await stopAll();
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", handler);
  Deno.addSignalListener("SIGTERM", handler);
}

/** A free TCP port on 127.0.0.1 (bound and released at once). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Waits until something accepts TCP connections on `port`, or the child exits. */
export async function waitForPort(child: Child, port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.exited.then(() => exited = true);
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${child.name} exited before listening on port ${port}`);
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`${child.name} did not listen on port ${port} within ${timeoutMs} ms`);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

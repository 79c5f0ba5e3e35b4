/**
 * A hub server in its own process, started from `main.ts` as a user would, for tests that need
 * real signals (`SIGTERM`, `kill -9`) or several nodes.
 */

const ROOT = new URL("..", import.meta.url).pathname;

export interface ServerProcess extends AsyncDisposable {
  child: Deno.ChildProcess;
  port: number;
  /** `ws://127.0.0.1:<port>/ws` */
  wsUrl: string;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** Everything the process printed, once it has exited. */
  output: Promise<string>;
  /** What it printed so far. */
  printed(): string;
}

/**
 * Starts `main.ts` on a random port with `env` (and `--env-file`, as `deno task start` does) and
 * waits for its "listening" line. Disposing sends SIGKILL if the process is still running.
 * `openFiles` runs it under `ulimit -n` (through bash), to play a process short of descriptors;
 * `allowAll` grants `--allow-all` in place of the start task's permissions.
 */
export async function spawnServer(
  env: Record<string, string>,
  envFile?: string,
  { openFiles, allowAll = false }: { openFiles?: number; allowAll?: boolean } = {},
): Promise<ServerProcess> {
  const args = [
    "run",
    ...(allowAll ? ["--allow-all"] : ["--allow-net", "--allow-env", "--allow-read"]),
    envFile ? `--env-file=${envFile}` : "--env-file",
    `${ROOT}main.ts`,
  ];
  const [command, ...rest] = openFiles === undefined
    ? [Deno.execPath(), ...args]
    : ["bash", "-c", `ulimit -n ${openFiles} && exec "$0" "$@"`, Deno.execPath(), ...args];
  const child = new Deno.Command(command, {
    args: rest,
    cwd: ROOT,
    env: { PORT: "0", HOST: "127.0.0.1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  let exited = false;
  const { promise: listening, resolve, reject } = Promise.withResolvers<number>();
  const read = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
      const match = text.match(/listening url="http:\/\/[^"]*:(\d+)"/);
      if (match) resolve(Number(match[1]));
    }
  };
  const output = Promise.all([read(child.stdout), read(child.stderr)]).then(() => text);
  child.status.then((s) => {
    exited = true;
    reject(new Error(`server exited with ${s.code} before listening:\n${text}`));
  });
  const timer = setTimeout(() => reject(new Error(`server did not start:\n${text}`)), 30_000);
  let port: number;
  try {
    port = await listening;
  } catch (err) {
    if (!exited) child.kill("SIGKILL");
    await output;
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return {
    child,
    port,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    origin: `http://127.0.0.1:${port}`,
    output,
    printed: () => text,
    async [Symbol.asyncDispose]() {
      if (!exited) child.kill("SIGKILL");
      await child.status;
      await output;
    },
  };
}

/** Runs `main.ts` with `env` until it exits by itself. */
export async function runToExit(env: Record<string, string>) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-env", "--allow-read", `${ROOT}main.ts`],
    cwd: ROOT,
    env: { PORT: "0", HOST: "127.0.0.1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code, text: new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr) };
}

/**
 * Reading a `.env` file only when there is one. Deno's `--env-file` does the reading well, but
 * warns on every start when the file is missing, which is the normal case; `deno task start` and
 * `deno task dev` preload `env_file_preload.ts` instead, which calls {@link loadEnvFile}. The
 * parsing is Node's `util.parseEnv` (quotes, `#` comments, `export`), and, as with `--env-file`,
 * a variable already in the environment wins over the file.
 *
 * @module
 */

import { parseEnv } from "node:util";

/** Where variables are read and set: `Deno.env`, or a stand-in in tests. */
export interface EnvTarget {
  get(name: string): string | undefined;
  set(name: string, value: string): void;
}

/**
 * Sets every variable of the file at `path` that `env` does not have yet.
 *
 * @example
 * ```ts
 * loadEnvFile(".env"); // ["PORT"] when .env holds PORT=9000 and PORT was unset
 * ```
 * @returns the names it set, or `undefined` when there is no such file.
 * @throws {Error} naming the file when it exists but cannot be read.
 */
export function loadEnvFile(path: string, env: EnvTarget = Deno.env): string[] | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw new Error(`Cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  const set: string[] = [];
  for (const [name, value] of Object.entries(parseEnv(text))) {
    if (value === undefined || env.get(name) !== undefined) continue;
    env.set(name, value);
    set.push(name);
  }
  return set;
}

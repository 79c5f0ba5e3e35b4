/**
 * Loads `./.env`, when there is one, before the server starts: `deno task start` and
 * `deno task dev` run with `--preload lib/server/env_file_preload.ts` in place of `--env-file`,
 * which warns on every start without the file. See `env_file.ts`.
 *
 * @module
 */

import { loadEnvFile } from "./env_file.ts";

try {
  loadEnvFile(".env");
} catch (err) {
  console.error((err as Error).message);
  Deno.exit(1);
}

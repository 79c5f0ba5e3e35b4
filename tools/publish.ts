/**
 * `deno task publish`: publishes one message into a room through the server API
 * (`POST /api/publish`, `docs/api.md`), with the key from `API_KEY`.
 *
 * ```sh
 * API_KEY=… deno task publish --room lobby --text "Deploy finished"
 * API_KEY=… deno task publish --url https://chat.example.com --room ops --text "Up" --name CI \
 *   --data '{"build": 1234}' --key build-1234
 * ```
 *
 * Prints the answer (`{msgId, ts, offset, epoch}`) as JSON and exits 0; a refusal or a failure
 * prints one line saying what to fix and exits 1; bad arguments exit 2.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type ApiRequest, checkApiRequest } from "../lib/protocol/api.ts";
import { post } from "./api_client.ts";

export const USAGE = `Usage: deno task publish --room <room> --text <text> [options]

Publishes a message into a room through the server API, as the server ("from": "server").

  --room <room>     the room (1 to 64 of A-Z a-z 0-9 _ . -)
  --text <text>     the message
  --name <name>     the sender's display name (default: server)
  --data <json>     a JSON object the message carries as "data"
  --key <key>       an idempotency key: a retry within 5 minutes publishes nothing
  --url <url>       the server (default: http://127.0.0.1:8000)
  -h, --help        this text

The API key is read from API_KEY.`;

export interface PublishArgs {
  url: string;
  request: ApiRequest<"publish">;
  help: boolean;
}

/**
 * Reads the command line into a checked request, with the rules the server applies.
 *
 * @throws {Error} naming the option that cannot be used.
 */
export function parsePublishArgs(args: string[]): PublishArgs {
  const { values } = parseArgs({
    args,
    options: {
      room: { type: "string" },
      text: { type: "string" },
      name: { type: "string" },
      data: { type: "string" },
      key: { type: "string" },
      url: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return { url: "", request: { room: "", text: "" }, help: true };
  const url = values.url ?? "http://127.0.0.1:8000";
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`--url must be an http:// or https:// URL, got "${url}"`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new Error(`--url must be an http:// or https:// URL, got "${url}"`);
  }
  let data: unknown;
  if (values.data !== undefined) {
    try {
      data = JSON.parse(values.data);
    } catch {
      throw new Error(`--data must be a JSON object, like '{"build": 1234}'`);
    }
  }
  const input = {
    room: values.room,
    text: values.text,
    name: values.name,
    data,
    idempotencyKey: values.key,
  };
  const checked = checkApiRequest("publish", input);
  if (!checked.ok) {
    // The server's field names, as the options spell them.
    throw new Error(`--${checked.message.replace(/^idempotencyKey/, "key")}`);
  }
  return { url: parsed.origin, request: checked.request, help: false };
}

/** Why a fetch to `url` failed, in one line. */
function unreachable(url: string, err: TypeError): string {
  // Deno's "fetch failed" keeps the reason (connection refused, DNS, TLS) in its cause.
  const cause = err.cause instanceof Error ? err.cause.message : err.message;
  const why = cause.replace(/^error sending request for url \([^)]*\): /, "").split("\n")[0];
  return `publish: cannot reach ${url} (${why}); is the server running? pass --url`;
}

/** Runs the command; answers the exit code. */
export async function main(args: string[], env = Deno.env.get.bind(Deno.env)): Promise<number> {
  let parsed: PublishArgs;
  try {
    parsed = parsePublishArgs(args);
  } catch (err) {
    console.error(`publish: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.help) {
    console.log(USAGE);
    return 0;
  }
  const key = env("API_KEY");
  if (!key) {
    console.error("publish: set API_KEY to the server's API key");
    return 2;
  }
  let answer;
  try {
    answer = await post({ url: parsed.url, key }, "publish", parsed.request);
  } catch (err) {
    // A fetch that failed is a TypeError; anything else is an answer that was not the API's.
    console.error(
      err instanceof TypeError
        ? unreachable(parsed.url, err)
        : `publish: ${(err as Error).message}`,
    );
    return 1;
  }
  if (answer.status === 200) {
    console.log(JSON.stringify(answer.body));
    return 0;
  }
  const { error } = answer.body as { error?: { code: string; message: string } };
  const hint = answer.status === 401
    ? "; check API_KEY"
    : answer.status === 404
    ? "; is API_KEY set on the server?"
    : "";
  console.error(
    `publish: ${answer.status} ${error?.code ?? "error"}: ${error?.message ?? "no message"}${hint}`,
  );
  return 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));

/**
 * `deno task compile`'s `deno compile`, with its arguments passed through, and one clear message
 * when the `denort` runtime it builds on cannot be had. `deno compile` downloads `denort` from
 * dl.deno.land unless `DENORT_BIN` names one; without network it ends in a chain of "Caused by"
 * lines about a URL, which says nothing of `DENORT_BIN`. Other failures pass through unchanged.
 *
 * ```sh
 * deno run --allow-read --allow-run --allow-env=DENORT_BIN tools/compile.ts --output dist/hub main.ts
 * ```
 *
 * @module
 */

const VERSION = Deno.version.deno;
const TARGET = Deno.build.target;
const HOW = `Fetch denort-${TARGET}.zip from https://dl.deno.land/release/v${VERSION}/ where ` +
  `the network allows, unzip it, and point DENORT_BIN at it: ` +
  `DENORT_BIN=/path/to/denort deno task compile`;

// deno-lint-ignore no-control-regex
const ansi = /\x1b\[[0-9;]*m/g;

/** `DENORT_BIN`, when set, must be a file: checked here because Deno's own error is a stack. */
function checkDenortBin(): string | undefined {
  const path = Deno.env.get("DENORT_BIN");
  if (!path) return undefined;
  try {
    if (Deno.statSync(path).isFile) return undefined;
    return `DENORT_BIN=${path}: not a file; it must name a denort binary of Deno ${VERSION}`;
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound ? "no such file" : (err as Error).message;
    return `DENORT_BIN=${path}: ${why}; it must name a denort binary of Deno ${VERSION}`;
  }
}

/**
 * The one message for a `deno compile` error about `denort`, or `undefined` when the error is
 * about something else. `error` is Deno's error text from its `error:` line on, colours removed.
 */
export function denortFailure(error: string): string | undefined {
  const missing = error.match(/Could not find denort at '([^']*)'/);
  if (missing) {
    return `Cannot compile: DENORT_BIN=${missing[1]}: no such file; it must name a denort ` +
      `binary of Deno ${VERSION}`;
  }
  const download = error.match(/error sending request for url \((\S+?)\)/);
  if (!download && !/Setting up base binary/.test(error)) return undefined;
  // The last "N: ..." line under "Caused by:" is the root cause (a DNS or TCP error, a proxy's
  // answer); the stack backtrace after it is numbered the same way, so it is cut off first.
  const chain = error.split(/^Stack backtrace:/m)[0];
  const causes = [...chain.matchAll(/^\s*\d+: (.+)$/gm)].map((m) => m[1].trim());
  const cause = causes.at(-1) ?? "no reason given";
  const from = download ? ` from ${download[1]}` : "";
  return `Cannot compile: deno compile needs denort, the Deno ${VERSION} runtime for ${TARGET}, ` +
    `and could not download it${from} (${cause}).\n${HOW}`;
}

async function main(): Promise<number> {
  const bad = checkDenortBin();
  if (bad) {
    console.error(`Cannot compile: ${bad}`);
    return 1;
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: ["compile", ...Deno.args],
    stdout: "inherit",
    stderr: "piped",
  }).spawn();
  // Progress lines ("Check", "Compile", "Download") go through as they come; from Deno's "error:"
  // line on, the text is held back to be judged once the process has ended.
  let error = "";
  let pending = "";
  const encoder = new TextEncoder();
  for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
    if (error) {
      error += chunk;
      continue;
    }
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const [i, line] of lines.entries()) {
      if (/^error:/.test(line.replace(ansi, ""))) {
        error = [...lines.slice(i), pending].join("\n");
        pending = "";
        break;
      }
      Deno.stderr.writeSync(encoder.encode(line + "\n"));
    }
  }
  error += pending;
  const { code } = await child.status;
  if (code === 0 || !error) {
    if (error) Deno.stderr.writeSync(encoder.encode(error));
    return code;
  }
  const message = denortFailure(error.replace(ansi, ""));
  if (message) console.error(message);
  else Deno.stderr.writeSync(encoder.encode(error));
  return code;
}

if (import.meta.main) Deno.exit(await main());

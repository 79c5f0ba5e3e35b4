/**
 * Reading a server API request's input, which is hostile like any other: a JSON body read no
 * further than its size limit, or a query's parameters, each given once.
 *
 * @module
 */

/** What was read, or why it could not be: the message names the culprit. */
export type Input = { ok: true; value: unknown } | { ok: false; message: string; status?: number };

/**
 * The body as JSON, whatever its `Content-Type` says (`curl -d` sends a form type by default).
 * A body over `maxBytes` is refused without being read whole.
 */
export async function readJsonBody(req: Request, maxBytes: number): Promise<Input> {
  const tooLarge: Input = { ok: false, message: `The body is over ${maxBytes} bytes`, status: 413 };
  const declared = Number(req.headers.get("content-length") ?? 0);
  if (declared > maxBytes) return tooLarge;
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (req.body) {
    for await (const chunk of req.body) {
      size += chunk.length;
      if (size > maxBytes) return tooLarge;
      chunks.push(chunk);
    }
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, message: "The body is not valid UTF-8" };
  }
  if (text.trim() === "") return { ok: false, message: "The body is empty; send a JSON object" };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, message: "The body is not valid JSON" };
  }
}

/** A query's parameters as an object of strings; a parameter given twice is refused. */
export function readQuery(url: URL): Input {
  const value: Record<string, string> = {};
  for (const [key, item] of url.searchParams) {
    if (Object.hasOwn(value, key)) return { ok: false, message: `${key} is given more than once` };
    value[key] = item;
  }
  return { ok: true, value };
}

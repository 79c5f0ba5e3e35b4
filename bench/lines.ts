/**
 * Splits a byte stream into text lines (without the newline), for the JSON-lines link between the
 * harness and its generator processes.
 *
 * @module
 */

/** Yields every complete line of `stream`, then the last partial one if it is not empty. */
export async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of stream) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      yield buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
    }
  }
  buffer += decoder.decode();
  if (buffer !== "") yield buffer;
}

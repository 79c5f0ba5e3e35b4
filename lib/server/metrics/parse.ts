/**
 * Reads Prometheus text format back into samples, for tests and checks: each series as printed
 * (`name{label="value"}`) with its value. Comments and blank lines are skipped.
 *
 * @module
 */

/** Every sample of `text`, keyed by its series as printed. */
export function parseSamples(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const cut = line.lastIndexOf(" ");
    if (cut < 0) throw new Error(`Not a sample line: ${JSON.stringify(line)}`);
    const value = line.slice(cut + 1);
    samples.set(line.slice(0, cut), value === "+Inf" ? Infinity : Number(value));
  }
  return samples;
}

/** The series key `parseSamples` uses for `name` and `labels`, in the order given. */
export function series(name: string, labels: Record<string, string> = {}): string {
  const pairs = Object.entries(labels).map(([key, value]) => `${key}=${JSON.stringify(value)}`);
  return pairs.length ? `${name}{${pairs.join(",")}}` : name;
}

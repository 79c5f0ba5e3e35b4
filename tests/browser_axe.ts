/**
 * axe-core inside a page under test: its source comes from the npm package pinned in `deno.json`
 * (read from where Deno resolved it, never from a CDN) and is evaluated through the DevTools
 * protocol, which the page's Content-Security-Policy does not govern (a `<script>` tag would be
 * refused, as it should be).
 */

import type { Page } from "playwright-core";

/** One rule that failed, and where. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

let source: Promise<string> | undefined;

function axeSource(): Promise<string> {
  source ??= Deno.readTextFile(new URL(import.meta.resolve("axe-core")));
  return source;
}

/**
 * Runs axe on the page as it is now (WCAG 2.0, 2.1 and 2.2 A and AA rules, and best practices)
 * and returns the violations of impact `serious` or `critical`.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  const loaded = await page.evaluate(() => "axe" in globalThis);
  if (!loaded) await page.evaluate(await axeSource());
  const violations = await page.evaluate(async () => {
    // deno-lint-ignore no-explicit-any
    const axe = (globalThis as any).axe;
    const result = await axe.run(document, {
      runOnly: {
        type: "tag",
        values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
      },
      resultTypes: ["violations"],
    });
    // deno-lint-ignore no-explicit-any
    return result.violations.map((v: any) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      // deno-lint-ignore no-explicit-any
      nodes: v.nodes.map((n: any) => `${n.target.join(" ")}: ${n.failureSummary}`),
    }));
  }) as AxeViolation[];
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/** The violations as lines a failed assertion can show. */
export function describeViolations(violations: AxeViolation[]): string {
  return violations.map((v) =>
    `${v.impact} ${v.id} (${v.help}):\n  ${v.nodes.slice(0, 5).join("\n  ")}`
  ).join("\n");
}

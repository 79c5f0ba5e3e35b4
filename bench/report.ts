/**
 * Turns one results file into `docs/benchmarks.md` (tables, ratios, targets) and
 * `docs/benchmarks.png` (the RPC and fan-out figures as a chart). `deno task bench` calls
 * {@link writeReport} after a run; to redo the report from an older run:
 *
 * ```sh
 * deno run --allow-all bench/report.ts bench/results/<timestamp>.json
 * ```
 *
 * The page is its sections in order: `report_sections.ts` (one function per section),
 * `report_history.ts` (fan-out with history on and off), `report_two_nodes.ts` and
 * `report_storm.ts` (the resume storm), `report_api.ts` (the server API), `report_scale.ts` (the scale workloads, with their own
 * chart from `chart_scale.ts`), with the targets in `report_targets.ts` and the shared number and
 * table formatting in `report_format.ts`.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { renderChart } from "./chart.ts";
import type { Results } from "./main.ts";
import {
  chartSection,
  checksSection,
  comparisonSection,
  connectionsSection,
  errorsSection,
  fanoutSection,
  findingsSection,
  machineSection,
  methodSection,
  roundsSection,
  rpcSection,
  targetsSection,
  titleSection,
  versionsSection,
} from "./report_sections.ts";
import { historySection } from "./report_history.ts";
import { twoNodeSection } from "./report_two_nodes.ts";
import { stormSection } from "./report_storm.ts";
import { apiSection } from "./report_api.ts";
import { mergedNote, scaleRunSection, scaleSection } from "./report_scale.ts";
import { renderScaleChart } from "./chart_scale.ts";

// The trailing slash matters: file names are appended to it.
const DOCS = fileURLToPath(new URL("../docs/", import.meta.url));

/** The markdown page: its sections in order (`report_sections.ts`, `report_history.ts`, …). */
export function markdown(
  results: Results,
  file: string,
  chart: string | undefined,
  scaleChart?: string,
): string {
  return [
    ...titleSection(results, file),
    ...mergedNote(results),
    ...machineSection(results),
    ...roundsSection(results),
    ...versionsSection(results),
    ...chartSection(chart),
    ...checksSection(results),
    ...rpcSection(results),
    ...fanoutSection(results),
    ...historySection(results),
    ...connectionsSection(results),
    ...(results.twoNode ? twoNodeSection(results, results.twoNode) : []),
    ...(results.storm ? stormSection(results, results.storm) : []),
    ...(results.api ? apiSection(results.api) : []),
    ...scaleSection(results),
    ...scaleRunSection(results.scaleRun, scaleChart),
    ...comparisonSection(results),
    ...targetsSection(results),
    ...findingsSection(),
    ...errorsSection(results),
    ...methodSection(results),
  ].join("\n");
}

/** Writes `docs/benchmarks.md` and the chart for `results`, read from `file`. */
export async function writeReport(results: Results, file: string): Promise<void> {
  const root = fileURLToPath(new URL("../", import.meta.url));
  const relative = file.startsWith(root) ? file.slice(root.length) : file;
  let chart: string | undefined;
  try {
    await renderChart(results, `${DOCS}benchmarks.png`);
    chart = "benchmarks.png";
  } catch (err) {
    console.error(`bench: chart not rendered: ${(err as Error).message}`);
  }
  let scaleChart: string | undefined;
  try {
    if (await renderScaleChart(results, `${DOCS}benchmarks-scale.png`)) {
      scaleChart = "benchmarks-scale.png";
    }
  } catch (err) {
    console.error(`bench: scale chart not rendered: ${(err as Error).message}`);
  }
  await Deno.writeTextFile(
    `${DOCS}benchmarks.md`,
    markdown(results, relative, chart, scaleChart),
  );
  // The generated page follows the repository's formatting, so `deno fmt --check` stays clean.
  await new Deno.Command(Deno.execPath(), { args: ["fmt", `${DOCS}benchmarks.md`], stderr: "null" })
    .output();
  console.error(`bench: wrote ${DOCS}benchmarks.md${chart ? " and benchmarks.png" : ""}`);
}

if (import.meta.main) {
  const file = Deno.args[0];
  if (!file) {
    console.error("Usage: deno run --allow-all bench/report.ts bench/results/<timestamp>.json");
    Deno.exit(2);
  }
  const path = await Deno.realPath(file);
  await writeReport(JSON.parse(await Deno.readTextFile(path)), path);
}

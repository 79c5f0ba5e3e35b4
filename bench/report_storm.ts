/**
 * The report's "Resume storm" section: one node of two stopped with SIGTERM under every session,
 * and how fast and how completely they resumed on the other.
 *
 * @module
 */

import type { Results, StormResult } from "./main.ts";
import { fmt, table } from "./report_format.ts";

const ms = (n: number | undefined) => n === undefined ? "–" : `${fmt(n, n >= 100 ? 0 : 1)} ms`;

/** The "Resume storm" section, when the storm ran. */
export function stormSection(results: Results, storm: StormResult): string[] {
  const s = results.settings.storm;
  const f = storm.figures;
  const sessions = fmt(f?.sessions ?? s?.sessions, 0);
  const out: string[] = [
    `## Resume storm: node A stopped under ${sessions} sessions`,
    "",
    "A fresh two-node deployment (Redis and two hub processes, as in the two-node run). " +
    `${sessions} sessions are opened on node A (raw WebSockets from ` +
    `${f?.generators ?? results.settings.generators} generator processes), each joins room ` +
    `\`${f?.room ?? "storm"}\` (and is in \`lobby\`, as every session is); ` +
    `${(s?.settleMs ?? 0) / 1000} s later node A gets SIGTERM. It closes its sockets with 1012 ` +
    "and hands its sessions to node B over Redis; each client, on its close, reconnects at once " +
    "to node B with `/ws?resume=<token>` from its `welcome` (one attempt, as `HubClient` makes " +
    "after 1012, but to the other node). Resumed means a `welcome` with `resumed: true` and the " +
    "same `sessionId`. Per session: from the client seeing its close to its resumed `welcome`. " +
    "From SIGTERM: the harness's clock at the signal against the generators' at the event (both " +
    "epoch ms from `performance.timeOrigin`). Node B's CPU runs from SIGTERM until every session " +
    "had an outcome, adopting node A's sessions included. It runs once, after everything else, " +
    `and waits at most ${(s?.timeoutMs ?? 0) / 1000} s. With at most 250 members ` +
    "(`PRESENCE_LIMIT`), rooms also send `presence` away and back, so a small storm " +
    "(`--quick`) does more work per session than a large one.",
    "",
  ];
  if (!f) return [...out, "Not measured: see the errors below.", ""];
  const codes = Object.entries(f.closeCodes).map(([code, n]) => `${code}: ${fmt(n, 0)}`)
    .join(", ") || "–";
  const span = f.lastResumedMs === undefined || f.firstCloseMs === undefined
    ? undefined
    : f.lastResumedMs - f.firstCloseMs;
  out.push(
    table(["figure", "value"], [
      ["sessions opened on node A", fmt(f.sessions, 0)],
      ["resumed on node B (same session)", fmt(f.resumed, 0)],
      ["new session instead", fmt(f.newSessions, 0)],
      ["no welcome (failed)", fmt(f.failed, 0)],
      ["close codes seen", codes],
      ["SIGTERM → first close seen", ms(f.firstCloseMs)],
      ["SIGTERM → last close seen", ms(f.lastCloseMs)],
      ["SIGTERM → node A exited", ms(f.nodeExitMs)],
      ["**SIGTERM → last session resumed**", `**${ms(f.lastResumedMs)}**`],
      [
        "SIGTERM → new sessions' welcomes, first–last",
        f.firstNewMs === undefined ? "–" : `${ms(f.firstNewMs)} – ${ms(f.lastNewMs)}`,
      ],
      ["**per session, close → resumed welcome: p50**", `**${ms(f.resumeP50Ms)}**`],
      ["**per session: p99**", `**${ms(f.resumeP99Ms)}**`],
      ["per session: max", ms(f.resumeMaxMs)],
      [
        "resumes/s (first close to last resumed)",
        span && span > 0 ? fmt(f.resumed / (span / 1000), 0) : "–",
      ],
      ["node B CPU", `${fmt(f.serverCpuMs, 0)} ms`],
      ["node B CPU per resumed session", `${fmt(f.serverCpuPerResumeUs, 0)} µs`],
      ["Redis CPU", `${fmt(f.brokerCpuMs, 1)} ms`],
      ["`num_clients` on node B after", fmt(f.countAfter, 0)],
      [`members of \`${f.room}\` on node B after`, fmt(f.roomAfter, 0)],
    ]),
    "",
  );
  if (f.resumed < f.sessions) {
    out.push(
      `**${fmt(f.sessions - f.resumed, 0)} of ${fmt(f.sessions, 0)} sessions did not resume**: ` +
        `${f.problems.join("; ")}. A session that got a new one instead stays away on node B ` +
        "until its resume window ends, so it still counts among the room's members.",
      "",
    );
  }
  return out;
}

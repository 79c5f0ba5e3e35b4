/**
 * The report's "Server API" section: the application's backend publishing into one room of 1,000
 * members over HTTP keep-alive, against the same room's chat from a member over its WebSocket in
 * the same run.
 *
 * @module
 */

import type { ApiResult } from "./api.ts";
import { fmt, fmtRatio, table } from "./report_format.ts";

const ms = (n: number | undefined) => n === undefined ? "–" : `${fmt(n, n >= 100 ? 0 : 2)} ms`;

/** The "Server API" section, when the API workload ran. */
export function apiSection(api: ApiResult): string[] {
  const s = api.settings;
  const f = api.figures;
  const out: string[] = [
    `## Server API: \`POST /api/publish\` into one room of ${fmt(s.members, 0)} members`,
    "",
    "A fresh hub with `API_KEY` set. " +
    `${fmt(s.members, 0)} members in room \`bench\` (raw WebSockets from ${s.generators} ` +
    "generator processes) and one more member that chats. A publisher process posts " +
    "`POST /api/publish` with Deno's `fetch`, which keeps its connections open and reuses them " +
    "(HTTP/1.1 keep-alive): first open loop at " +
    `${s.rate} requests/s for ${s.rateDurationMs / 1000} s, then ${s.inflight} requests in ` +
    `flight for ${s.durationMs / 1000} s (saturation). The yardstick, right after it in the same ` +
    `run: the member's \`chat\` over its WebSocket, ${s.inflight} in flight for as long. Delivery ` +
    "is from the request (or the chat frame) leaving to each member's socket reading the event. " +
    "A publish is answered once the room's stream has it, not once every member has it, so at " +
    "saturation messages come in faster than 1,000 copies of each go out: each saturation phase " +
    "is measured until its last delivery (deliveries/s, the hub's CPU from `/proc`), and its " +
    "delivery p99 is mostly time queued. Past 500,000 deliveries waiting in the room the hub " +
    "refuses further messages into it (429 on the API, `rate_limited` on the WebSocket) until it " +
    "caught up: those are counted as refused, not failed, and bound the queue and its latency. " +
    "The fixed rate gives the latency a member sees.",
    "",
  ];
  if (!f) out.push("Not measured: see the errors below.", "");
  else {
    out.push(
      table(["at a fixed rate", "value"], [
        ["requests/s (open loop)", fmt(f.rate.rate, 0)],
        ["messages published", fmt(f.rate.published, 0)],
        ["deliveries", `${fmt(f.rate.received, 0)} of ${fmt(f.rate.expected, 0)}`],
        ["delivery p50", ms(f.rate.deliveryP50Ms)],
        ["**delivery p99**", `**${ms(f.rate.deliveryP99Ms)}**`],
        ["delivery max", ms(f.rate.deliveryMaxMs)],
        ["request p50 / p99", `${ms(f.rate.requestP50Ms)} / ${ms(f.rate.requestP99Ms)}`],
      ]),
      "",
      table(["saturation", "API (HTTP)", "chat (WebSocket)", "API ÷ chat"], [
        [
          "**messages/s**",
          `**${fmt(f.api.messagesPerSec, 0)}**`,
          fmt(f.ws.messagesPerSec, 0),
          fmtRatio(f.ratios.messagesPerSec),
        ],
        [
          "deliveries/s, until the last one",
          fmt(f.api.deliveriesPerSec, 0),
          fmt(f.ws.deliveriesPerSec, 0),
          fmtRatio(f.ratios.deliveriesPerSec),
        ],
        [
          "**delivery p99**",
          `**${ms(f.api.deliveryP99Ms)}**`,
          ms(f.ws.deliveryP99Ms),
          fmtRatio(f.ratios.deliveryP99),
        ],
        ["delivery p50", ms(f.api.deliveryP50Ms), ms(f.ws.deliveryP50Ms), "–"],
        ["request p50 / p99", `${ms(f.api.requestP50Ms)} / ${ms(f.api.requestP99Ms)}`, "–", "–"],
        [
          "hub CPU per message",
          `${fmt(f.api.serverCpuPerMessageUs, 0)} µs`,
          `${fmt(f.ws.serverCpuPerMessageUs, 0)} µs`,
          fmtRatio(f.ratios.serverCpuPerMessage),
        ],
        ["hub CPU", `${fmt(f.api.serverCpuPct, 0)} %`, `${fmt(f.ws.serverCpuPct, 0)} %`, "–"],
        [
          "deliveries seen",
          `${fmt(f.api.deliveries, 0)} of ${fmt(f.api.expected, 0)}`,
          `${fmt(f.ws.deliveries, 0)} of ${fmt(f.ws.expected, 0)}`,
          "–",
        ],
        [
          "refused: room too far behind (429 / rate_limited)",
          fmt(f.api.refused ?? 0, 0),
          fmt(f.ws.refused ?? 0, 0),
          "–",
        ],
        ["failed", fmt(f.api.failed, 0), fmt(f.ws.failed, 0), "–"],
      ]),
      "",
    );
  }
  const a = api.auth;
  if (a) {
    out.push(
      `### The cost of token checks: ${fmt(a.connections, 0)} connects`,
      "",
      `${fmt(a.connections, 0)} connections (${s.generators} generator processes, 50 at a time ` +
        "each) to a fresh hub without tokens, then to a fresh hub with `AUTH_MODE=required` and " +
        "an HS256 `AUTH_SECRET`, each connection with a signed token in `/ws?token=`.",
      "",
      table(["", "no tokens", "`AUTH_MODE=required`", "required ÷ none"], [
        [
          "**connects/s**",
          fmt(a.none.connectsPerSec, 0),
          `**${fmt(a.required.connectsPerSec, 0)}**`,
          fmtRatio(a.ratios.connectsPerSec),
        ],
        [
          "hub CPU per connect",
          `${fmt(a.none.serverCpuPerConnectUs, 0)} µs`,
          `${fmt(a.required.serverCpuPerConnectUs, 0)} µs`,
          fmtRatio(a.ratios.serverCpuPerConnect),
        ],
      ]),
      "",
    );
  }
  for (const missing of api.missing) out.push(`Not measured: ${missing}.`, "");
  return out;
}

/**
 * The server API workload (`--workloads api`): an application's backend publishing into one room
 * of 1,000 members through `POST /api/publish`, over HTTP keep-alive (`api_publisher.ts`), on a
 * fresh hub with `API_KEY` set. Measured, in one run so that the ratios compare runs minutes
 * apart on one machine:
 *
 * - a fixed rate (open loop, 20 requests/s by default, as the fan-out workload's chat): each
 *   message's delivery latency to every member, and the request's own latency;
 * - saturation: `inflight` requests at a time for a short while, then every delivery they caused:
 *   requests/s, request and delivery p99, the hub's CPU per message (its fan-out included);
 * - the same saturation from a member over its WebSocket (`chat`, the same number in flight), as
 *   the yardstick: API requests/s over chat messages/s, and delivery p99 over delivery p99.
 *
 * A publish is answered once the room's stream has it, before every member has it: at saturation
 * the hub takes messages faster than it can write 1,000 copies of each, so the phase is short and
 * is measured until its last delivery, and its delivery p99 is mostly time queued. The fixed rate
 * gives the latency a member sees.
 *
 * Then the cost of token checks (`api_auth.ts`): connects/s to a fresh hub without tokens, and to
 * one with `AUTH_MODE=required` (HS256), every connection with its token.
 *
 * @module
 */

import { Generator } from "./peers.ts";
import { cpuMicros, sleep } from "./procs.ts";
import type { ApiPublishResult } from "./api_publisher.ts";
import type { PublishResult } from "./generator.ts";
import { Histogram } from "../tools/load/histogram.ts";
import { connectAll, drain, merged, withGenerators } from "./workloads.ts";
import { authConnects, type AuthFigures, freshHub } from "./api_auth.ts";

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const ms = (micros: number) => round(micros / 1000, 2);

export interface ApiSettings {
  members: number;
  /** Processes holding the members' sockets. */
  generators: number;
  rate: number;
  rateDurationMs: number;
  /** Requests (and, for the yardstick, chat messages) in flight during saturation. */
  inflight: number;
  durationMs: number;
  /** Connections opened for the token checks, with and without `AUTH_MODE=required`. */
  authConnections: number;
}

export const API_FULL: ApiSettings = {
  members: 1000,
  generators: 2,
  rate: 20,
  rateDurationMs: 5000,
  inflight: 16,
  durationMs: 1000,
  authConnections: 2000,
};

export const API_QUICK: ApiSettings = {
  ...API_FULL,
  rateDurationMs: 1500,
  durationMs: 300,
  authConnections: 500,
};

/** The longest wait for a saturation phase's deliveries: the backlog of 1,000 copies each. */
const SATURATION_DRAIN_MS = 120_000;

/** One saturation phase: through the API, or from a member over its WebSocket. */
export interface ApiSaturation {
  /** While messages were sent… */
  seconds: number;
  /** …and until their last delivery. */
  busySeconds: number;
  /** Requests answered 200 (API), or chat messages acknowledged (WebSocket). */
  messages: number;
  messagesPerSec: number;
  /** Over `busySeconds`. */
  deliveriesPerSec: number;
  /** Refused because the room was too far behind (429, or `rate_limited`): backpressure. */
  refused: number;
  failed: number;
  /** Request to answer (API) */
  requestP50Ms?: number;
  requestP99Ms?: number;
  deliveries: number;
  expected: number;
  deliveryP50Ms: number;
  deliveryP99Ms: number;
  /** Over `busySeconds`. */
  serverCpuPct: number;
  /** Its fan-out to every member included. */
  serverCpuPerMessageUs: number;
}

export interface ApiFigures {
  members: number;
  rate: {
    rate: number;
    seconds: number;
    published: number;
    failed: number;
    expected: number;
    received: number;
    reach: number;
    deliveryP50Ms: number;
    deliveryP99Ms: number;
    deliveryMaxMs: number;
    requestP50Ms: number;
    requestP99Ms: number;
    publisherLagMs: number;
  };
  inflight: number;
  api: ApiSaturation;
  ws: ApiSaturation;
  /** API over WebSocket, both from this run. */
  ratios: {
    messagesPerSec: number;
    deliveriesPerSec: number;
    deliveryP99: number;
    serverCpuPerMessage: number;
  };
}

export interface ApiResult {
  settings: ApiSettings;
  figures?: ApiFigures;
  /** The cost of token checks. */
  auth?: AuthFigures;
  /** What the workload should measure and could not, and why. */
  missing: string[];
  errors: string[];
}

const ROOM = "bench";
const KEY = "bench-api-key-0123456789abcdef";

/** The members' deliveries of one phase, once every one arrived or nothing more came. */
async function deliveries(subs: Generator[], phase: string, expected: number, maxMs?: number) {
  const results = await drain(subs, phase, expected, maxMs);
  const { hist, received } = merged(results);
  return { hist, received, lastMs: Math.max(...results.map((r) => r.lastMs)) };
}

/** The API workload on a fresh hub; stops everything it started before returning. */
export async function apiWorkload(
  settings: ApiSettings,
  log: (line: string) => void,
): Promise<ApiResult> {
  const result: ApiResult = {
    settings,
    missing: [],
    errors: [],
  };
  const hub = await freshHub("hub-api", { API_KEY: KEY }).catch((err: Error) => err);
  if (hub instanceof Error) return { ...result, errors: [`api: ${hub.message}`] };
  const { child, port, target } = hub;
  const publisher = new Generator("api", "./api_publisher.ts");
  try {
    result.figures = await withGenerators(settings.generators + 1, async ([member, ...subs]) => {
      await connectAll(target, subs, settings.members, {
        room: ROOM,
        concurrency: 50,
      });
      await connectAll(target, [member], 1, { room: ROOM });
      await sleep(1000); // let join announcements drain
      const url = `http://127.0.0.1:${port}`;
      const post = (
        phase: string,
        mode: { rate: number } | { inflight: number },
        durationMs: number,
      ) =>
        publisher.send<ApiPublishResult>({
          cmd: "api_publish",
          url,
          key: KEY,
          room: ROOM,
          phase,
          durationMs,
          ...mode,
        });
      const cpu = () => cpuMicros([child.pid]);
      const checked = (phase: string, answer: ApiPublishResult) => {
        if (answer.ok === 0) {
          throw new Error(`${phase}: no request succeeded: ${answer.errors.join("; ")}`);
        }
        return answer;
      };

      log(`api: warm-up`);
      const warm = checked("warm-up", await post("warm", { inflight: 4 }, 300));
      await deliveries(subs, "warm", warm.ok * settings.members);
      await sleep(300);

      log(`api: ${settings.rate} requests/s for ${settings.rateDurationMs / 1000} s`);
      const fixed = checked(
        "rate",
        await post("rate", { rate: settings.rate }, settings.rateDurationMs),
      );
      const rateSeen = await deliveries(subs, "rate", fixed.ok * settings.members);
      const requests = Histogram.from(fixed.latency);

      await sleep(300);
      log(`api: saturation, ${settings.inflight} in flight`);
      /** One saturation phase: what `send` answers, then every delivery it caused. */
      const saturate = async <T extends { ok: number } | { acked: number }>(
        phase: string,
        send: () => Promise<T>,
      ) => {
        const before = cpu();
        const sent = await send();
        const count = "ok" in sent ? sent.ok : sent.acked;
        const seen = await deliveries(subs, phase, count * settings.members, SATURATION_DRAIN_MS);
        return { sent, seen, cpuUs: cpu() - before };
      };
      const sat = await saturate(
        "sat",
        async () =>
          checked(
            "saturation",
            await post("sat", { inflight: settings.inflight }, settings.durationMs),
          ),
      );
      await sleep(300);
      log(
        `api: the yardstick, chat from a member over its WebSocket, ${settings.inflight} in flight`,
      );
      const chat = await saturate("ws", () =>
        member.send<PublishResult>({
          cmd: "burst",
          room: ROOM,
          phase: "ws",
          window: settings.inflight,
          durationMs: settings.durationMs,
        }));

      const saturation = (
        answered: { ok: number; refused: number; startMs: number; endMs: number; failed: number },
        seen: { hist: Histogram; received: number; lastMs: number },
        cpuUs: number,
        request?: Histogram,
      ): ApiSaturation => {
        const seconds = (answered.endMs - answered.startMs) / 1000;
        // The work of the phase lasts until its last delivery.
        const busySeconds = (Math.max(seen.lastMs, answered.endMs) - answered.startMs) / 1000;
        return {
          seconds: round(seconds, 2),
          busySeconds: round(busySeconds, 2),
          messages: answered.ok,
          messagesPerSec: Math.round(answered.ok / seconds),
          deliveriesPerSec: Math.round(seen.received / busySeconds),
          refused: answered.refused,
          failed: answered.failed,
          ...(request
            ? { requestP50Ms: ms(request.percentile(50)), requestP99Ms: ms(request.percentile(99)) }
            : {}),
          deliveries: seen.received,
          expected: answered.ok * settings.members,
          deliveryP50Ms: ms(seen.hist.percentile(50)),
          deliveryP99Ms: ms(seen.hist.percentile(99)),
          serverCpuPct: round((cpuUs / 1000 / (busySeconds * 1000)) * 100),
          serverCpuPerMessageUs: Math.round(cpuUs / answered.ok),
        };
      };
      const api = saturation(sat.sent, sat.seen, sat.cpuUs, Histogram.from(sat.sent.latency));
      const { acked, sent, startMs, endMs } = chat.sent;
      const refused = chat.sent.refused ?? 0;
      const ws = saturation(
        { ok: acked, refused, startMs, endMs, failed: sent - acked - refused },
        chat.seen,
        chat.cpuUs,
      );
      const expected = fixed.ok * settings.members;
      return {
        members: settings.members,
        rate: {
          rate: settings.rate,
          seconds: round(settings.rateDurationMs / 1000, 1),
          published: fixed.ok,
          failed: fixed.failed,
          expected,
          received: rateSeen.received,
          reach: round(rateSeen.received / expected, 4),
          deliveryP50Ms: ms(rateSeen.hist.percentile(50)),
          deliveryP99Ms: ms(rateSeen.hist.percentile(99)),
          deliveryMaxMs: ms(rateSeen.hist.max),
          requestP50Ms: ms(requests.percentile(50)),
          requestP99Ms: ms(requests.percentile(99)),
          publisherLagMs: round(fixed.maxLagMs, 2),
        },
        inflight: settings.inflight,
        api,
        ws,
        ratios: {
          messagesPerSec: round(api.messagesPerSec / ws.messagesPerSec, 2),
          deliveriesPerSec: round(api.deliveriesPerSec / ws.deliveriesPerSec, 2),
          deliveryP99: round(api.deliveryP99Ms / ws.deliveryP99Ms, 2),
          serverCpuPerMessage: round(api.serverCpuPerMessageUs / ws.serverCpuPerMessageUs, 2),
        },
      };
    });
    const f = result.figures;
    for (const [what, phase] of [["rate", f.rate], ["saturation", f.api]] as const) {
      if (phase.failed > 0) result.errors.push(`api ${what}: ${phase.failed} requests failed`);
    }
    const counts = [
      ["rate", f.rate.received, f.rate.expected],
      ["saturation", f.api.deliveries, f.api.expected],
      ["chat", f.ws.deliveries, f.ws.expected],
    ] as const;
    for (const [what, received, expected] of counts) {
      if (received < expected) {
        result.errors.push(`api ${what}: ${received} of ${expected} deliveries arrived`);
      }
    }
  } catch (err) {
    result.errors.push(`api: ${(err as Error).message}`);
  } finally {
    await publisher.close();
    await child.stop();
  }
  try {
    const auth = await authConnects(settings.authConnections, settings.generators, log);
    if (typeof auth === "string") result.missing.push(auth);
    else result.auth = auth;
  } catch (err) {
    result.errors.push(`api token checks: ${(err as Error).message}`);
  }
  return result;
}

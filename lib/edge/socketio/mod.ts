/**
 * The Socket.IO edge: Engine.IO v4 and Socket.IO v5 at `/socket.io/`, beside `/ws`, and with
 * `SIO_CONFORMANCE=1` the official suites' fixture under `/conformance/`. One edge per server
 * process, made on first use from the process's services, so tests can run several servers in
 * one process. `docs/socketio.md` says what maps to what.
 *
 * @module
 */

import { realClock } from "../clock.ts";
import { SLOW_GRACE_MS, SLOW_HARD_FACTOR } from "../connection.ts";
import type { Services } from "../../server/services.ts";
import { DEFAULTS } from "../../server/config.ts";
import { EngineServer } from "./engine_server.ts";
import type { EngineTimings } from "./engine_socket.ts";
import type { PollingLimits } from "./polling.ts";
import { type Namespace, SioConnection } from "./sio_connection.ts";
import { CONFORMANCE_TIMINGS, conformanceNamespaces, echo } from "./conformance.ts";
import type { Bus } from "./bus.ts";
import { HubNamespace } from "./hub_namespace.ts";
import { Seeds } from "./seeds.ts";

/** Socket.IO's own defaults. */
export const TIMINGS = {
  pingInterval: 25_000,
  pingTimeout: 20_000,
  upgradeTimeout: 10_000,
  connectTimeout: 45_000,
} as const;

/** Packets a polling queue may hold. */
const MAX_QUEUED = 10_000;

/**
 * Socket.IO's own `maxPayload` (its `maxHttpBufferSize`), the default its clients and the seeds'
 * servers have. `MAX_MESSAGE_BYTES`, once set to anything but its default, takes its place.
 */
export const SOCKETIO_MAX_PAYLOAD = 1_000_000;

/** The endpoint's `maxPayload`: `MAX_MESSAGE_BYTES` when set, else Socket.IO's default. */
export function maxPayloadFor(config: { maxMessageBytes: number }): number {
  return config.maxMessageBytes === DEFAULTS.maxMessageBytes
    ? SOCKETIO_MAX_PAYLOAD
    : config.maxMessageBytes;
}

export interface SocketIoEdge {
  /** `/socket.io/` */
  main: EngineServer;
  /** `/conformance/socket.io/` and `/conformance/engine.io/`, with `SIO_CONFORMANCE=1` only. */
  conformance: { socketio: EngineServer; engineio: EngineServer } | undefined;
}

const edges = new WeakMap<Services, SocketIoEdge>();

/** The edge of the server that owns `services`. */
export function socketIoEdge(services: Services): SocketIoEdge {
  let edge = edges.get(services);
  if (!edge) {
    edge = createEdge(services);
    edges.set(services, edge);
  }
  return edge;
}

function limitsFor(services: Services, maxPayload: number): PollingLimits {
  return {
    maxPayload,
    // A POST may batch several packets; clients before engine.io-client 6.2 batch past
    // maxPayload, and Socket.IO bounds a whole POST by its 1,000,000-byte default.
    maxBody: Math.max(maxPayload, SOCKETIO_MAX_PAYLOAD),
    maxQueued: MAX_QUEUED,
    maxQueuedBytes: services.config.maxBufferedBytes,
    slowGraceMs: SLOW_GRACE_MS,
    hardFactor: SLOW_HARD_FACTOR,
  };
}

/** An Engine.IO server whose sessions speak Socket.IO with `namespaces`. */
function socketIoServer(
  services: Services,
  timings: EngineTimings & { connectTimeout: number },
  maxPayload: number,
  namespaces: Map<string, Namespace>,
): EngineServer {
  const { config, log, metrics } = services;
  return engineServer(services, timings, maxPayload, (session) => {
    new SioConnection(session, {
      namespaces,
      connectTimeout: timings.connectTimeout,
      maxPayload,
      limits: config,
      clock: realClock,
      log,
      metrics,
    });
  });
}

function engineServer(
  services: Services,
  timings: EngineTimings,
  maxPayload: number,
  onConnection: ConstructorParameters<typeof EngineServer>[0]["onConnection"],
): EngineServer {
  const { config, log } = services;
  return new EngineServer({
    timings,
    limits: limitsFor(services, maxPayload),
    policy: config,
    clock: realClock,
    log,
    idleTimeoutS: config.idleTimeoutS,
    sockets: services.sockets,
    connections: services.connections,
    closing: () => services.closing === true,
    onConnection,
  });
}

/** The namespaces of `/socket.io/`: the hub's protocol and the seeds' names on `/`, `/chat`, `/user`. */
function appNamespaces(
  services: Services,
  bus: Bus,
): { namespaces: Map<string, Namespace>; seeds: Seeds } {
  const { hub, log, config, metrics } = services;
  const extras = new Map();
  const root = new HubNamespace({
    hub,
    verifier: services.verifier,
    userConnectionLimit: config.userConnectionLimit,
    log,
    counts: metrics.counts,
    extras,
  });
  const seeds = new Seeds({
    hub,
    root,
    bus,
    seedDms: config.sioSeedDms,
    clock: realClock,
    log,
    counts: metrics.counts,
  });
  for (const [name, extra] of seeds.extras()) extras.set(name, extra);
  const namespaces = new Map<string, Namespace>([["/", root], ["/chat", seeds.chat], [
    "/user",
    seeds.user,
  ]]);
  return { namespaces, seeds };
}

function createEdge(services: Services): SocketIoEdge {
  const { config } = services;
  const bus: Bus = services.socketIoBus();
  const { namespaces, seeds } = appNamespaces(services, bus);
  const main = socketIoServer(services, TIMINGS, maxPayloadFor(config), namespaces);
  const conformance = config.sioConformance
    ? {
      socketio: socketIoServer(
        services,
        CONFORMANCE_TIMINGS,
        CONFORMANCE_TIMINGS.maxPayload,
        conformanceNamespaces(),
      ),
      engineio: engineServer(services, CONFORMANCE_TIMINGS, CONFORMANCE_TIMINGS.maxPayload, echo),
    }
    : undefined;
  // Socket.IO sessions cannot be resumed, so they end before the hub hands its sessions over.
  services.stopping.add(() => {
    main.closeAll();
    conformance?.socketio.closeAll();
    conformance?.engineio.closeAll();
    seeds.close();
    void bus.close();
  });
  return { main, conformance };
}

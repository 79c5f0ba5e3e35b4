/**
 * A server's `/metrics`: the sources it reads, and the Prometheus registry built from them on the
 * first read (`prometheus.ts`). Building it at start would load prom-client, about 14 MiB
 * resident, into every node, scraped or not; the registry's own doc says what that changes.
 *
 * @module
 */

import type { Built, MetricsSources } from "./prometheus.ts";

export type { MetricsSources };

/** Prometheus text exposition format 0.0.4, prom-client's `Registry.contentType`. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export class MetricsExporter {
  readonly #sources: MetricsSources;
  #built: Promise<Built> | undefined;
  #stopped = false;

  constructor(sources: MetricsSources) {
    this.#sources = sources;
  }

  /** The `content-type` of {@link render}'s text. */
  get contentType(): string {
    return PROMETHEUS_CONTENT_TYPE;
  }

  /** Every metric in Prometheus text format, read now. */
  async render(): Promise<string> {
    this.#built ??= import("./prometheus.ts").then(({ buildRegistry }) => {
      const built = buildRegistry(this.#sources);
      // Stopped while prom-client loaded: the monitor it just started must not outlive the server.
      if (this.#stopped) built.stop();
      return built;
    });
    return (await this.#built).registry.metrics();
  }

  /** Stops what feeds the histograms (the event-loop monitor's timer). */
  stop(): void {
    this.#stopped = true;
    this.#built?.then((built) => built.stop());
  }
}

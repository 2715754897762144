/**
 * The daemon's counters (DESIGN.md §8: metrics and health): cycles by outcome, Share errors by code,
 * and receiver link events, the open connection's added to those of connections already closed.
 * Plain numbers, no secrets; read by the health endpoint and the Prometheus metrics.
 */
import type { LinkStats } from "../receiver/link.js";

/** The link events counted in `sharebridge_link_errors_total{kind}`. */
export const LINK_EVENT_KINDS = ["timeouts", "badCrc", "naks", "disconnects", "reopens", "retries"] as const;

export class DaemonMetrics {
  readonly #cycles: Record<string, number> = {};
  readonly #shareErrors: Record<string, number> = {};
  readonly #closedLinks: Record<string, number> = {};
  readonly #skipped: Record<string, number> = {};
  #probes = 0;

  countCycle(outcome: string): void {
    this.#cycles[outcome] = (this.#cycles[outcome] ?? 0) + 1;
  }

  /** Readings a cycle did not post, by reason. */
  countSkipped(skipped: Readonly<Record<string, number>>): void {
    for (const [reason, count] of Object.entries(skipped)) {
      if (count > 0) this.#skipped[reason] = (this.#skipped[reason] ?? 0) + count;
    }
  }

  skipped(): Record<string, number> {
    return { ...this.#skipped };
  }

  /** A check for the next reading around its due time (one receiver round trip). */
  countProbe(): void {
    this.#probes++;
  }

  probes(): number {
    return this.#probes;
  }

  countShareError(code: string): void {
    this.#shareErrors[code] = (this.#shareErrors[code] ?? 0) + 1;
  }

  /** A connection closed: keep its counts. */
  closeLink(stats: Readonly<LinkStats>): void {
    for (const kind of LINK_EVENT_KINDS)
      this.#closedLinks[kind] = (this.#closedLinks[kind] ?? 0) + stats[kind];
  }

  cycles(): Record<string, number> {
    return { ...this.#cycles };
  }

  shareErrors(): Record<string, number> {
    return { ...this.#shareErrors };
  }

  /** Link events of every connection so far, the open one (if any) included. */
  linkErrors(open: Readonly<LinkStats> | undefined): Record<string, number> {
    const out: Record<string, number> = { ...this.#closedLinks };
    if (open !== undefined) for (const kind of LINK_EVENT_KINDS) out[kind] = (out[kind] ?? 0) + open[kind];
    return out;
  }
}

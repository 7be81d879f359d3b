/**
 * Shared by the latency scenarios: each consumer process records, per timed record, the time from
 * the producer's send (`t` in the value, ms since the epoch with sub-ms precision) to the handler's
 * receipt. Warm-up records (`w: 1`) are not counted; the first one received prints `first` on
 * stdout so the parent knows the consumer is assigned and fetching. Done after `BENCH_COUNT` timed
 * records or `BENCH_DEADLINE_MS` after the first warm-up record, whichever comes first; then one
 * JSON line `{ scenario, expected, counted, p50Ms, p99Ms, maxMs }` on stdout.
 */
import { benchEnv } from '../scenarios/common.js';

export interface LatencyRecord {
  t: number;
  w: number;
}

/** Wall-clock time in ms with sub-ms precision, comparable across processes of one machine. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

export class LatencyRecorder {
  readonly env = benchEnv();
  private readonly latencies: Float64Array;
  private counted = 0;
  private firstSeen = false;
  private resolveDone!: () => void;
  readonly done = new Promise<void>((resolve) => (this.resolveDone = resolve));
  private deadline: NodeJS.Timeout | undefined;

  constructor() {
    this.latencies = new Float64Array(this.env.count);
  }

  /** Call with the decoded value as soon as the handler gets it. */
  record(value: LatencyRecord): void {
    const latency = nowMs() - value.t;
    if (!this.firstSeen) {
      this.firstSeen = true;
      process.stdout.write('first\n');
      const ms = Number(process.env.BENCH_DEADLINE_MS ?? 120_000);
      this.deadline = setTimeout(() => this.resolveDone(), ms);
    }
    if (value.w || this.counted >= this.latencies.length) return;
    this.latencies[this.counted++] = latency;
    if (this.counted === this.latencies.length) {
      clearTimeout(this.deadline);
      this.resolveDone();
    }
  }

  report(scenario: string): void {
    const sorted = this.latencies.subarray(0, this.counted).toSorted();
    const at = (q: number) =>
      sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN;
    process.stdout.write(
      `${JSON.stringify({ scenario, expected: this.env.count, counted: this.counted, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: sorted.length ? sorted[sorted.length - 1] : NaN })}\n`,
    );
  }
}

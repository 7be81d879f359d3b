/**
 * Shared by the benchmark scenarios: each runs in its own process (so memory figures are its own),
 * consumes `BENCH_COUNT` records of `BENCH_TOPIC` from the beginning in a fresh group, and prints
 * one JSON line `{ scenario, count, ms, rssPeakMb, heapPeakMb }` on stdout.
 */
export interface BenchEnv {
  brokers: string[];
  topic: string;
  groupId: string;
  count: number;
}

export function benchEnv(): BenchEnv {
  const need = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set (run bench/run.mjs)`);
    return value;
  };
  return {
    brokers: need('BENCH_BROKERS').split(','),
    topic: need('BENCH_TOPIC'),
    groupId: need('BENCH_GROUP'),
    count: Number(need('BENCH_COUNT')),
  };
}

/** Counts processed records and samples memory; `done` resolves when `count` records were seen. */
export class Meter {
  private seen = 0;
  private started = 0;
  private rssPeak = 0;
  private heapPeak = 0;
  private readonly sampler: NodeJS.Timeout;
  private resolveDone!: (ms: number) => void;
  readonly done = new Promise<number>((resolve) => (this.resolveDone = resolve));

  constructor(private readonly count: number) {
    this.sampler = setInterval(() => this.sample(), 100);
  }

  record(): void {
    if (this.seen === 0) this.started = performance.now();
    this.seen++;
    if (this.seen === this.count) {
      this.sample();
      clearInterval(this.sampler);
      this.resolveDone(performance.now() - this.started);
    }
  }

  report(scenario: string, ms: number): void {
    process.stdout.write(
      `${JSON.stringify({ scenario, count: this.count, ms, rssPeakMb: this.rssPeak / 2 ** 20, heapPeakMb: this.heapPeak / 2 ** 20 })}\n`,
    );
  }

  private sample(): void {
    const { rss, heapUsed } = process.memoryUsage();
    this.rssPeak = Math.max(this.rssPeak, rss);
    this.heapPeak = Math.max(this.heapPeak, heapUsed);
  }
}

/** The per-record work every scenario does: parse the JSON value and touch a field. */
export function work(value: Buffer | null): number {
  const order = JSON.parse(value!.toString('utf8')) as { id: number };
  return order.id;
}

/**
 * The producing side of the delivery checker (./delivery-checker.ts): loops writing unique ids with
 * per-key sequence numbers into the ledger, over one shared idempotent producer that is replaced
 * when it keeps failing.
 */
import type { IHeaders, Kafka, Producer } from 'kafkajs';
import type { DeliveryLedger } from './delivery-ledger.js';

export interface Producing {
  /** Ids the broker acknowledged so far. */
  readonly acknowledged: () => number;
  /** Sends that failed (their ids count as never produced; the next batch uses new ids). */
  readonly failedSends: () => number;
  /** Stops after the batch in flight. Idempotent. */
  stop(): Promise<void>;
}

export interface ProducingOptions {
  keys?: number;
  batchSize?: number;
  intervalMs?: number;
  total?: number;
  failEvery?: number;
  /** More payload fields for the `n`-th record (e.g. the worker's `delayMs`). */
  extra?: (n: number) => Record<string, unknown> | undefined;
  /** Headers of the `n`-th record. */
  headers?: (n: number) => IHeaders | undefined;
}

export class DeliveryProducer {
  private readonly loops = new Set<Promise<unknown>>();
  private readonly stoppers = new Set<() => void>();
  private connectingProducer: Promise<Producer> | undefined;
  private producer?: Producer;
  private nextRun = 0;

  constructor(
    private readonly kafka: Kafka,
    private readonly ledger: DeliveryLedger,
    private readonly runTag: string,
  ) {}

  /** See DeliveryChecker.startProducing. */
  start(
    topic: string,
    {
      // Enough keys that every partition of a 6-partition topic gets records (24 left one empty in ~7% of runs).
      keys = 96,
      batchSize = 10,
      intervalMs = 20,
      total = Infinity,
      failEvery = 0,
      extra = () => undefined,
      headers = () => undefined,
    }: ProducingOptions = {},
  ): Producing {
    const run = `${this.runTag}${this.nextRun++}`;
    const seqs = Array.from({ length: keys }, () => 0);
    const stopping = new AbortController();
    // close() stops every producing loop, also when a test failed before calling stop().
    this.stoppers.add(() => stopping.abort());
    let acknowledged = 0;
    let failed = 0;
    let next = 0;
    const loop = (async () => {
      let producer = await this.getProducer();
      let failedInARow = 0;
      while (!stopping.signal.aborted && acknowledged < total) {
        const batch = Array.from({ length: Math.min(batchSize, total - acknowledged) }, () => {
          const n = next++;
          const k = n % keys;
          const key = `${run}k${k}`;
          const seq = seqs[k]++;
          const fail = failEvery > 0 && n % failEvery === 0 ? { fail: true } : {};
          return { record: { id: `${key}.${seq}`, key, seq, ...fail, ...extra(n) }, headers: headers(n) };
        });
        try {
          await producer.send({
            topic,
            acks: -1,
            messages: batch.map(({ record, headers }) => ({ key: record.key, value: JSON.stringify(record), headers })),
          });
          for (const { record } of batch) this.ledger.produced({ id: record.id, key: record.key, seq: record.seq });
          acknowledged += batch.length;
          failedInARow = 0;
        } catch {
          failed++;
          // After a partition leader was killed, kafkajs' idempotent producer can fail every send
          // from then on (seen: 3,020 failed sends in a row, 150 s). A new producer starts afresh.
          if (++failedInARow >= 3) {
            failedInARow = 0;
            producer = await this.replaceProducer(producer);
          }
        }
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
    })();
    this.loops.add(loop);
    return {
      acknowledged: () => acknowledged,
      failedSends: () => failed,
      stop: async () => {
        stopping.abort();
        await loop;
      },
    };
  }

  /** Stops every producing loop (also one a failed test never stopped), then the producer. */
  async close(): Promise<void> {
    for (const stop of this.stoppers) stop();
    await Promise.allSettled(this.loops);
    await this.producer?.disconnect().catch(() => undefined);
  }

  /** Swaps `stale` for a new producer (once, if several loops ask); the stale one is disconnected. */
  private async replaceProducer(stale: Producer): Promise<Producer> {
    if (this.producer === stale) {
      this.producer = undefined;
      this.connectingProducer = undefined;
      await stale.disconnect().catch(() => undefined);
    }
    return this.getProducer().catch(() => stale);
  }

  private getProducer(): Promise<Producer> {
    this.connectingProducer ??= (async () => {
      const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      try {
        await producer.connect();
      } catch (error) {
        this.connectingProducer = undefined;
        throw error;
      }
      this.producer = producer;
      return producer;
    })();
    return this.connectingProducer;
  }
}

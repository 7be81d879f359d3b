/**
 * The committed-offset side of the delivery checker (./delivery-checker.ts): samples a group's
 * committed offsets (Kafka's, or an external store's) into the ledger, and measures lag.
 */
import type { Admin, Kafka } from 'kafkajs';
import type { DeliveryLedger } from './delivery-ledger.js';

export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: number;
}

/**
 * The ledger judges duplicates and order per group; a group's dead-letter and retry topics are
 * judged apart (`<group>/dlt`, `<group>/retry`): both give up ordering by design. Report loss
 * over all of them.
 */
export function label(group: string, topic: string): string {
  if (topic.endsWith('-dlt')) return `${group}/dlt`;
  return /-retry-\d+$/.test(topic) ? `${group}/retry` : group;
}

export class CommittedOffsetSampler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private adminClient?: Admin;
  private closed = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly ledger: DeliveryLedger,
  ) {}

  /** Samples `group`'s committed offsets of `topics` once (Kafka's own, via admin fetchOffsets). */
  async sampleCommitted(group: string, topics: string[]): Promise<void> {
    const admin = await this.admin();
    const results = await admin.fetchOffsets({ groupId: group, topics });
    // Stamped when the answer came: it may show commits made while the request was retried (a
    // coordinator being killed makes that seconds), so the request's start would date them too early
    // and make a redelivery inside the window look like one outside it.
    const at = Date.now();
    for (const { topic, partitions } of results) {
      for (const p of partitions) {
        this.ledger.committed({
          group: label(group, topic),
          topic,
          partition: p.partition,
          offset: Number(p.offset),
          at,
        });
      }
    }
  }

  /**
   * Samples committed offsets every `intervalMs` until close(): Kafka's by default, or whatever
   * `read` returns (an external offset store's rows). Failed samples (a broker down) are skipped.
   */
  startSampling(group: string, topics: string[], intervalMs = 250, read?: () => Promise<CommittedOffset[]>): void {
    const tick = async () => {
      if (this.closed) return;
      try {
        if (read) {
          const offsets = await read();
          const at = Date.now();
          for (const o of offsets) this.ledger.committed({ group: label(group, o.topic), ...o, at });
        } else {
          await this.sampleCommitted(group, topics);
        }
      } catch {
        // A fault in progress: the next sample tells.
      }
      if (!this.closed) this.timers.add(setTimeout(() => void tick(), intervalMs));
    };
    void tick();
  }

  /**
   * Records of `topics` not yet committed by `group` (end offset minus committed, summed): Kafka's
   * committed offsets, or what `read` returns (an external offset store's).
   */
  async lag(group: string, topics: string[], read?: () => Promise<CommittedOffset[]>): Promise<number> {
    const admin = await this.admin();
    const committed: CommittedOffset[] = read
      ? await read()
      : (await admin.fetchOffsets({ groupId: group, topics })).flatMap(({ topic, partitions }) =>
          partitions.map((p) => ({ topic, partition: p.partition, offset: Number(p.offset) })),
        );
    let lag = 0;
    for (const topic of topics) {
      for (const end of await admin.fetchTopicOffsets(topic)) {
        const at = committed.find((c) => c.topic === topic && c.partition === end.partition)?.offset ?? -1;
        lag += Number(end.high) - Math.max(at, Number(end.low));
      }
    }
    return lag;
  }

  /** Stops sampling: no sample starts after this. */
  stop(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
  }

  async close(): Promise<void> {
    this.stop();
    await this.adminClient?.disconnect().catch(() => undefined);
  }

  async admin(): Promise<Admin> {
    if (!this.adminClient) {
      this.adminClient = this.kafka.admin();
      await this.adminClient.connect();
    }
    return this.adminClient;
  }
}

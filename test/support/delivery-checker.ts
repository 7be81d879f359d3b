/**
 * The Kafka side of the delivery checker shared by every reliability scenario (the bookkeeping is
 * ./delivery-ledger.ts): a producer writing unique ids with per-key sequence numbers
 * (./delivery-producer.ts), a sampler of committed offsets (./committed-offsets.ts), and the
 * collection of handler reports from child-process members.
 *
 *   const checker = new DeliveryChecker(brokers);
 *   const producing = checker.startProducing(topic, { keys: 96 });
 *   checker.watch(app, groupId);                    // every ChildConsumerApp, restarts included
 *   checker.startSampling(groupId, [topic]);        // admin fetchOffsets every 250 ms
 *   ... fault ...
 *   await producing.stop();
 *   const report = checker.report([groupId]);      // lost, duplicates, order, offset regressions
 *   await checker.close();
 *
 * Records are JSON `{ id, key, seq }` keyed by `key`; the consumer worker reports `id`.
 */
import { Kafka, logLevel, type Admin } from 'kafkajs';
import type { ChildConsumerApp } from './child-app/spawn-consumer-app.js';
import { CommittedOffsetSampler, label, type CommittedOffset } from './committed-offsets.js';
import { DeliveryLedger, type DeliveryReport } from './delivery-ledger.js';
import { DeliveryProducer, type Producing, type ProducingOptions } from './delivery-producer.js';
import { TopicReader } from './topic-reader.js';

export { label, type CommittedOffset } from './committed-offsets.js';
export type { Producing } from './delivery-producer.js';

function idOf(value: Buffer | null): string | undefined {
  try {
    return (JSON.parse(value?.toString('utf8') ?? '{}') as { id?: string }).id;
  } catch {
    return undefined;
  }
}

interface Watched {
  app: ChildConsumerApp;
  group: string;
}

export class DeliveryChecker {
  readonly ledger = new DeliveryLedger();
  private readonly kafka: Kafka;
  private readonly watched: Watched[] = [];
  private readonly extraDeliveries: Array<{
    id: string;
    topic: string;
    partition: number;
    offset: number;
    group: string;
    member: string;
    at: number;
  }> = [];
  private readonly producing: DeliveryProducer;
  private readonly offsets: CommittedOffsetSampler;

  constructor(brokers: string[], runTag = Math.random().toString(36).slice(2, 8)) {
    this.kafka = new Kafka({ clientId: 'delivery-checker', brokers, logLevel: logLevel.NOTHING });
    this.producing = new DeliveryProducer(this.kafka, this.ledger, runTag);
    this.offsets = new CommittedOffsetSampler(this.kafka, this.ledger);
  }

  /**
   * Sends `batchSize` records over `keys` keys every `intervalMs` until stop() (or until `total`
   * were acknowledged); every `failEvery`-th record asks the worker's handler to fail (`fail: true`).
   * A failed send is counted and its ids dropped: the idempotent producer never writes an acknowledged batch twice, and a failed one may or may not be on the topic.
   */
  startProducing(topic: string, options: ProducingOptions = {}): Producing {
    return this.producing.start(topic, options);
  }

  /** Collects the `processed` reports of a child-process member of `group` (call for each one). */
  watch(app: ChildConsumerApp, group: string): ChildConsumerApp {
    this.watched.push({ app, group });
    return app;
  }

  /** Records a delivery seen by another kind of handler (an in-process or dead-letter one). */
  delivered(delivery: {
    id: string;
    topic: string;
    partition: number;
    offset: number;
    group: string;
    member: string;
    at?: number;
  }) {
    this.extraDeliveries.push({ ...delivery, at: delivery.at ?? Date.now() });
  }

  /** Samples `group`'s committed offsets of `topics` once (Kafka's own, via admin fetchOffsets). */
  sampleCommitted(group: string, topics: string[]): Promise<void> {
    return this.offsets.sampleCommitted(group, topics);
  }

  /**
   * Samples committed offsets every `intervalMs` until close(): Kafka's by default, or whatever
   * `read` returns (an external offset store's rows). Failed samples (a broker down) are skipped.
   */
  startSampling(group: string, topics: string[], intervalMs = 250, read?: () => Promise<CommittedOffset[]>): void {
    this.offsets.startSampling(group, topics, intervalMs, read);
  }

  /** Distinct produced ids `groups` handled so far. */
  deliveredCount(groups?: readonly string[]): number {
    this.collect();
    return this.ledger.deliveredCount(groups);
  }

  /**
   * How long after `since` every partition of `topic` had a record handled for `group` that was
   * written after the fault: `fromOffsets` maps each partition to its end offset at the fault (so a
   * record already fetched and running at the fault does not count as resumed). Undefined until all have.
   */
  resumedWithin(
    group: string,
    topic: string,
    fromOffsets: ReadonlyMap<number, number>,
    since: number,
  ): number | undefined {
    let worst = 0;
    for (const [partition, from] of fromOffsets) {
      const first = this.reports()
        .filter((d) => d.group === group && d.topic === topic && d.partition === partition && d.offset >= from)
        .reduce((min, d) => Math.min(min, d.at), Infinity);
      if (first === Infinity) return undefined;
      worst = Math.max(worst, first - since);
    }
    return worst;
  }

  /**
   * Records of `topics` not yet committed by `group` (end offset minus committed, summed): Kafka's
   * committed offsets, or what `read` returns (an external offset store's).
   */
  lag(group: string, topics: string[], read?: () => Promise<CommittedOffset[]>): Promise<number> {
    return this.offsets.lag(group, topics, read);
  }

  /**
   * Where `ids` are on `topics` (read from the start for up to `ms`) and which members started or
   * finished them: the first thing to look at when the report lists lost ids.
   */
  async locate(ids: string[], topics: string[], ms = 15_000): Promise<string> {
    const reader = await new TopicReader(this.kafka).start(topics);
    const wanted = new Set(ids);
    const found = new Map<string, string>();
    const deadline = Date.now() + ms;
    while (found.size < wanted.size && Date.now() < deadline) {
      for (const r of reader.records) {
        const id = idOf(r.value);
        if (id && wanted.has(id) && !found.has(id)) found.set(id, `${r.topic}[${r.partition}]@${r.offset}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await reader.close();
    return ids
      .map((id) => {
        const seen = this.watched.flatMap(({ app }) =>
          app.events.filter((e) => 'id' in e && e.id === id).map((e) => `${e.type} by ${app.name}/${app.pid}`),
        );
        return `${id} at ${found.get(id) ?? 'nowhere'} (${seen.join(', ') || 'never handled'})`;
      })
      .join('; ');
  }

  /**
   * Waits until `group` committed everything on `topics` (lag 0, by Kafka's offsets or `read`'s)
   * and every acknowledged id was reported (or `reportMs` passed), then reconciles; returns the
   * report over `group` and its `/dlt`, `/retry` and `/refused` labels.
   */
  async settle(
    group: string,
    topics: string[],
    {
      read,
      timeoutMs = 120_000,
      reportMs = 15_000,
    }: { read?: () => Promise<CommittedOffset[]>; timeoutMs?: number; reportMs?: number } = {},
  ): Promise<DeliveryReport> {
    const groups = [group, `${group}/dlt`, `${group}/retry`, `${group}/refused`];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lag = await this.lag(group, topics, read).catch(() => -1);
      if (lag === 0) break;
      if (Date.now() > deadline) throw new Error(`${group} still lags by ${lag} on ${topics.join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    // Handlers report before they return, the commit follows: reports may trail lag 0 a little.
    const reported = Date.now() + reportMs;
    while (this.report(groups).lost.length > 0 && Date.now() < reported) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await this.reconcile(groups, topics);
    return this.report(groups);
  }

  /**
   * Once the group is done (lag 0): reads `topics` back in full and marks every id `groups` never
   * handled that is not on them as unwritten (the producer acknowledged it, the broker lost it:
   * kafkajs' producer can report success for a batch a killed leader never replicated). What
   * stays in `lost` is on the topic and was never handled: the consumer's loss.
   */
  async reconcile(groups: readonly string[], topics: string[], timeoutMs = 60_000): Promise<void> {
    const missing = this.report(groups).lost;
    if (missing.length === 0) return;
    const admin = await this.admin();
    let total = 0;
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) total += Number(p.high) - Number(p.low);
    }
    const reader = await new TopicReader(this.kafka).start(topics);
    try {
      const deadline = Date.now() + timeoutMs;
      while (reader.records.length < total) {
        if (Date.now() > deadline) throw new Error(`read ${reader.records.length}/${total} records back`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const onTopic = new Set(reader.records.map((r) => idOf(r.value)));
      for (const id of missing) if (!onTopic.has(id)) this.ledger.unwritten(id);
    } finally {
      await reader.close();
    }
  }

  report(groups?: readonly string[]): DeliveryReport {
    this.collect();
    return this.ledger.report(groups);
  }

  async close(): Promise<void> {
    this.offsets.stop();
    await this.producing.close();
    await this.offsets.close();
  }

  admin(): Promise<Admin> {
    return this.offsets.admin();
  }

  private reports() {
    return [
      ...this.extraDeliveries.map((d) => ({ ...d, group: label(d.group, d.topic) })),
      ...this.watched.flatMap(({ app, group }) => {
        // The latest start of each record by this member (a handler worker reports `started`).
        const startedAt = new Map<string, number>();
        for (const e of app.events)
          if (e.type === 'started') startedAt.set(`${e.topic}:${e.partition}:${e.offset}`, e.at);
        return app.processed().map((e) => ({
          id: e.id,
          topic: e.topic,
          partition: e.partition,
          offset: Number(e.offset),
          group: label(group, e.topic),
          member: `${app.name}/${app.pid}`,
          at: e.at,
          startedAt: startedAt.get(`${e.topic}:${e.partition}:${e.offset}`),
        }));
      }),
    ];
  }

  /** Moves every report into the ledger (deliveries are judged against what was produced by then). */
  private collect(): void {
    this.ledger.clearDeliveries();
    for (const r of this.reports()) {
      const produced = this.ledger.producedRecord(r.id);
      this.ledger.delivered({ ...r, key: produced?.key ?? `?${r.id}`, seq: produced?.seq ?? 0 });
    }
  }
}

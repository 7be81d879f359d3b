import type { Kafka } from 'kafkajs';
import type { KafkaConsumerContext } from '../context/kafka-consumer.context.js';
import { scanTopic } from '../dead-letter/topic-scan.js';
import { isSettled, type RecordOutcome } from '../retry/record-outcome.js';
import { decodeKey } from '../serialization/deserializer.js';
import type { GroupHandler } from '../server/record-dispatcher.js';
import { decideKeyOrder, ParkedKeys } from './parked-keys.js';
import { forwardedBy, retryTopicName } from './retry-topics.js';

/** Why a record was forwarded without being processed (its exception headers say so). */
export class KeyOrderFollowError extends Error {
  constructor(stage: number) {
    super(
      `An earlier record with the same key waits on retry stage ${stage + 1} or later (retryTopics.keyOrdered): this record follows it.`,
    );
    this.name = 'KeyOrderFollowError';
  }
}

/** Forwards a record to its next retry topic without processing it. */
export type Forward = (ctx: KafkaConsumerContext, reason: Error) => Promise<RecordOutcome>;

/**
 * `retryTopics.keyOrdered` for one handler's retry chain in one group. The durable state is the
 * retry topics themselves: a key is parked while a record of it, forwarded by this group, sits
 * past the group's committed offset in one of the chain's retry topics. Before the first record of
 * the chain is handled, the parked keys are rebuilt by reading the retry topics from the group's
 * committed offsets to their ends; from then on they follow this process's forwards and settlements.
 */
export class KeyOrderedChain {
  private readonly parked = new ParkedKeys();
  private ready: Promise<void> | null = null;
  private rebuilding = false;
  /** The partition workers (by their stop signal) of the main topic seen so far: a new one is a new assignment. */
  private readonly assignments = new WeakSet<AbortSignal>();

  constructor(
    private readonly kafka: Kafka,
    private readonly groupId: string,
    private readonly sourceTopic: string,
    private readonly delaysMs: readonly number[],
    private readonly forward: Forward,
  ) {}

  /** Wraps the `invoke` of the handler of `stage` (0 = the main topic) with the follow-or-process decision. */
  wrap(handler: GroupHandler, stage: number): GroupHandler {
    const invoke = handler.invoke;
    return {
      ...handler,
      invoke: async (data, ctx) => {
        try {
          if (stage === 0) this.noteAssignment(ctx.stopping);
          await this.rebuilt();
        } catch (error) {
          // The parked keys are unknown: the record waits and is delivered again.
          return { kind: 'redeliver', reason: 'recovery-failed', error };
        }
        const key = ctx.key;
        if (key === null || (stage > 0 && !forwardedBy(ctx.message.headers, this.groupId))) {
          return invoke(data, ctx);
        }
        const outcome =
          decideKeyOrder(this.parked, key, stage) === 'follow'
            ? await this.forward(ctx, new KeyOrderFollowError(stage))
            : await invoke(data, ctx);
        if (stage > 0 && isSettled(outcome)) this.parked.remove(key, stage);
        if (outcome.kind === 'forwarded') this.parked.add(key, stage + 1);
        return outcome;
      },
    };
  }

  /**
   * A main-topic partition newly assigned to this member (after a rebalance) may have keys parked
   * by another member: the parked keys are read again from the retry topics, unless a rebuild is
   * already under way.
   */
  private noteAssignment(signal: AbortSignal): void {
    if (this.assignments.has(signal)) return;
    this.assignments.add(signal);
    if (!this.rebuilding) this.ready = null;
  }

  /** Rebuilds the parked keys when due (again after a failed attempt). */
  private rebuilt(): Promise<void> {
    if (!this.ready) {
      this.rebuilding = true;
      this.ready = this.rebuild().then(
        () => {
          this.rebuilding = false;
        },
        (error: unknown) => {
          this.rebuilding = false;
          this.ready = null;
          throw error;
        },
      );
    }
    return this.ready;
  }

  private async rebuild(): Promise<void> {
    this.parked.clear();
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      for (const [index, delayMs] of this.delaysMs.entries()) {
        const topic = retryTopicName(this.sourceTopic, delayMs);
        const [committed] = await admin.fetchOffsets({ groupId: this.groupId, topics: [topic] });
        const from = new Map<number, bigint>();
        for (const p of committed?.partitions ?? []) from.set(p.partition, BigInt(Number(p.offset) < 0 ? 0 : p.offset));
        await scanTopic(this.kafka, admin, topic, async (partition, messages) => {
          const start = from.get(partition) ?? 0n;
          for (const message of messages) {
            const key = decodeKey(message.key);
            if (key === null || BigInt(message.offset) < start) continue;
            if (forwardedBy(message.headers, this.groupId)) this.parked.add(key, index + 1);
          }
          return false;
        });
      }
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}

import type { Consumer, EachBatchPayload } from 'kafkajs';
import { describeError } from '../kafka-consumer.messages.js';
import type { TopicPartition } from '../offset-stores/offset-store.js';

/** The kafkajs group events a consumer group runner reacts to, as plain calls. */
export interface GroupEventHandlers {
  /** The join completed: `memberId` in this generation, `assignment` this member's partitions. */
  onJoin(memberId: string, assignment: Record<string, number[]>): void;
  /** A rebalance started (a heartbeat or fetch saw it); a join follows. */
  onRebalancing(): void;
  /** kafkajs stopped on an error; `restart`: it rejoins by itself. */
  onCrash(error: unknown, restart: boolean): void;
  /**
   * A heartbeat went through: the coordinator counted this member in when it received it, at the
   * earliest at `sentAt` (epoch ms). A heartbeat answered after this process was frozen is old news.
   */
  onHeartbeat(sentAt: number): void;
  /**
   * A fetched batch held nothing to process (only transaction markers or aborted records): kafkajs
   * moves past it without calling eachBatch. Offsets are strings, as kafkajs gives them.
   */
  onFilteredBatch?(topic: string, partition: number, firstOffset: string, lastOffset: string): void;
}

export interface Subscription {
  readonly topic: string;
  readonly fromBeginning: boolean;
}

/** Where the adapter reports errors it swallows so they never reach kafkajs' internals. */
export interface AdapterLog {
  error(message: string): void;
  debug(message: string): void;
}

/**
 * The kafkajs edge of a consumer group: translates its instrumentation events into calls, and
 * runs its pause/resume/seek so that none of them ever throws into our code (kafkajs throws
 * while it is not running, e.g. after a crash). Nothing else of kafkajs leaks past this class
 * except the `Consumer` handed to offset stores.
 */
export class KafkajsConsumerAdapter {
  private readonly removers: Array<() => void> = [];
  /** When the heartbeat being answered was sent (kafkajs reports the request before the heartbeat). */
  private heartbeatSentAt: number | undefined;

  constructor(
    readonly consumer: Consumer,
    private readonly groupId: string,
    private readonly log: AdapterLog,
  ) {}

  /** Subscribes `handlers` to the group events until `unlisten()`. */
  listen(handlers: GroupEventHandlers): void {
    const { consumer } = this;
    this.removers.push(
      consumer.on(consumer.events.GROUP_JOIN, (event) =>
        this.guard(() => handlers.onJoin(event.payload.memberId, event.payload.memberAssignment)),
      ),
      consumer.on(consumer.events.REBALANCING, () => this.guard(() => handlers.onRebalancing())),
      consumer.on(consumer.events.CRASH, (event) =>
        this.guard(() => handlers.onCrash(event.payload.error, event.payload.restart)),
      ),
      consumer.on(consumer.events.START_BATCH_PROCESS, (event) => {
        const { topic, partition, batchSize, firstOffset, lastOffset } = event.payload;
        if (batchSize !== 0 || firstOffset === null || !handlers.onFilteredBatch) return;
        this.guard(() => handlers.onFilteredBatch!(topic, partition, String(firstOffset), String(lastOffset)));
      }),
      consumer.on(consumer.events.REQUEST, (event) => {
        if (event.payload.apiName === 'Heartbeat') this.heartbeatSentAt = event.payload.sentAt;
      }),
      consumer.on(consumer.events.HEARTBEAT, () =>
        this.guard(() => {
          const sentAt = this.heartbeatSentAt ?? Date.now();
          this.heartbeatSentAt = undefined;
          handlers.onHeartbeat(sentAt);
        }),
      ),
    );
  }

  unlisten(): void {
    for (const remove of this.removers.splice(0)) remove();
  }

  /**
   * Connects, subscribes and runs; our commits only (autoCommit off); resolves after the first
   * join. Stops between steps once `stopping()` (a close during startup must not join after it).
   */
  async start(
    subscriptions: readonly Subscription[],
    eachBatch: (payload: EachBatchPayload) => Promise<void>,
    stopping: () => boolean = () => false,
  ): Promise<void> {
    await this.consumer.connect();
    for (const { topic, fromBeginning } of subscriptions) {
      if (stopping()) return;
      await this.consumer.subscribe({ topics: [topic], fromBeginning });
    }
    if (stopping()) return;
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch,
    });
  }

  pause(partitions: readonly TopicPartition[]): void {
    if (partitions.length === 0) return;
    this.quietly('pause', () => this.consumer.pause(byTopic(partitions)));
  }

  resume(partitions: readonly TopicPartition[]): void {
    if (partitions.length === 0) return;
    this.quietly('resume', () => this.consumer.resume(byTopic(partitions)));
  }

  /** Positions the next fetch of a partition; a failure (not running) is logged, never thrown. */
  seek(topic: string, partition: number, offset: string): void {
    this.quietly('seek', () => this.consumer.seek({ topic, partition, offset }));
  }

  disconnect(): Promise<void> {
    return this.consumer.disconnect();
  }

  private quietly(what: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.log.debug(`Group "${this.groupId}": ${what} failed: ${describeError(error)}`);
    }
  }

  /** kafkajs calls our listeners synchronously inside its join: never let an error escape there. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.log.error(`Group "${this.groupId}": ${describeError(error)}`);
    }
  }
}

function byTopic(partitions: readonly TopicPartition[]): Array<{ topic: string; partitions: number[] }> {
  const grouped = new Map<string, number[]>();
  for (const { topic, partition } of partitions) grouped.set(topic, [...(grouped.get(topic) ?? []), partition]);
  return [...grouped].map(([topic, ps]) => ({ topic, partitions: ps }));
}

import type { LoggerService } from '@nestjs/common';
import type { Consumer, ConsumerConfig, EachBatchPayload, Kafka } from 'kafkajs';
import { describeError } from '../kafka-consumer.messages.js';
import type { OffsetStoreScope } from '../offset-stores/offset-store.js';
import { DEFAULT_MAX_WAIT_TIME_MS } from './polling-consumer.options.js';

/** What the adapter reports from kafkajs. */
export interface PollingKafkaEvents {
  onBatch(payload: EachBatchPayload): Promise<void>;
  onGroupJoin(memberId: string, memberAssignment: Record<string, number[]>): void;
  onCrash(error: unknown, restart: boolean): void;
}

/** A partition's wanted fetch state. */
export interface FetchState {
  readonly topic: string;
  readonly partition: number;
  readonly paused: boolean;
}

/**
 * The kafkajs edge of a polling consumer, kept thin: connect, subscribe and run with our commits
 * (autoCommit off), events, per-partition pause/resume and seek.
 */
export class PollingKafkaAdapter {
  private readonly consumer: Consumer;
  private removeListeners: Array<() => void> = [];
  private running = false;

  constructor(
    kafka: Kafka,
    config: Partial<ConsumerConfig> & { groupId: string },
    private readonly logger: LoggerService | undefined,
  ) {
    this.consumer = kafka.consumer({ maxWaitTimeInMs: DEFAULT_MAX_WAIT_TIME_MS, ...config });
  }

  /** What the offset store gets to know about this member. */
  scope(groupId: string): OffsetStoreScope {
    return { groupId, consumer: this.consumer };
  }

  async connect(events: PollingKafkaEvents): Promise<void> {
    const { consumer } = this;
    const guard = (fn: () => void) => {
      try {
        fn();
      } catch (error) {
        // kafkajs calls listeners inside its join: an error must not escape there.
        this.logger?.error(`PollingConsumer: ${describeError(error)}`);
      }
    };
    this.removeListeners.push(
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) =>
        guard(() => events.onGroupJoin(payload.memberId, payload.memberAssignment)),
      ),
      consumer.on(consumer.events.CRASH, ({ payload }) => guard(() => events.onCrash(payload.error, payload.restart))),
    );
    try {
      await consumer.connect();
    } catch (error) {
      this.removeAllListeners();
      throw error;
    }
    this.eachBatch = (payload) => events.onBatch(payload);
  }

  async run(topics: string[], fromBeginning: boolean): Promise<void> {
    await this.consumer.subscribe({ topics, fromBeginning });
    this.running = true;
    try {
      await this.consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: (payload) => this.eachBatch(payload),
      });
    } catch (error) {
      this.running = false;
      throw error;
    }
  }

  /** Pauses and resumes each partition as wanted (kafkajs keeps pause states across joins: every call states all of them). */
  applyFetchStates(states: readonly FetchState[]): void {
    if (!this.running) return;
    const group = (paused: boolean) => {
      const byTopic = new Map<string, number[]>();
      for (const s of states)
        if (s.paused === paused) byTopic.set(s.topic, [...(byTopic.get(s.topic) ?? []), s.partition]);
      return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
    };
    try {
      const pause = group(true);
      const resume = group(false);
      if (pause.length > 0) this.consumer.pause(pause);
      if (resume.length > 0) this.consumer.resume(resume);
    } catch (error) {
      // Restarting after a crash: the next join applies the states again.
      this.logger?.debug?.(`PollingConsumer: pause/resume failed: ${describeError(error)}`);
    }
  }

  /** The next fetch of the partition starts at `offset` (a fetch already under way is discarded by kafkajs). */
  seek(topic: string, partition: number, offset: string): void {
    if (this.running) this.consumer.seek({ topic, partition, offset });
  }

  /** Leaves the group and disconnects. */
  async disconnect(): Promise<void> {
    this.running = false;
    this.removeAllListeners();
    await this.consumer.disconnect();
  }

  private eachBatch: (payload: EachBatchPayload) => Promise<void> = async () => undefined;

  private removeAllListeners(): void {
    for (const remove of this.removeListeners.splice(0)) remove();
  }
}

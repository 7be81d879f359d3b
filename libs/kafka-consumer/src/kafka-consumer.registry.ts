import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Kafka, logLevel } from 'kafkajs';
import { KAFKA_CONSUMER_RESOLVED_OPTIONS } from './kafka-consumer.constants.js';
import { describeError } from './kafka-consumer.messages.js';
import type { ResolvedModuleOptions } from './kafka-consumer.options.js';
import type { TopicPartition } from './offset-stores/offset-store.js';
import { OffsetStoreResolver } from './offset-stores/offset-store.resolver.js';
import { PollingConsumer, type PollingConsumerOptions } from './polling/polling-consumer.js';
import { nestLogCreator } from './server/kafkajs-logger.js';
import { KafkaConsumerServer } from './server/kafka-consumer.server.js';
import { ConsumerGroupControl, type SeekTarget } from './control/consumer-group.control.js';
import type { PartitionLag } from './control/consumer-lag.js';
import {
  DeadLetterReplay,
  type ReplayDeadLettersOptions,
  type ReplayResult,
} from './dead-letter/dead-letter.replay.js';

/** Runtime view of the running consumer groups: the only runtime API besides the context. */
@Injectable()
export class KafkaConsumerRegistry implements OnApplicationShutdown {
  private readonly logger = new Logger('KafkaConsumer');
  private readonly pollingConsumers = new Set<PollingConsumer>();
  private kafka: Kafka | null = null;
  private readonly control: ConsumerGroupControl;

  constructor(
    private readonly server: KafkaConsumerServer,
    @Inject(KAFKA_CONSUMER_RESOLVED_OPTIONS) private readonly options: ResolvedModuleOptions,
    private readonly offsetStores: OffsetStoreResolver,
  ) {
    this.control = new ConsumerGroupControl(server);
  }

  /**
   * Creates an imperative consumer (not connected yet) with the module's client settings and,
   * unless `options.offsetStore` names another, the module's offset store:
   * `await c.connect(); await c.subscribe([topic]); const records = await c.poll({ timeoutMs }); await c.commit();`.
   * It does not need `app.listen()`; open ones are closed at application shutdown.
   */
  createPollingConsumer(options: PollingConsumerOptions): PollingConsumer {
    const consumer = new PollingConsumer(
      this.client(),
      { ...options, consumer: { ...this.options.consumer, ...options?.consumer } },
      {
        logger: this.logger,
        resolveStore: async () => {
          // The same store instances (connected once) as the handlers'.
          const store = await this.offsetStores.resolve(options?.offsetStore ?? this.options.offsetStore);
          await this.offsetStores.connect(store);
          return store;
        },
        saveTimeoutMs: this.options.offsetStoreSaveTimeoutMs,
      },
    );
    this.pollingConsumers.add(consumer);
    return consumer;
  }

  /** The server's kafkajs client, or one of our own with the module's client settings. */
  private client(): Kafka {
    this.kafka ??=
      this.server.client ??
      new Kafka({ logLevel: logLevel.WARN, logCreator: nestLogCreator(new Logger('kafkajs')), ...this.options.client });
    return this.kafka;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.control.close();
    await Promise.allSettled([...this.pollingConsumers].map((c) => c.close()));
    this.pollingConsumers.clear();
    // A server that listens disconnects the stores when it closes; otherwise they are ours to disconnect.
    if (this.server.groups.size > 0) return;
    await this.offsetStores.disconnectAll((store, error) => {
      this.logger.warn(`Offset store ${store.constructor.name} did not disconnect cleanly: ${describeError(error)}`);
    });
  }

  /** Ids of the groups this app consumes in. */
  getGroupIds(): string[] {
    return [...this.server.groups.keys()];
  }

  /** Partitions currently assigned to this member of `groupId` (none while the group is stopped). */
  getAssignment(groupId: string): TopicPartition[] {
    return this.control.runner(groupId).assignment();
  }

  /**
   * Stops processing `topic` of `groupId` (every topic of the group when omitted): no record of it
   * is dispatched and its partitions stop fetching, until `resume`. Running handlers finish. The
   * pause holds across rebalances (partitions assigned later start paused) and across
   * `stopGroup`/`startGroup`; it adds to the engine's own pauses (full buffers, redelivery waits,
   * `ctx.pause()`): a partition runs only when nobody pauses it.
   * Throws `ConsumerControlError` for an unknown group or a topic the group does not consume.
   */
  pause(groupId: string, topic?: string): void {
    this.control.pause(groupId, topic);
  }

  /** Undoes `pause(groupId, topic)` (every topic of the group when omitted). */
  resume(groupId: string, topic?: string): void {
    this.control.resume(groupId, topic);
  }

  /** Topics of `groupId` paused through `pause`. */
  getPausedTopics(groupId: string): string[] {
    return this.control.runner(groupId).control.pausedTopics;
  }

  /**
   * Moves `topic[partition]` of `groupId` to `target`: an offset (the next record to process) or
   * `{ timestamp }` (the first record at or after it; the log end when none). The partition must be
   * assigned to this member (else `ConsumerControlError` naming what is). Queued records are
   * dropped; a running handler finishes (its `ctx.signal` is aborted, as on a revoke) and its offset
   * is not committed; the new offset is saved through the group's offset store before fetching
   * resumes there, so a restart or rebalance also resumes from it.
   */
  seek(groupId: string, topic: string, partition: number, target: SeekTarget): Promise<void> {
    return this.control.seek(groupId, topic, partition, target);
  }

  /**
   * Per partition of every topic of `groupId`: committed offset, log end offset and lag. With the
   * Kafka offset store every partition is known; with an external store only those assigned here.
   */
  getLag(groupId: string): Promise<PartitionLag[]> {
    return this.control.lag(groupId);
  }

  /**
   * Joins `groupId` (resolves after its first assignment): a group declared with
   * `autoStartup: false`, or one stopped with `stopGroup`. No-op for a running group.
   */
  async startGroup(groupId: string): Promise<void> {
    this.control.runner(groupId);
    await this.server.startGroup(groupId);
  }

  /**
   * Leaves `groupId` as shutdown does, for this group only: stop fetching, let running handlers
   * finish (at most `shutdownTimeoutMs`), commit, leave the group. No-op for a stopped group.
   */
  async stopGroup(groupId: string): Promise<void> {
    this.control.runner(groupId);
    await this.server.stopGroup(groupId);
  }

  /**
   * Re-publishes records of the dead-letter topic `options.topic` to their original topic and
   * partition (`kafka_dlt-original-*` headers), with their key, value and own headers, without the
   * failure headers, and with `kafka_consumer-replayed-from: <dlt>:<partition>:<offset>`. Filters:
   * original topic, partitions and offset range, exception class, dead-letter time; `limit` caps
   * the run. Each dead-letter record is re-published at most once, also across runs and crashed
   * runs: records and their entries in the ledger topic (`<topic>-replayed`) are written in one
   * Kafka transaction. Does not need `listen()`.
   */
  replayDeadLetters(options: ReplayDeadLettersOptions): Promise<ReplayResult> {
    return new DeadLetterReplay(this.client()).run(options);
  }

  /** True while `groupId` runs (started and not stopped). */
  isRunning(groupId: string): boolean {
    return this.control.runner(groupId).running;
  }
}

import type { Admin, Kafka } from 'kafkajs';
import { ConsumerControlError } from '../errors/consumer-control.error.js';
import {
  groupNotRunning,
  invalidControlArgument,
  serverNotListening,
  unknownGroup,
  unknownGroupTopic,
} from '../kafka-consumer.messages.js';
import type { ConsumerGroupRunner } from '../server/consumer-group.runner.js';
import type { KafkaConsumerServer } from '../server/kafka-consumer.server.js';
import { partitionKey } from '../server/partition-lifecycle.js';
import { committedOrNull, partitionLag, type PartitionLag } from './consumer-lag.js';

/** Where `seek` moves a partition: an offset (the next record to process), or the first record at or after a time. */
export type SeekTarget = number | string | { readonly timestamp: number | Date };

/**
 * Runtime control of the groups the server runs, behind `KafkaConsumerRegistry`: finds the group,
 * checks what the caller named, and asks the group's runner (or an admin client) to act.
 */
export class ConsumerGroupControl {
  private admin: Promise<Admin> | null = null;

  constructor(private readonly server: KafkaConsumerServer) {}

  /** The group's runner; `ConsumerControlError` naming the known groups when there is none. */
  runner(groupId: string): ConsumerGroupRunner {
    const runner = this.server.groups.get(groupId);
    if (!runner) {
      const known = [...this.server.groups.keys()];
      throw new ConsumerControlError(
        'unknown-group',
        known.length === 0 && !this.server.client ? serverNotListening() : unknownGroup(groupId, known),
      );
    }
    return runner;
  }

  /** `topic` (checked against the group's topics), or every topic of the group. */
  topicsOf(groupId: string, topic?: string): string[] {
    const { topics } = this.runner(groupId);
    if (topic === undefined) return topics;
    if (!topics.includes(topic)) {
      throw new ConsumerControlError('unknown-topic', unknownGroupTopic(groupId, topic, topics));
    }
    return [topic];
  }

  pause(groupId: string, topic?: string): void {
    const topics = this.topicsOf(groupId, topic);
    this.runner(groupId).control.pause(topics);
  }

  resume(groupId: string, topic?: string): void {
    const topics = this.topicsOf(groupId, topic);
    this.runner(groupId).control.resume(topics);
  }

  async seek(groupId: string, topic: string, partition: number, target: SeekTarget): Promise<void> {
    this.topicsOf(groupId, topic);
    if (!Number.isSafeInteger(partition) || partition < 0) {
      throw new ConsumerControlError(
        'invalid-argument',
        invalidControlArgument('seek partition', partition, 'a non-negative integer'),
      );
    }
    if (!this.runner(groupId).running) {
      throw new ConsumerControlError('group-not-running', groupNotRunning(groupId, 'seek'));
    }
    const offset = await this.resolveTarget(topic, partition, target);
    await this.runner(groupId).control.seek(topic, partition, offset);
  }

  async lag(groupId: string): Promise<PartitionLag[]> {
    const runner = this.runner(groupId);
    const admin = await this.connectedAdmin();
    const { topics } = runner;
    const assigned = new Set(runner.assignment().map(({ topic, partition }) => partitionKey(topic, partition)));
    const committed = new Map<string, string | null>();
    if (runner.control.usesKafkaGroupOffsets) {
      for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics })) {
        for (const { partition, offset } of partitions)
          committed.set(partitionKey(topic, partition), committedOrNull(offset));
      }
    } else {
      for (const [key, offset] of runner.control.storedOffsets()) committed.set(key, offset);
    }
    const lags: PartitionLag[] = [];
    for (const topic of topics) {
      for (const { partition, low, high } of await admin.fetchTopicOffsets(topic)) {
        const key = partitionKey(topic, partition);
        lags.push(
          partitionLag({ topic, partition, low, high, committed: committed.get(key), assigned: assigned.has(key) }),
        );
      }
    }
    return lags.toSorted((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = null;
    if (admin) await (await admin.catch(() => null))?.disconnect().catch(() => undefined);
  }

  private async resolveTarget(topic: string, partition: number, target: SeekTarget): Promise<string> {
    if (typeof target === 'object' && target !== null && 'timestamp' in target) {
      const time = target.timestamp instanceof Date ? target.timestamp.getTime() : target.timestamp;
      if (!Number.isFinite(time) || time < 0) {
        throw new ConsumerControlError(
          'invalid-argument',
          invalidControlArgument('seek timestamp', target.timestamp, 'epoch milliseconds or a Date'),
        );
      }
      const admin = await this.connectedAdmin();
      const offsets = await admin.fetchTopicOffsetsByTimestamp(topic, time);
      const found = offsets.find((o) => o.partition === partition);
      if (!found) {
        throw new ConsumerControlError(
          'invalid-argument',
          invalidControlArgument(`seek partition of "${topic}"`, partition, `one of ${offsets.length} partitions`),
        );
      }
      return found.offset;
    }
    const text = typeof target === 'number' ? String(target) : target;
    if (typeof text !== 'string' || !/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
      throw new ConsumerControlError(
        'invalid-argument',
        invalidControlArgument('seek offset', target, 'a non-negative integer offset or { timestamp }'),
      );
    }
    return String(Number(text));
  }

  private connectedAdmin(): Promise<Admin> {
    const kafka: Kafka | null = this.server.client;
    if (!kafka) return Promise.reject(new ConsumerControlError('group-not-running', serverNotListening()));
    this.admin ??= (async () => {
      const admin = kafka.admin();
      await admin.connect();
      return admin;
    })();
    const pending = this.admin;
    // A failed connect is not cached: the next call tries again.
    pending.catch(() => {
      if (this.admin === pending) this.admin = null;
    });
    return pending;
  }
}

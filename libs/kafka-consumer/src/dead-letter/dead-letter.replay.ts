import type { Admin, Kafka, KafkaMessage, Message, Producer, TopicMessages } from 'kafkajs';
import { ConsumerControlError } from '../errors/consumer-control.error.js';
import { invalidControlArgument } from '../kafka-consumer.messages.js';
import {
  ledgerKey,
  matchesReplayFilter,
  replayHeaders,
  replayTarget,
  type DeadLetterRecord,
  type ReplayFilter,
} from './replay-filter.js';
import { scanTopic } from './topic-scan.js';

/** What `KafkaConsumerRegistry.replayDeadLetters` re-publishes, and how much. */
export interface ReplayDeadLettersOptions extends ReplayFilter {
  /** The dead-letter topic to read. */
  readonly topic: string;
  /** Most records re-published by this run. Default: no limit. */
  readonly limit?: number;
  /**
   * Compacted topic recording which dead-letter records were re-published (key
   * `<partition>:<offset>`), written in the same Kafka transaction as the records. Created when
   * missing. Default `<topic>-replayed`.
   */
  readonly ledgerTopic?: string;
}

/** What one replay run did. */
export interface ReplayResult {
  /** Records re-published to their original topic by this run. */
  readonly replayed: number;
  /** Matching records left alone because an earlier run re-published them. */
  readonly alreadyReplayed: number;
  /** Dead-letter records read. */
  readonly scanned: number;
}

/** Internal knobs (tests): a hook before each transaction commits, and the transaction size. */
export interface ReplayInternals {
  beforeCommit?(pending: number, replayedSoFar: number): Promise<void> | void;
  /** Records per transaction at most: bounds what a crash rolls back. Default 500. */
  recordsPerTransaction?: number;
}

/**
 * Re-publishes dead-letter records to their original topic at most once per record, across runs
 * and crashes: each transaction writes the records and their ledger entries together, so a record
 * is either re-published and in the ledger, or neither (a crashed run's open transaction is
 * aborted when the next run's producer, with the same transactional id, starts).
 */
export class DeadLetterReplay {
  constructor(
    private readonly kafka: Kafka,
    private readonly internals: ReplayInternals = {},
  ) {}

  async run(options: ReplayDeadLettersOptions): Promise<ReplayResult> {
    const { topic, limit = Number.POSITIVE_INFINITY } = checkOptions(options);
    const ledgerTopic = options.ledgerTopic ?? `${topic}-replayed`;
    const admin = this.kafka.admin();
    // One transactional id per ledger: starting it fences a previous run (aborting its open transaction).
    const producer = this.kafka.producer({
      transactionalId: `kafka-consumer-replay:${ledgerTopic}`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    try {
      await admin.connect();
      await producer.connect();
      // kafkajs registers the transactional id with the first transaction: that fences a previous
      // run and aborts its open transaction, so the ledger read below sees its final state.
      await (await producer.transaction()).abort();
      await ensureLedger(admin, ledgerTopic);
      const replayed = await readLedger(this.kafka, admin, ledgerTopic);
      let count = 0;
      let alreadyReplayed = 0;
      let scanned = 0;
      await scanTopic(this.kafka, admin, topic, async (partition, messages) => {
        const batch: Array<{ record: DeadLetterRecord; message: KafkaMessage }> = [];
        for (const message of messages) {
          if (count + batch.length >= limit) break;
          scanned++;
          const record: DeadLetterRecord = { partition, ...message };
          if (!matchesReplayFilter(record, options)) continue;
          if (replayed.has(ledgerKey(partition, message.offset))) alreadyReplayed++;
          else batch.push({ record, message });
        }
        const size = this.internals.recordsPerTransaction ?? 500;
        for (let i = 0; i < batch.length; i += size) {
          const chunk = batch.slice(i, i + size);
          await this.publish(producer, topic, ledgerTopic, chunk, count);
          for (const { record } of chunk) replayed.add(ledgerKey(record.partition, record.offset));
          count += chunk.length;
        }
        return count >= limit;
      });
      return { replayed: count, alreadyReplayed, scanned };
    } finally {
      await producer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
  }

  private async publish(
    producer: Producer,
    deadLetterTopic: string,
    ledgerTopic: string,
    chunk: Array<{ record: DeadLetterRecord; message: KafkaMessage }>,
    replayedSoFar: number,
  ): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    const ledger: Message[] = [];
    for (const { record, message } of chunk) {
      const target = replayTarget(record)!;
      const messages = byTopic.get(target.topic) ?? [];
      messages.push({
        key: message.key,
        value: message.value,
        headers: replayHeaders(deadLetterTopic, record),
        ...(target.partition !== undefined && { partition: target.partition }),
      });
      byTopic.set(target.topic, messages);
      ledger.push({
        key: ledgerKey(record.partition, record.offset),
        value: JSON.stringify({ topic: target.topic, replayedAt: new Date().toISOString() }),
      });
    }
    const topicMessages: TopicMessages[] = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
    topicMessages.push({ topic: ledgerTopic, messages: ledger });
    const transaction = await producer.transaction();
    try {
      await transaction.sendBatch({ topicMessages, acks: -1 });
      await this.internals.beforeCommit?.(chunk.length, replayedSoFar);
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      throw error;
    }
  }
}

async function ensureLedger(admin: Admin, ledgerTopic: string): Promise<void> {
  if ((await admin.listTopics()).includes(ledgerTopic)) return;
  await admin
    .createTopics({
      topics: [{ topic: ledgerTopic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
      waitForLeaders: true,
    })
    .catch((error: { type?: string }) => {
      // Another run created it meanwhile.
      if (error.type !== 'TOPIC_ALREADY_EXISTS') throw error;
    });
}

async function readLedger(kafka: Kafka, admin: Admin, ledgerTopic: string): Promise<Set<string>> {
  const keys = new Set<string>();
  await scanTopic(kafka, admin, ledgerTopic, async (_partition, messages) => {
    for (const message of messages) if (message.key) keys.add(message.key.toString('utf8'));
    return false;
  });
  return keys;
}

function fail(what: string, value: unknown, allowed: string): never {
  throw new ConsumerControlError(
    'invalid-argument',
    invalidControlArgument(`replayDeadLetters ${what}`, value, allowed),
  );
}

function checkOptions(options: ReplayDeadLettersOptions): ReplayDeadLettersOptions {
  if (typeof options?.topic !== 'string' || options.topic === '')
    fail('topic', options?.topic, 'a dead-letter topic name');
  const { limit, originalPartitions, originalOffsets } = options;
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0))
    fail('limit', limit, 'a non-negative integer');
  if (originalPartitions !== undefined && !originalPartitions.every((p) => Number.isSafeInteger(p) && p >= 0)) {
    fail('originalPartitions', originalPartitions, 'an array of partition numbers');
  }
  for (const end of ['from', 'to'] as const) {
    const value = originalOffsets?.[end];
    if (value !== undefined && !/^\d+$/.test(String(value))) fail(`originalOffsets.${end}`, value, 'an offset');
  }
  return options;
}

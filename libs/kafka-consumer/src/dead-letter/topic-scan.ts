import { randomUUID } from 'node:crypto';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';

/** Receives one fetched batch; resolves true to stop the scan. */
export type ScanBatchHandler = (partition: number, messages: KafkaMessage[]) => Promise<boolean>;

/**
 * Reads every partition of `topic` from its start up to the log end offsets seen when the scan
 * starts (records written later are left alone), in a throwaway consumer group that commits
 * nothing, with read_committed isolation: records of aborted or still open transactions are never
 * seen. Progress comes from kafkajs' batch events, which also cover batches of only transaction
 * markers, so a transactional topic's last marker does not leave the scan waiting.
 */
export async function scanTopic(kafka: Kafka, admin: Admin, topic: string, onBatch: ScanBatchHandler): Promise<void> {
  const ends = new Map<number, bigint>();
  for (const { partition, low, high } of await admin.fetchTopicOffsets(topic)) {
    if (BigInt(high) > BigInt(low)) ends.set(partition, BigInt(high));
  }
  if (ends.size === 0) return;
  const remaining = new Set(ends.keys());
  const consumer = kafka.consumer({
    groupId: `kafka-consumer-scan-${randomUUID()}`,
    maxWaitTimeInMs: 100,
    readUncommitted: false,
    retry: { retries: 3 },
  });
  let finish!: (error?: unknown) => void;
  const finished = new Promise<void>((resolve, reject) => {
    finish = (error) => (error === undefined ? resolve() : reject(error));
  });
  let stopped = false;
  const stop = (error?: unknown) => {
    if (stopped) return;
    stopped = true;
    finish(error);
  };
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const end = ends.get(payload.partition);
    if (payload.topic !== topic || end === undefined) return;
    if (BigInt(payload.lastOffset) >= end - 1n) remaining.delete(payload.partition);
    if (remaining.size === 0) stop();
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => stop(payload.error));
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (stopped) return;
        const end = ends.get(batch.partition) ?? 0n;
        const messages = batch.messages.filter((message) => BigInt(message.offset) < end);
        try {
          if (messages.length > 0 && (await onBatch(batch.partition, messages))) stop();
        } catch (error) {
          stop(error);
        }
      },
    });
    await finished;
  } finally {
    stopped = true;
    await consumer.disconnect().catch(() => undefined);
  }
}

// Baseline: plain kafkajs eachBatch, partitions consumed concurrently, one commit per batch.
import { Kafka, logLevel } from 'kafkajs';
import { LatencyRecorder, type LatencyRecord } from './recorder.js';

const recorder = new LatencyRecorder();
const { env } = recorder;
const consumer = new Kafka({ clientId: 'bench', brokers: env.brokers, logLevel: logLevel.ERROR }).consumer({
  groupId: env.groupId,
  maxWaitTimeInMs: 500,
});
await consumer.connect();
await consumer.subscribe({ topics: [env.topic], fromBeginning: true });
await consumer.run({
  autoCommit: false,
  partitionsConsumedConcurrently: 6,
  eachBatch: async ({ batch, resolveOffset }) => {
    for (const message of batch.messages) {
      recorder.record(JSON.parse(message.value!.toString('utf8')) as LatencyRecord);
    }
    resolveOffset(batch.lastOffset());
    await consumer.commitOffsets([
      { topic: batch.topic, partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) },
    ]);
  },
});
await recorder.done;
await consumer.disconnect();
recorder.report('kafkajs eachBatch (commit per batch)');

// Baseline: plain kafkajs eachBatch, the partitions processed concurrently as ours are, one commit per batch.
import { Kafka, logLevel } from 'kafkajs';
import { benchEnv, Meter, slowWork } from '../scenarios/common.js';

const env = benchEnv();
const meter = new Meter(env.count);
const consumer = new Kafka({ clientId: 'bench', brokers: env.brokers, logLevel: logLevel.ERROR }).consumer({
  groupId: env.groupId,
  maxWaitTimeInMs: 500,
});
await consumer.connect();
await consumer.subscribe({ topics: [env.topic], fromBeginning: true });
await consumer.run({
  autoCommit: false,
  partitionsConsumedConcurrently: 6,
  eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) return;
      await slowWork(message.value, env.handlerMs);
      resolveOffset(message.offset);
      meter.record();
      await heartbeat();
    }
    await consumer.commitOffsets([
      { topic: batch.topic, partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) },
    ]);
  },
});
const ms = await meter.done;
await meter.measureRetained();
await consumer.disconnect();
meter.report('kafkajs eachBatch (6 partitions at once)', ms);

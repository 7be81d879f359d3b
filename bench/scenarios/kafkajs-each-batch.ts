// Upper bound: plain kafkajs eachBatch, one commit per batch, no framework at all.
import { Kafka, logLevel } from 'kafkajs';
import { benchEnv, Meter, work } from './common.js';

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
  eachBatch: async ({ batch, resolveOffset }) => {
    for (const message of batch.messages) {
      work(message.value);
      meter.record();
    }
    resolveOffset(batch.lastOffset());
    await consumer.commitOffsets([
      { topic: batch.topic, partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) },
    ]);
  },
});
const ms = await meter.done;
await consumer.disconnect();
meter.report('kafkajs eachBatch (commit per batch)', ms);

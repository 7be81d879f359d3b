// Baseline: plain kafkajs, eachMessage with its default autocommit (what most hand-written consumers do).
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
  eachMessage: async ({ message }) => {
    work(message.value);
    meter.record();
  },
});
const ms = await meter.done;
await consumer.disconnect();
meter.report('kafkajs eachMessage (autocommit)', ms);

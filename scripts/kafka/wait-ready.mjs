// Polls the Kafka admin API (describeCluster) until the cluster answers with the expected
// number of brokers and a controller, or the deadline passes. Exit 0 when ready, 1 otherwise.
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';

const { values } = parseArgs({
  options: {
    brokers: { type: 'string' },
    expect: { type: 'string', default: '1' },
    timeout: { type: 'string', default: '60' },
    quiet: { type: 'boolean', default: false },
  },
});
const brokers = (values.brokers ?? '').split(',').filter(Boolean);
const expected = Number(values.expect);
const deadline = Date.now() + Number(values.timeout) * 1000;

const kafka = new kafkajs.Kafka({
  clientId: 'kafka-wait-ready',
  brokers,
  logLevel: kafkajs.logLevel.NOTHING,
  connectionTimeout: 1000,
  requestTimeout: 2000,
  retry: { retries: 0 },
});

let lastError = 'no answer';
while (Date.now() < deadline) {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length >= expected && cluster.controller !== null && cluster.controller !== -1) {
      // A created topic proves the controller quorum accepts writes, not just that metadata answers.
      await admin.listTopics();
      await admin.disconnect();
      process.exit(0);
    }
    lastError = `${cluster.brokers.length}/${expected} brokers registered`;
  } catch (error) {
    lastError = error instanceof Error ? error.message : String(error);
  }
  await admin.disconnect().catch(() => {});
  await new Promise((resolve) => setTimeout(resolve, 250));
}
if (!values.quiet) console.error(`[kafka] not ready: ${lastError}`);
process.exit(1);

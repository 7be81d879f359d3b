import { Kafka, logLevel } from 'kafkajs';

/**
 * A broker that has just started answers describeCluster and listTopics before it serves every
 * request: the first topic created can refuse a produce for a moment (UNKNOWN_TOPIC_OR_PARTITION),
 * and the first group waits for `__consumer_offsets`. Creates a topic, writes to it and looks up
 * a group's offsets, each retried until it works (at most `timeoutMs`), so the first test of a run
 * meets a broker as settled as the rest do.
 */
export async function warmUpBroker(brokers: string[], timeoutMs = 60_000): Promise<void> {
  const kafka = new Kafka({ clientId: 'test-warmup', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const topic = `warmup-${process.pid}-${Date.now()}`;
  const deadline = Date.now() + timeoutMs;
  const retry = async (what: string, step: () => Promise<unknown>) => {
    for (;;) {
      try {
        await step();
        return;
      } catch (error) {
        if (Date.now() > deadline)
          throw new Error(`broker warm-up: ${what} still fails after ${timeoutMs} ms`, { cause: error });
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  };
  try {
    await retry('connect', () => admin.connect());
    await retry('create a topic', () => admin.createTopics({ topics: [{ topic }], waitForLeaders: true }));
    await retry('connect a producer', () => producer.connect());
    await retry('produce', () => producer.send({ topic, acks: -1, messages: [{ value: 'warm-up' }] }));
    await retry('look up a group (creates __consumer_offsets)', () =>
      admin.fetchOffsets({ groupId: `${topic}-group`, topics: [topic] }),
    );
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

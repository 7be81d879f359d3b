import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Admin, type ITopicConfig, type Message, type Producer } from 'kafkajs';

/** Brokers under test: KAFKA_BROKERS, else the project's local broker. */
export function brokers(): string[] {
  return (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').filter(Boolean);
}

/** A topic or group name no other test uses. */
export function unique(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export function kafkaClient(clientId = 'test-support'): Kafka {
  return new Kafka({ clientId, brokers: brokers(), logLevel: logLevel.NOTHING });
}

/** Admin + producer for a test; `close()` in afterEach/afterAll. */
export class KafkaTestKit {
  readonly kafka = kafkaClient();
  private admin?: Admin;
  private producer?: Producer;

  async getAdmin(): Promise<Admin> {
    if (!this.admin) {
      this.admin = this.kafka.admin();
      await this.admin.connect();
    }
    return this.admin;
  }

  async createTopic(topic: string, numPartitions = 1): Promise<string> {
    await createTopics(await this.getAdmin(), [{ topic, numPartitions }]);
    return topic;
  }

  async produce(topic: string, messages: Message[]): Promise<void> {
    if (!this.producer) {
      this.producer = this.kafka.producer({
        createPartitioner: Partitioners.DefaultPartitioner,
        allowAutoTopicCreation: false,
      });
      await this.producer.connect();
    }
    await this.producer.send({ topic, messages, acks: -1 });
  }

  /** Committed offset of each partition of `topic` in `groupId` ('-1' when none). */
  async committed(groupId: string, topic: string): Promise<Record<number, string>> {
    const admin = await this.getAdmin();
    const [result] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Object.fromEntries((result?.partitions ?? []).map((p) => [p.partition, p.offset]));
  }

  /** Disconnects; the kit can be used again afterwards (it reconnects lazily). */
  async close(): Promise<void> {
    const { producer, admin } = this;
    this.producer = undefined;
    this.admin = undefined;
    await producer?.disconnect().catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
  }
}

/** Polls `condition` until it returns a truthy value or `timeoutMs` passes (then throws with `what`). */
/**
 * `admin.createTopics` with `waitForLeaders`, made safe on a loaded broker: one can answer the
 * create before its metadata knows the topic, and kafkajs' wait for leaders then throws
 * UNKNOWN_TOPIC_OR_PARTITION instead of asking again. This asks again until every partition has a leader.
 */
export async function createTopics(admin: Admin, topics: ITopicConfig[]): Promise<void> {
  try {
    await admin.createTopics({ topics, waitForLeaders: true });
  } catch (error) {
    if ((error as { type?: string }).type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw error;
    await waitFor(`the leaders of ${topics.map((t) => t.topic).join(', ')}`, async () => {
      const metadata = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) });
      return topics.every((wanted) => {
        const found = metadata.topics.find((t) => t.name === wanted.topic);
        return (
          found !== undefined &&
          (wanted.numPartitions === undefined
            ? found.partitions.length > 0
            : found.partitions.length === wanted.numPartitions) &&
          found.partitions.every((p) => p.leader >= 0)
        );
      });
    });
  }
}

export async function waitFor<T>(
  what: string,
  condition: () => T | Promise<T>,
  timeoutMs = 30_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

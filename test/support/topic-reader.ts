import type { Consumer, IHeaders, Kafka } from 'kafkajs';
import { kafkaClient, unique } from './kafka.js';

/** A record as read back from a topic, with headers decoded to strings. */
export interface ReadRecord {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

function decode(headers: IHeaders | undefined): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) decoded[name] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  }
  return decoded;
}

/** Reads every record of some topics from the beginning, in a throwaway group; `close()` in afterEach. */
export class TopicReader {
  readonly records: ReadRecord[] = [];
  private consumer: Consumer | null = null;

  /** `kafka`: another cluster than the tests' broker (a private one). */
  constructor(private readonly kafka: Kafka = kafkaClient('topic-reader')) {}

  async start(topics: string[]): Promise<this> {
    this.consumer = this.kafka.consumer({ groupId: unique('reader'), maxWaitTimeInMs: 200 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        this.records.push({
          topic,
          partition,
          offset: message.offset,
          timestamp: message.timestamp,
          key: message.key?.toString('utf8') ?? null,
          value: message.value,
          headers: decode(message.headers),
        });
      },
    });
    return this;
  }

  of(topic: string): ReadRecord[] {
    return this.records.filter((r) => r.topic === topic);
  }

  async close(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = null;
  }
}

import type { Admin, Kafka } from 'kafkajs';

/**
 * Where a partition with nothing in its external offset store starts: the group's
 * Kafka-committed offset when there is one (a group moving to an external store), else the log
 * start or end, as its handler's `fromBeginning` says. The claim stores this offset at once, so a
 * member that leaves before processing a record does not let the next owner start at a later log
 * end (review L6).
 */
export class StartOffsetResolver {
  private admin: Promise<Admin> | null = null;

  constructor(
    private readonly kafka: Kafka,
    private readonly groupId: string,
    private readonly fromBeginning: (topic: string) => boolean,
  ) {}

  async resolve(topic: string, partition: number): Promise<string> {
    const admin = await this.connected();
    const [committed] = await admin.fetchOffsets({ groupId: this.groupId, topics: [topic] });
    const kafkaOffset = committed?.partitions.find((p) => p.partition === partition)?.offset;
    if (kafkaOffset !== undefined && Number(kafkaOffset) >= 0) return kafkaOffset;
    const log = (await admin.fetchTopicOffsets(topic)).find((p) => p.partition === partition);
    if (!log) throw new Error(`topic "${topic}" has no partition ${partition}`);
    return this.fromBeginning(topic) ? log.low : log.high;
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = null;
    if (admin) await (await admin.catch(() => null))?.disconnect().catch(() => undefined);
  }

  private connected(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      this.admin = admin.connect().then(() => admin);
      // A failed connect is retried by the next call.
      this.admin.catch(() => (this.admin = null));
    }
    return this.admin;
  }
}

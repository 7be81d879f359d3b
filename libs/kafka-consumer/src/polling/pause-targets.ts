import type { TopicPartition } from '../offset-stores/offset-store.js';
import { partitionKey } from './polling-assignment.js';

/** What `pause()` / `resume()` take: a whole topic, or one partition. */
export type PauseTarget = string | TopicPartition;

/** Topics and partitions paused by the user; kept across rebalances. */
export class PauseTargets {
  private readonly topics = new Set<string>();
  private readonly partitions = new Set<string>();

  pause(targets: readonly PauseTarget[]): void {
    for (const target of targets) {
      if (typeof target === 'string') this.topics.add(target);
      else this.partitions.add(partitionKey(target.topic, target.partition));
    }
  }

  /** Resumes `targets`; resuming one partition of a paused topic keeps its other `assigned` partitions paused. */
  resume(targets: readonly PauseTarget[], assigned: readonly TopicPartition[]): void {
    for (const target of targets) {
      if (typeof target === 'string') {
        this.topics.delete(target);
        for (const key of this.partitions) if (key.startsWith(`${target}:`)) this.partitions.delete(key);
        continue;
      }
      const key = partitionKey(target.topic, target.partition);
      this.partitions.delete(key);
      if (!this.topics.delete(target.topic)) continue;
      for (const other of assigned) {
        const otherKey = partitionKey(other.topic, other.partition);
        if (other.topic === target.topic && otherKey !== key) this.partitions.add(otherKey);
      }
    }
  }

  has(topic: string, partition: number): boolean {
    return this.topics.has(topic) || this.partitions.has(partitionKey(topic, partition));
  }
}

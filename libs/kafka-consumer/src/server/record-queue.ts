import type { KafkaMessage } from 'kafkajs';
import type { BufferBudget } from './buffer-budget.js';
import { detachRecord, recordBytes } from './record-size.js';

/**
 * The fetched records of one partition waiting for their handler, in offset order. Each queued
 * record is a copy detached from its fetch response and takes room in the group's buffer budget;
 * it is released (slot emptied, room given back) as soon as it is processed, so nothing keeps a
 * processed record, or the response it came in, alive (M1). Pure logic: no I/O.
 */
export class RecordQueue {
  /** Records from `head` on; earlier slots are processed and emptied. */
  private records: Array<KafkaMessage | undefined> = [];
  private head = 0;
  private bytes = 0;

  constructor(private readonly budget: BufferBudget) {}

  /** Records queued. */
  get length(): number {
    return this.records.length - this.head;
  }

  /** Bytes of the queued records (key, value, headers). */
  get queuedBytes(): number {
    return this.bytes;
  }

  /** Records still referenced (should equal `length`: processed ones are released at once). */
  get retained(): number {
    let count = 0;
    for (const message of this.records) if (message !== undefined) count++;
    return count;
  }

  /** The first queued record. */
  peek(): KafkaMessage | undefined {
    return this.records[this.head];
  }

  /** Up to `count` queued records from the first one (a batch handler's next batch). */
  peekMany(count: number): KafkaMessage[] {
    return this.records.slice(this.head, this.head + count) as KafkaMessage[];
  }

  /** Queues a detached copy of `message` if the group's budget has room for it; false when not. */
  tryPush(message: KafkaMessage): boolean {
    const size = recordBytes(message);
    if (!this.budget.reserve(size)) return false;
    this.records.push(detachRecord(message));
    this.bytes += size;
    return true;
  }

  /** Releases the first record (it was processed). */
  shift(): void {
    const message = this.records[this.head];
    if (!message) return;
    this.records[this.head] = undefined;
    this.head++;
    const size = recordBytes(message);
    this.bytes -= size;
    this.budget.release(size);
    if (this.head === this.records.length) {
      this.records = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 > this.records.length) {
      this.records = this.records.slice(this.head);
      this.head = 0;
    }
  }

  /** Releases every queued record. */
  clear(): void {
    for (let i = this.head; i < this.records.length; i++) this.budget.release(recordBytes(this.records[i]!));
    this.records = [];
    this.head = 0;
    this.bytes = 0;
  }
}

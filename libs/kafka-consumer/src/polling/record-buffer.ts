import type { OwnedPartition } from './polling-assignment.js';
import type { PolledRecord } from './polled-record.js';

interface BufferedRecord {
  readonly record: PolledRecord;
  readonly owner: OwnedPartition;
}

/**
 * Fetched records waiting for `poll()`, in fetch order, each tied to the partition acquisition it
 * was fetched under. `full` turns on at `max` records and off again at half of it, so fetching
 * is not paused and resumed for every record.
 */
export class RecordBuffer {
  private entries: BufferedRecord[] = [];
  full = false;

  constructor(private readonly max: number) {}

  get size(): number {
    return this.entries.length;
  }

  push(record: PolledRecord, owner: OwnedPartition): void {
    this.entries.push({ record, owner });
  }

  /**
   * Takes a fetched batch of `owner`'s partition (all of it: it is in memory already, so the
   * buffer may pass its bound by one fetch) until `stop()`, skipping offsets already taken
   * (kafkajs fetches a kept partition again from its committed offset after a join). Returns the
   * last offset looked at, for kafkajs' `resolveOffset`.
   */
  addBatch<M extends { offset: string }>(
    owner: OwnedPartition,
    messages: readonly M[],
    stop: () => boolean,
    toRecord: (message: M) => PolledRecord,
  ): string | undefined {
    let last: string | undefined;
    for (const message of messages) {
      if (stop()) break;
      last = message.offset;
      const offset = Number(message.offset);
      if (offset <= owner.fetchedUpTo) continue;
      owner.fetchedUpTo = offset;
      owner.firstTaken ??= offset;
      this.push(toRecord(message), owner);
    }
    return last;
  }

  /** Updates `full` after records were added; true when it just turned on. */
  becameFull(): boolean {
    if (this.full || this.entries.length < this.max) return false;
    this.full = true;
    return true;
  }

  /**
   * Removes and returns up to `maxMessages` records whose acquisition is still current (others
   * are dropped), advancing each partition's position. `drained` is true when `full` turned off.
   */
  take(
    maxMessages: number,
    isCurrent: (owner: OwnedPartition) => boolean,
  ): { records: PolledRecord[]; drained: boolean } {
    const records: PolledRecord[] = [];
    const rest: BufferedRecord[] = [];
    for (const entry of this.entries) {
      if (!isCurrent(entry.owner)) continue;
      if (records.length >= maxMessages) {
        rest.push(entry);
        continue;
      }
      records.push(entry.record);
      const next = Number(entry.record.offset) + 1;
      if ((entry.owner.position ?? -1) < next) entry.owner.position = next;
    }
    this.entries = rest;
    return { records, drained: this.drain() };
  }

  /** Keeps only records whose acquisition is still current; true when `full` turned off. */
  retainCurrent(isCurrent: (owner: OwnedPartition) => boolean): boolean {
    this.entries = this.entries.filter((entry) => isCurrent(entry.owner));
    return this.drain();
  }

  /** Drops the records of one acquisition; returns the offset of the first dropped, if any. */
  dropPartition(owner: OwnedPartition): number | undefined {
    let first: number | undefined;
    this.entries = this.entries.filter((entry) => {
      if (entry.owner !== owner) return true;
      first ??= Number(entry.record.offset);
      return false;
    });
    this.drain();
    return first;
  }

  clear(): void {
    this.entries = [];
    this.full = false;
  }

  private drain(): boolean {
    if (!this.full || this.entries.length > this.max / 2) return false;
    this.full = false;
    return true;
  }
}

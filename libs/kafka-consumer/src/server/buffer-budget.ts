/**
 * The group-wide budget of fetched records buffered in partition queues, in bytes (key, value and
 * headers). A partition takes room before it queues a record and gives it back once the record is
 * processed or dropped; a partition refused room pauses its fetching until the buffer is at most
 * half full again. Peaks are kept for tests and diagnostics. Pure logic: no I/O.
 */
export class BufferBudget {
  private usedBytes = 0;
  private usedRecords = 0;
  private maxSeenBytes = 0;
  private maxSeenRecords = 0;
  /** Partitions refused room, called back (once) when the buffer is at most half full. */
  private readonly waiting = new Set<() => void>();

  constructor(readonly maxBytes: number) {}

  /** Bytes of the records buffered now. */
  get bytes(): number {
    return this.usedBytes;
  }

  /** Records buffered now. */
  get records(): number {
    return this.usedRecords;
  }

  /** Highest `bytes` seen. */
  get peakBytes(): number {
    return this.maxSeenBytes;
  }

  /** Highest `records` seen. */
  get peakRecords(): number {
    return this.maxSeenRecords;
  }

  /**
   * Takes room for one record of `size` bytes; false when it does not fit. A record larger than
   * the whole budget is taken when nothing else is buffered, so it cannot block its partition.
   */
  reserve(size: number): boolean {
    if (this.usedBytes + size > this.maxBytes && this.usedRecords > 0) return false;
    this.usedBytes += size;
    this.usedRecords++;
    if (this.usedBytes > this.maxSeenBytes) this.maxSeenBytes = this.usedBytes;
    if (this.usedRecords > this.maxSeenRecords) this.maxSeenRecords = this.usedRecords;
    return true;
  }

  /** Gives back the room of one record taken with `reserve`. */
  release(size: number): void {
    this.usedBytes -= size;
    this.usedRecords--;
    if (this.waiting.size > 0 && this.usedBytes <= this.maxBytes / 2) {
      const callbacks = [...this.waiting];
      this.waiting.clear();
      for (const callback of callbacks) callback();
    }
  }

  /** Calls `onRoom` once the buffer is at most half full (at once when it already is). */
  whenRoom(onRoom: () => void): void {
    if (this.usedBytes <= this.maxBytes / 2) onRoom();
    else this.waiting.add(onRoom);
  }

  /** Cancels a `whenRoom` callback (the partition was revoked or stopped). */
  cancel(onRoom: () => void): void {
    this.waiting.delete(onRoom);
  }
}

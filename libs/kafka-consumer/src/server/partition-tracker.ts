/**
 * Per-partition offset bookkeeping: which fetched offsets are in flight and which are done, and
 * the offset that may be committed (highest contiguous done offset + 1).
 *
 * Offsets are registered in increasing order (the order Kafka returns them), possibly with gaps
 * (compaction, transaction markers). Completions may arrive in any order. Pure logic: no I/O.
 */
export type CommitMode = 'auto' | 'manual';

interface Entry {
  readonly offset: number;
  /** The handler finished with this message (success or settled by a dead-letter write). */
  finished: boolean;
  /** Counted by the committable offset. */
  done: boolean;
}

export class PartitionTracker {
  private readonly entries = new Map<number, Entry>();
  /** Entries in offset order; `head` indexes the oldest not yet settled. */
  private order: Entry[] = [];
  private head = 0;
  private highestRegistered = -1;
  /** Registered entries not yet done; entries done out of order sit past `head` but are not pending. */
  private notDone = 0;
  /** Next offset after the contiguous done prefix; null until something is done. */
  private doneUpTo: number | null = null;
  /** Manual mode: highest offset covered by an explicit commit. */
  private ackedUpTo = -1;
  private committed: number | null = null;

  constructor(readonly mode: CommitMode = 'auto') {}

  /**
   * Registers a fetched offset. Returns false (and changes nothing) for an offset at or below
   * one already registered: a re-fetch of something this member already holds.
   */
  register(offset: number): boolean {
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new RangeError(`offset must be a non-negative safe integer, got ${offset}`);
    }
    if (offset <= this.highestRegistered) return false;
    const entry: Entry = { offset, finished: false, done: false };
    this.entries.set(offset, entry);
    this.order.push(entry);
    this.highestRegistered = offset;
    this.notDone++;
    return true;
  }

  /**
   * Offsets after the highest registered one up to `offset` hold no record to process (the
   * commit markers of a transactional topic, aborted records): once everything registered before
   * them is done, the committable offset moves past them. Ignored at or below the highest
   * registered offset.
   */
  skipThrough(offset: number): void {
    if (!Number.isSafeInteger(offset) || offset <= this.highestRegistered) return;
    const entry: Entry = { offset, finished: true, done: true };
    this.order.push(entry);
    this.highestRegistered = offset;
    this.advance();
  }

  /** The handler finished with `offset`. In auto mode that makes it committable. */
  finish(offset: number): void {
    const entry = this.entries.get(offset);
    if (!entry) return;
    entry.finished = true;
    if (this.mode === 'auto' || offset <= this.ackedUpTo) this.markDone(entry);
    this.advance();
  }

  /**
   * Manual commit of `offset`: it and every earlier finished offset become committable; an
   * earlier unfinished offset still holds the committable offset back.
   */
  acknowledge(offset: number): void {
    if (offset > this.ackedUpTo) this.ackedUpTo = Math.min(offset, this.highestRegistered);
    const own = this.entries.get(offset);
    if (own) this.markDone(own);
    for (let i = this.head; i < this.order.length; i++) {
      const entry = this.order[i];
      if (entry.offset > offset) break;
      if (entry.finished) this.markDone(entry);
    }
    this.advance();
  }

  /**
   * Manual mode: `offset` was settled without a commit of its own (dead-lettered, forwarded to a
   * retry topic, passed over): it no longer holds the committable offset back. Unlike
   * `acknowledge`, earlier records are not covered: they wait for their own `ctx.commit()`.
   */
  markSettled(offset: number): void {
    const entry = this.entries.get(offset);
    if (!entry) return;
    entry.finished = true;
    this.markDone(entry);
    this.advance();
  }

  /** Offset to commit (next one to read), or null when nothing new is committable. */
  committableOffset(): number | null {
    if (this.doneUpTo === null) return null;
    if (this.committed !== null && this.doneUpTo <= this.committed) return null;
    return this.doneUpTo;
  }

  /** Records that `offset` was stored, so it is not offered again. */
  markCommitted(offset: number): void {
    if (this.committed === null || offset > this.committed) this.committed = offset;
  }

  /** The stored offset is unknown again (a new group generation): the committable offset is offered again. */
  forgetCommitted(): void {
    this.committed = null;
  }

  /** Last committed offset recorded through `markCommitted`. */
  get lastCommitted(): number | null {
    return this.committed;
  }

  /** Offsets registered and not yet done. */
  get pendingCount(): number {
    return this.notDone;
  }

  /**
   * Registered offsets from the first one not done on: what is not committable yet, including
   * records done out of order behind an unfinished one.
   */
  get uncommittedCount(): number {
    return this.order.length - this.head;
  }

  /** Highest registered offset, -1 when none. */
  get highestOffset(): number {
    return this.highestRegistered;
  }

  /** Lowest offset not yet done, or null when everything registered is done. */
  get firstPendingOffset(): number | null {
    return this.head < this.order.length ? this.order[this.head].offset : null;
  }

  private markDone(entry: Entry): void {
    if (entry.done) return;
    entry.done = true;
    this.notDone--;
  }

  private advance(): void {
    while (this.head < this.order.length && this.order[this.head].done) {
      const entry = this.order[this.head];
      this.entries.delete(entry.offset);
      this.doneUpTo = entry.offset + 1;
      this.head++;
    }
    // Compact the settled prefix so memory stays bounded by the in-flight window.
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }
}

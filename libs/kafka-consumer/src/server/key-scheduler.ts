/**
 * Which record of a partition may start next when a handler runs records concurrently. Records
 * are grouped in lanes; a lane runs one record at a time, in the order its records were pushed
 * (offset order), and a failed record blocks only its own lane until it is unblocked.
 *
 * - `partition`: one lane, so the partition runs strictly in order.
 * - `key`: one lane per record key; records without a key share one lane (in offset order).
 * - `unordered`: every record is its own lane.
 *
 * Lanes become runnable in the order their head record arrived, so earlier offsets start first and
 * the committable offset keeps moving. Pure logic: no I/O, no Nest, no kafkajs.
 */
export type ConcurrencyMode = 'partition' | 'key' | 'unordered';

/** A record handed out by `take()`; give it back with `complete()` or `fail()`. */
export interface Ticket<T> {
  readonly item: T;
  readonly lane: Lane<T>;
}

interface Lane<T> {
  readonly key: string | null | number;
  readonly items: T[];
  running: boolean;
  blocked: boolean;
  /** In the runnable queue already. */
  queued: boolean;
}

export class KeyScheduler<T> {
  private readonly lanes = new Map<string | null | number, Lane<T>>();
  /** Lanes whose head may start, in the order they became runnable. */
  private runnable: Array<Lane<T>> = [];
  private runnableHead = 0;
  private count = 0;
  private runningCount = 0;
  private nextUnorderedKey = 0;

  constructor(
    readonly mode: ConcurrencyMode,
    private readonly keyOf: (item: T) => string | null,
  ) {}

  /** Records held: waiting and running. */
  get size(): number {
    return this.count;
  }

  /** Records handed out by `take()` and not yet given back. */
  get running(): number {
    return this.runningCount;
  }

  /** Adds a record behind the earlier records of its lane. */
  push(item: T): void {
    const key = this.mode === 'partition' ? '' : this.mode === 'key' ? this.keyOf(item) : this.nextUnorderedKey++;
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { key, items: [], running: false, blocked: false, queued: false };
      this.lanes.set(key, lane);
    }
    lane.items.push(item);
    this.count++;
    this.markRunnable(lane);
  }

  /** The next record that may start (its lane neither running nor blocked), or undefined. */
  take(): Ticket<T> | undefined {
    while (this.runnableHead < this.runnable.length) {
      const lane = this.runnable[this.runnableHead];
      this.runnable[this.runnableHead++] = undefined as unknown as Lane<T>;
      lane.queued = false;
      if (lane.running || lane.blocked || lane.items.length === 0 || this.lanes.get(lane.key) !== lane) continue;
      lane.running = true;
      this.runningCount++;
      this.compactRunnable();
      return { item: lane.items[0], lane };
    }
    this.runnable = [];
    this.runnableHead = 0;
    return undefined;
  }

  /** The record is done: the next record of its lane may start. */
  complete(ticket: Ticket<T>): void {
    const { lane } = ticket;
    if (!this.release(ticket)) return;
    lane.items.shift();
    this.count--;
    if (lane.items.length === 0) {
      if (this.lanes.get(lane.key) === lane) this.lanes.delete(lane.key);
      return;
    }
    this.markRunnable(lane);
  }

  /** The record failed: it stays first in its lane, which waits until `unblock()`. */
  fail(ticket: Ticket<T>): void {
    if (!this.release(ticket)) return;
    ticket.lane.blocked = true;
  }

  /** The failed record of this ticket's lane may be taken again. */
  unblock(ticket: Ticket<T>): void {
    const { lane } = ticket;
    if (!lane.blocked || this.lanes.get(lane.key) !== lane) return;
    lane.blocked = false;
    this.markRunnable(lane);
  }

  /** Drops every record not running; running ones are given back as usual (and then dropped). */
  clear(): T[] {
    const dropped: T[] = [];
    for (const lane of this.lanes.values()) {
      const keep = lane.running ? 1 : 0;
      dropped.push(...lane.items.splice(keep));
      if (!lane.running) this.lanes.delete(lane.key);
    }
    this.count -= dropped.length;
    this.runnable = [];
    this.runnableHead = 0;
    return dropped;
  }

  private release(ticket: Ticket<T>): boolean {
    const { lane } = ticket;
    if (!lane.running || lane.items[0] !== ticket.item) return false;
    lane.running = false;
    this.runningCount--;
    return true;
  }

  private markRunnable(lane: Lane<T>): void {
    if (lane.queued || lane.running || lane.blocked) return;
    lane.queued = true;
    this.runnable.push(lane);
  }

  private compactRunnable(): void {
    if (this.runnableHead > 1024 && this.runnableHead * 2 > this.runnable.length) {
      this.runnable = this.runnable.slice(this.runnableHead);
      this.runnableHead = 0;
    }
  }
}

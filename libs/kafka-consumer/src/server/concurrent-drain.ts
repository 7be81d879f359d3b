import type { KafkaMessage } from 'kafkajs';
import type { BufferBudget } from './buffer-budget.js';
import type { InFlightLimit } from './in-flight-limit.js';
import { KeyScheduler, type ConcurrencyMode, type Ticket } from './key-scheduler.js';
import { detachRecord, recordBytes } from './record-size.js';

/** What a concurrent drain needs from its partition worker. */
export interface ConcurrentDrainHooks {
  /** New records may start (not stopped, paused or held for a rebalance). */
  mayStart(): boolean;
  /** Epoch ms before which `message` must not start (retry topics); 0 for now. */
  dueAt(message: KafkaMessage): number;
  /** Runs one record; resolves true when it is settled. */
  dispatch(message: KafkaMessage): Promise<boolean>;
  /** The record is settled (processed, dead-lettered, forwarded or skipped). */
  settled(message: KafkaMessage): void;
  /** The record failed for the `failures`th time in a row; returns the wait before it runs again. */
  failed(message: KafkaMessage, failures: number, error: unknown): number;
}

/**
 * The queued records of one partition whose handler runs them concurrently (`concurrency.mode`
 * `'key'` or `'unordered'`): the `KeyScheduler` picks which may start, the handler's shared
 * `InFlightLimit` bounds how many run at once, and a failed record waits (its key blocked) before
 * it runs again. Queued records are detached copies holding room in the group's buffer budget
 * until they are settled or dropped.
 */
export class ConcurrentDrain {
  private readonly scheduler: KeyScheduler<KafkaMessage>;
  private bytes = 0;
  private readonly running = new Set<Promise<void>>();
  private readonly redeliveryTimers = new Set<NodeJS.Timeout>();
  /** A record that is not due yet (retry topics): nothing new starts before it. */
  private dueTimer: NodeJS.Timeout | null = null;
  private readonly failures = new Map<string, number>();
  private dropped = false;
  private readonly onFree = () => {
    const before = this.limit.inFlight;
    this.pump();
    // Took no slot (held, paused, stopped or nothing runnable): the next waiting partition may.
    if (this.limit.inFlight <= before) this.limit.wakeNext();
  };

  constructor(
    mode: ConcurrencyMode,
    private readonly limit: InFlightLimit,
    private readonly budget: BufferBudget,
    private readonly hooks: ConcurrentDrainHooks,
  ) {
    this.scheduler = new KeyScheduler<KafkaMessage>(mode, (message) => keyOf(message.key));
  }

  /** Records queued, running ones included. */
  get length(): number {
    return this.scheduler.size;
  }

  /** Bytes of the queued records. */
  get queuedBytes(): number {
    return this.bytes;
  }

  /** Records of this partition running now. */
  get inFlight(): number {
    return this.running.size;
  }

  /** Queues a detached copy of `message` if the group's budget has room for it; false when not. */
  tryPush(message: KafkaMessage): boolean {
    const size = recordBytes(message);
    if (!this.budget.reserve(size)) return false;
    this.scheduler.push(detachRecord(message));
    this.bytes += size;
    return true;
  }

  /** Starts records while their keys, the handler's in-flight limit and the worker allow. */
  pump(): void {
    if (this.dueTimer || this.dropped) return;
    while (this.hooks.mayStart()) {
      if (!this.limit.tryAcquire()) {
        this.limit.whenFree(this.onFree);
        return;
      }
      const ticket = this.scheduler.take();
      if (!ticket) {
        this.limit.release();
        return;
      }
      // At most a minute at a time: the due time is read again.
      const waitMs = Math.min(this.hooks.dueAt(ticket.item) - Date.now(), 60_000);
      if (waitMs > 0) {
        this.scheduler.fail(ticket);
        this.limit.release();
        this.dueTimer = setTimeout(() => {
          this.dueTimer = null;
          this.scheduler.unblock(ticket);
          this.pump();
        }, waitMs);
        return;
      }
      this.start(ticket);
    }
  }

  /** Drops every queued record not running and cancels the waits; running records finish. */
  clear(): void {
    this.dropped = true;
    this.limit.cancel(this.onFree);
    for (const message of this.scheduler.clear()) this.releaseBytes(message);
    for (const timer of this.redeliveryTimers) clearTimeout(timer);
    this.redeliveryTimers.clear();
    if (this.dueTimer) clearTimeout(this.dueTimer);
    this.dueTimer = null;
  }

  /** Resolves when no record of this partition runs. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }

  private start(ticket: Ticket<KafkaMessage>): void {
    const run = this.hooks
      .dispatch(ticket.item)
      .then(
        (settled) => this.finish(ticket, settled, undefined),
        (error: unknown) => this.finish(ticket, false, error),
      )
      .finally(() => this.running.delete(run));
    this.running.add(run);
  }

  private finish(ticket: Ticket<KafkaMessage>, settled: boolean, error: unknown): void {
    const message = ticket.item;
    this.limit.release();
    if (settled || this.dropped) {
      this.scheduler.complete(ticket);
      this.releaseBytes(message);
      this.failures.delete(message.offset);
      if (settled) this.hooks.settled(message);
      this.pump();
      return;
    }
    const failures = (this.failures.get(message.offset) ?? 0) + 1;
    this.failures.set(message.offset, failures);
    this.scheduler.fail(ticket);
    const delayMs = this.hooks.failed(message, failures, error);
    const timer = setTimeout(() => {
      this.redeliveryTimers.delete(timer);
      this.scheduler.unblock(ticket);
      this.pump();
    }, delayMs);
    this.redeliveryTimers.add(timer);
    this.pump();
  }

  private releaseBytes(message: KafkaMessage): void {
    const size = recordBytes(message);
    this.bytes -= size;
    this.budget.release(size);
  }
}

/** The scheduling key of a record: its key bytes as text; null without a key (one key for all of them). */
function keyOf(key: KafkaMessage['key']): string | null {
  if (key === null || key === undefined) return null;
  return Buffer.isBuffer(key) ? key.toString('latin1') : String(key);
}

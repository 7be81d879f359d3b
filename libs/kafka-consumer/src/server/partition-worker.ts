import type { KafkaMessage } from 'kafkajs';
import type { CommitMode } from '../kafka-consumer.options.js';
import type { ResolvedBackoff } from '../util/backoff.js';
import { BufferBudget } from './buffer-budget.js';
import { FetchPause } from './fetch-pause.js';
import { PartitionDrain } from './partition-drain.js';
import { PartitionTracker } from './partition-tracker.js';
import type {
  PartitionState,
  PartitionWorkerHost,
  PartitionWorkerLimits,
  PauseSource,
} from './partition-worker.types.js';

export type { PartitionWorkerHost, PartitionWorkerLimits } from './partition-worker.types.js';

/**
 * Owns one assigned partition: its state in the group, the offset tracker, which records of a
 * fetched batch it takes, and its pauses (rebalance hold, user pause, fetch pause in
 * `fetch-pause.ts`). The taken records run in its `PartitionDrain` (`partition-drain.ts`).
 */
export class PartitionWorker {
  readonly tracker: PartitionTracker;
  state: PartitionState;
  /** Fencing token from the offset store's `load`. */
  epoch: number | undefined;
  /** Stored next offset the offset store's `load` returned (external stores). */
  claimedOffset: string | undefined;
  /** Why the last dispatch failed, for the redelivery log line. */
  lastError: unknown;

  private readonly drain: PartitionDrain;
  private readonly fetchPause: FetchPause;
  private readonly maxPendingRecords: number;
  /** A rebalance is in progress: nothing new is dispatched until the group's next join. */
  private held = false;
  private stopped = false;
  /** Aborts `ctx.signal`: on revoke, and at shutdown once shutdownTimeoutMs ran out (R5). */
  private readonly abort = new AbortController();
  /** Aborted on revoke and as soon as shutdown starts: the library's own retries and dead-lettering stop. */
  private readonly stopping = new AbortController();

  constructor(
    readonly topic: string,
    readonly partition: number,
    commitMode: CommitMode,
    private readonly host: PartitionWorkerHost,
    private readonly maxQueued: number,
    redelivery: ResolvedBackoff,
    ready: boolean,
    limits: PartitionWorkerLimits = {},
  ) {
    const buffer = limits.buffer ?? new BufferBudget(Number.POSITIVE_INFINITY);
    this.maxPendingRecords = limits.maxPendingRecords ?? Number.POSITIVE_INFINITY;
    this.fetchPause = new FetchPause(this, buffer, maxQueued, this.maxPendingRecords, {
      setFetchPaused: (paused) => host.setFetchPaused(this, paused),
      onPendingLimit: () => host.onPendingLimit?.(this),
    });
    this.drain = new PartitionDrain(this, host, redelivery, buffer, limits, this.fetchPause, {
      mayRun: () => !this.stopped && !this.fetchPause.userPaused && !this.held,
      stopped: () => this.stopped,
    });
    this.tracker = new PartitionTracker(commitMode);
    this.state = ready ? 'ready' : 'loading';
  }

  /** `ctx.signal`: aborted on revoke, and at shutdown only once shutdownTimeoutMs ran out. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Aborted on revoke and as soon as shutdown starts. */
  get stopSignal(): AbortSignal {
    return this.stopping.signal;
  }

  get key(): string {
    return `${this.topic}:${this.partition}`;
  }

  get queued(): number {
    return this.drain.length;
  }

  /** Bytes of the queued records (key, value, headers). */
  get queuedBytes(): number {
    return this.drain.queuedBytes;
  }

  /** Fetched records this worker still references (queued, or processed and not yet released). */
  get retained(): number {
    return this.drain.retained;
  }

  /** True while a handler runs for this partition. */
  get busy(): boolean {
    return this.drain.busy;
  }

  /** Records of this partition whose handler runs now. */
  get inFlight(): number {
    return this.drain.inFlight;
  }

  /**
   * Adds a fetched batch, in order. The whole batch is taken while the queue is below `maxQueued`
   * (cutting it would make kafkajs fetch and decode the rest again and again), and fetching pauses
   * once the queue reaches `maxQueued`: a partition queues at most `maxQueued - 1` records plus one
   * fetched batch. The group's byte budget and `maxPendingRecords` do cut the batch; the rest is
   * fetched again. Records at or below an offset already held are skipped (a re-fetch after a
   * rebalance). `lastOffset`: the batch's last offset (kafkajs `batch.lastOffset()`); when every
   * record was taken, offsets after the last record up to it (commit markers) are covered too.
   * Returns the offset up to which the batch was taken (queued or skipped), null when none: the
   * fetch position goes on after it.
   */
  enqueue(messages: readonly KafkaMessage[], lastOffset?: string): string | null {
    if (this.state !== 'ready' || this.stopped) return null;
    // A batch fetched before the pause took effect: fetched again once the queue drained.
    if (this.queued >= this.maxQueued) {
      this.fetchPause.update();
      return null;
    }
    let takenUpTo: string | null = null;
    let accepted = 0;
    let whole = true;
    for (const message of messages) {
      if (Number(message.offset) <= this.tracker.highestOffset) {
        takenUpTo = message.offset;
        continue;
      }
      if (this.tracker.uncommittedCount >= this.maxPendingRecords) {
        whole = false;
        break;
      }
      if (!this.drain.tryPush(message)) {
        this.fetchPause.bufferRefused();
        whole = false;
        break;
      }
      this.tracker.register(Number(message.offset));
      takenUpTo = message.offset;
      accepted++;
    }
    if (accepted > 0) this.drain.markBatchEnd(takenUpTo!);
    if (whole && lastOffset !== undefined && Number(lastOffset) > this.tracker.highestOffset) {
      const before = this.tracker.committableOffset();
      this.tracker.skipThrough(Number(lastOffset));
      takenUpTo = lastOffset;
      // Nothing queued to finish: the markers alone moved the committable offset.
      if (accepted === 0 && this.tracker.committableOffset() !== before) this.host.onProgress(this, true);
    }
    this.fetchPause.update();
    if (accepted > 0) this.drain.onQueued();
    return takenUpTo;
  }

  /**
   * A fetched batch with nothing to process (only commit markers or aborted records, which kafkajs
   * does not hand to eachBatch) from `firstOffset` to `lastOffset`: covered once everything before is done.
   */
  skipFiltered(firstOffset: string, lastOffset: string): void {
    if (this.state !== 'ready' || this.stopped) return;
    // Only a batch right after what this worker holds: a gap would skip records never fetched.
    if (Number(firstOffset) > this.tracker.highestOffset + 1) return;
    this.enqueue([], lastOffset);
  }

  /**
   * The record at `offset` was dead-lettered, forwarded or passed over: with `commit: 'manual'` it
   * counts as acknowledged by itself (M2), so it does not hold commits back until a later ctx.commit().
   */
  markSettled(offset: number): void {
    if (this.tracker.mode !== 'manual' || this.state === 'revoked') return;
    this.tracker.markSettled(offset);
    this.fetchPause.update();
  }

  /** Manual commit (`ctx.commit()`) up to `offset`; fetching resumes if it waited for one. */
  acknowledge(offset: number): void {
    this.tracker.acknowledge(offset);
    this.fetchPause.update();
  }

  /**
   * Stops fetching and dispatching this partition until `resume()` by the same `source`
   * (`ctx.pause()`, or the registry's pause of its topic): it runs only when nobody pauses it.
   */
  pause(source: PauseSource = 'context'): void {
    this.fetchPause.pause(source);
  }

  resume(source: PauseSource = 'context'): void {
    if (this.fetchPause.resume(source)) this.drain.kick();
  }

  /**
   * The group is rebalancing: dispatch nothing new (the running record finishes), so a partition
   * that moves to another member is not processed further by this one, uncommittable.
   */
  hold(): void {
    this.held = true;
  }

  /** The rebalance is over and the partition stayed ours: go on dispatching. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    this.drain.kick();
  }

  /** The partition is no longer ours: drop what is queued, cut a redelivery wait short. */
  revoke(): void {
    this.state = 'revoked';
    this.abort.abort();
    this.stop();
  }

  /** Shutdown ran out of time: the running handler is told to give up (`ctx.signal`). */
  abortRunning(): void {
    this.abort.abort();
  }

  /** Shutdown: stop dispatching new records; the running one finishes (its `ctx.signal` is not aborted). */
  stop(): void {
    this.stopped = true;
    // Before the abort: its listeners run at once, and must not change the fetch pause any more.
    this.fetchPause.stop();
    this.stopping.abort();
    this.drain.stop();
  }

  /** Resolves when no handler runs for this partition. */
  idle(): Promise<void> {
    return this.drain.idle();
  }

  /** Re-applies this worker's fetch pause (kafkajs keeps pauses across rebalances). */
  syncFetchPause(): void {
    this.fetchPause.sync();
  }

  markReady(): void {
    if (this.state !== 'loading') return;
    this.state = 'ready';
    this.fetchPause.update();
  }
}

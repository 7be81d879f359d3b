/** Messages a consumer worker (./consumer-worker.ts) sends to its parent over the IPC channel. */
import type { TopicPartition } from 'nestjs-kafka-consumer';

/** Identifies one record: its `id` is the payload's `id` field, else `partition:offset`. */
export interface RecordReport {
  readonly id: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** The app listens; `assignment` is this member's first assignment. */
export interface ReadyEvent {
  readonly type: 'ready';
  readonly assignment: TopicPartition[];
  readonly at: number;
}

/** The member (re)joined its group and now owns `assignment` (every GROUP_JOIN). */
export interface AssignedEvent {
  readonly type: 'assigned';
  readonly assignment: TopicPartition[];
  readonly at: number;
}

/** The handler was invoked for a record. */
export interface StartedEvent extends RecordReport {
  readonly type: 'started';
  readonly at: number;
}

/** The handler finished a record (sent, and flushed to the pipe, before the handler returns). */
export interface ProcessedEvent extends RecordReport {
  readonly type: 'processed';
  readonly at: number;
}

/**
 * The worker's resource use, sent in reply to a `stats` request (`app.stats()`): after a full
 * garbage collection when the child runs with `--expose-gc`.
 */
export interface StatsEvent {
  readonly type: 'stats';
  /** Resident set size, bytes. */
  readonly rss: number;
  readonly heapUsed: number;
  /** `process.getActiveResourcesInfo()` counted by kind (`Timeout`, `TCPSocketWrap`, ...). */
  readonly resources: Record<string, number>;
  /** Whether a garbage collection ran just before. */
  readonly collected: boolean;
  readonly at: number;
}

export type WorkerEvent = ReadyEvent | AssignedEvent | StartedEvent | ProcessedEvent | StatsEvent;

/** Messages the parent sends to a worker. */
export interface WorkerRequest {
  readonly type: 'stats';
}

/** JSON value a test may produce for the worker; every field is optional. */
export interface WorkerPayload {
  /** Reported back as the record's id (numbers become strings). */
  id?: string | number;
  /** Overrides the worker's handler delay for this record. */
  delayMs?: number;
  /**
   * SIGKILLs the worker inside the handler: `before` the record is reported processed (it never
   * finishes), or `after` (processed but not yet committed).
   */
  killSelf?: 'before' | 'after';
  /**
   * The handler throws a NonRetriableError (not on a `-dlt` topic): with `deadLetter` on, the
   * record goes to the dead-letter topic, which the worker may consume too (then it is reported).
   */
  fail?: boolean;
}

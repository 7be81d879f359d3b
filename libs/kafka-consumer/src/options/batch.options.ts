import { durationMs, fail, isPlainObject, positiveInteger } from './option-readers.js';

// Batch handlers: the records of one partition handed to the handler as an array ------------

/** `@ConsumeTopic(topic, { batch })`: the handler receives the records of one partition as an array. */
export interface BatchOptions {
  /** Most records in one batch. Default 100. */
  maxSize?: number;
  /**
   * How long to wait for more records when fewer than `maxSize` are buffered for the partition,
   * in ms. Default 0: a batch is what is buffered when the handler is free.
   */
  maxWaitMs?: number;
}

export interface ResolvedBatch {
  readonly maxSize: number;
  readonly maxWaitMs: number;
}

export const DEFAULT_BATCH: ResolvedBatch = Object.freeze({ maxSize: 100, maxWaitMs: 0 });

/** Other options of the handler that a batch handler cannot combine with. */
export interface BatchCompatibility {
  readonly retryTopics: boolean;
  readonly route: boolean;
  /** The handler's concurrency mode, when the module has one. */
  readonly concurrencyMode?: string;
}

/** Validates `batch` (`true` takes the defaults); undefined when the handler is not a batch handler. */
export function resolveBatch(where: string, value: unknown, other: BatchCompatibility): ResolvedBatch | undefined {
  if (value === undefined || value === false) return undefined;
  const path = `${where} batch`;
  if (value !== true && !isPlainObject(value))
    return fail(path, value, '{ maxSize?: number, maxWaitMs?: number } | true');
  const raw = value === true ? {} : value;
  const unknown = Object.keys(raw).filter((key) => key !== 'maxSize' && key !== 'maxWaitMs');
  if (unknown.length > 0) fail(`${path}.${unknown[0]}`, raw[unknown[0]], 'no such option (maxSize, maxWaitMs)');
  const batch = {
    maxSize: positiveInteger(`${path}.maxSize`, raw.maxSize, DEFAULT_BATCH.maxSize),
    maxWaitMs: durationMs(`${path}.maxWaitMs`, raw.maxWaitMs, DEFAULT_BATCH.maxWaitMs),
  };
  // Each of these decides per record, where a batch handler takes the partition's records together.
  if (other.retryTopics) {
    fail(path, value, 'no batch with retryTopics (a batch handler retries in process, then dead-letters)');
  }
  if (other.route) fail(path, value, 'no batch with route (routing picks a handler per record)');
  if (other.concurrencyMode !== undefined && other.concurrencyMode !== 'partition') {
    fail(path, value, `no batch with concurrency mode '${other.concurrencyMode}' (batches keep partition order)`);
  }
  return batch;
}

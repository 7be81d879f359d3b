import { MAX_DELAY_MS, fail, positiveInteger } from './option-readers.js';

// Resource limits: memory held per group and the longest waits on an offset store ----

/** Bounds on what a consumer group holds in memory and waits for; part of the module options. */
export interface ResourceLimitOptions {
  /**
   * Bytes of fetched records (key, value and headers) buffered across all partitions of a group,
   * waiting for their handler. A partition whose records do not fit pauses fetching until the
   * buffer is half empty. Default 33554432 (32 MiB).
   */
  maxBufferedBytes?: number;
  /**
   * Records of one partition fetched and not yet committable before its fetching pauses: with
   * `commit: 'manual'`, records processed but not covered by a `ctx.commit()`. Default 10000.
   */
  maxUncommittedRecordsPerPartition?: number;
  /** Longest wait for one offset-store `save()`, in ms; a save that takes longer counts as failed. Default 10000. */
  offsetStoreSaveTimeoutMs?: number;
}

export interface ResolvedResourceLimits {
  maxBufferedBytes: number;
  maxUncommittedRecordsPerPartition: number;
  offsetStoreSaveTimeoutMs: number;
}

export const DEFAULT_MAX_BUFFERED_BYTES = 32 * 1024 * 1024;
export const DEFAULT_MAX_UNCOMMITTED_RECORDS_PER_PARTITION = 10_000;
export const DEFAULT_OFFSET_STORE_SAVE_TIMEOUT_MS = 10_000;

export function resolveResourceLimits(raw: Record<string, unknown>): ResolvedResourceLimits {
  const saveTimeoutMs = raw.offsetStoreSaveTimeoutMs;
  if (
    saveTimeoutMs !== undefined &&
    (typeof saveTimeoutMs !== 'number' ||
      !Number.isInteger(saveTimeoutMs) ||
      saveTimeoutMs < 1 ||
      saveTimeoutMs > MAX_DELAY_MS)
  ) {
    fail('offsetStoreSaveTimeoutMs', saveTimeoutMs, `an integer from 1 to ${MAX_DELAY_MS} (ms)`);
  }
  return {
    maxBufferedBytes: positiveInteger('maxBufferedBytes', raw.maxBufferedBytes, DEFAULT_MAX_BUFFERED_BYTES),
    maxUncommittedRecordsPerPartition: positiveInteger(
      'maxUncommittedRecordsPerPartition',
      raw.maxUncommittedRecordsPerPartition,
      DEFAULT_MAX_UNCOMMITTED_RECORDS_PER_PARTITION,
    ),
    offsetStoreSaveTimeoutMs: (saveTimeoutMs as number | undefined) ?? DEFAULT_OFFSET_STORE_SAVE_TIMEOUT_MS,
  };
}

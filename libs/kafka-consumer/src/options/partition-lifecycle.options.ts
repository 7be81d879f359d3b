import { MAX_DELAY_MS, durationMs, fail } from './option-readers.js';

// Partition lifecycle: rebalances and offset-store claims ----

/** How partitions move between members; part of the module options. */
export interface PartitionLifecycleOptions {
  /**
   * How long a partition that comes back to this member waits for a handler still running from
   * when it was revoked (records of one partition never run two at once). After it, an error is
   * logged and the partition goes on. Default 30000.
   */
  revokeGraceMs?: number;
  /**
   * Longest wait for an external offset store's `load()` when a partition is assigned; a load that
   * takes longer counts as failed and is retried with backoff. Default 10000.
   */
  offsetStoreLoadTimeoutMs?: number;
}

export interface ResolvedPartitionLifecycleOptions {
  revokeGraceMs: number;
  offsetStoreLoadTimeoutMs: number;
}

export const DEFAULT_REVOKE_GRACE_MS = 30_000;
export const DEFAULT_OFFSET_STORE_LOAD_TIMEOUT_MS = 10_000;

export function resolvePartitionLifecycle(raw: Record<string, unknown>): ResolvedPartitionLifecycleOptions {
  const loadTimeoutMs = raw.offsetStoreLoadTimeoutMs;
  if (loadTimeoutMs === 0) fail('offsetStoreLoadTimeoutMs', loadTimeoutMs, `a number of ms from 1 to ${MAX_DELAY_MS}`);
  return {
    revokeGraceMs: durationMs('revokeGraceMs', raw.revokeGraceMs, DEFAULT_REVOKE_GRACE_MS),
    offsetStoreLoadTimeoutMs: durationMs(
      'offsetStoreLoadTimeoutMs',
      loadTimeoutMs,
      DEFAULT_OFFSET_STORE_LOAD_TIMEOUT_MS,
    ),
  };
}

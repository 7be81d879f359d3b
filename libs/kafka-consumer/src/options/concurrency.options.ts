import type { ConcurrencyMode } from '../server/key-scheduler.js';
import { fail, isPlainObject, oneOf, positiveInteger, readTracked } from './option-readers.js';

// Concurrency inside a partition: in order, per key, or unordered ------------------------

export type { ConcurrencyMode } from '../server/key-scheduler.js';

/**
 * How many records of one handler run at once, and in which order.
 * - `'partition'` (default): one record of a partition at a time, strictly in offset order
 *   (partitions run in parallel).
 * - `'key'`: records with the same key run one at a time in offset order; different keys in
 *   parallel. Records without a key are one key (in offset order among themselves).
 * - `'unordered'`: any record may run while others run.
 *
 * Whatever the mode, the committed offset never passes a record that has not finished.
 */
export interface ConcurrencyOptions {
  /** Default `'partition'`. */
  mode?: ConcurrencyMode;
  /**
   * `'key'` and `'unordered'`: most records of this handler running at once, across all of its
   * partitions on this member. Default 100. `'partition'` mode runs one record per partition (1).
   */
  maxInFlight?: number;
}

export interface ResolvedConcurrency {
  readonly mode: ConcurrencyMode;
  /** 1 in `'partition'` mode (per partition); shared by the handler's partitions otherwise. */
  readonly maxInFlight: number;
}

export const DEFAULT_CONCURRENCY: ResolvedConcurrency = { mode: 'partition', maxInFlight: 1 };
export const DEFAULT_MAX_IN_FLIGHT = 100;
const MODES: readonly ConcurrencyMode[] = ['partition', 'key', 'unordered'];
const ALLOWED = "{ mode?: 'partition' | 'key' | 'unordered', maxInFlight?: integer >= 1 }";

/** Reads `concurrency` at `path`; unset fields fall back to `inherited` (the module's, for a handler). */
export function resolveConcurrency(
  path: string,
  value: unknown,
  inherited: ResolvedConcurrency = DEFAULT_CONCURRENCY,
): ResolvedConcurrency {
  if (value === undefined) return inherited;
  if (!isPlainObject(value)) return fail(path, value, ALLOWED);
  const { options, rejectUnknown } = readTracked(path, value);
  const mode = oneOf(`${path}.mode`, options.mode, MODES, inherited.mode);
  const rawMax = options.maxInFlight;
  rejectUnknown();
  if (mode === 'partition') {
    if (rawMax !== undefined && rawMax !== 1) {
      fail(
        `${path}.maxInFlight`,
        rawMax,
        "1 or unset with mode 'partition' (one record per partition); set mode 'key' or 'unordered' to run more",
      );
    }
    return DEFAULT_CONCURRENCY;
  }
  const fallback = inherited.mode === 'partition' ? DEFAULT_MAX_IN_FLIGHT : inherited.maxInFlight;
  return { mode, maxInFlight: positiveInteger(`${path}.maxInFlight`, rawMax, fallback) };
}

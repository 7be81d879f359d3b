import { BatchError } from '../errors/batch.error.js';

/** How a batch handler failed: pure, no Nest and no kafkajs. */
export type BatchFailure =
  /** `BatchError(index, cause)`: the records before `index` are processed, the one at `index` failed. */
  | { readonly kind: 'record'; readonly index: number; readonly cause: unknown }
  /** Any other error (or a `BatchError` whose index is not in the batch): the whole batch failed. */
  | { readonly kind: 'batch'; readonly error: unknown };

/** Reads what a batch handler threw, for a batch of `size` records. */
export function batchFailure(error: unknown, size: number): BatchFailure {
  if (error instanceof BatchError && Number.isInteger(error.index) && error.index >= 0 && error.index < size) {
    return { kind: 'record', index: error.index, cause: error.cause };
  }
  return { kind: 'batch', error };
}

/** The error a failed record carries into the failure policy (decides retriability, fills dead-letter headers). */
export function recordError(failure: BatchFailure): unknown {
  return failure.kind === 'record' ? failure.cause : failure.error;
}

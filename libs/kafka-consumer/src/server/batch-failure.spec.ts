import { describe, expect, it } from 'vitest';
import { BatchError } from '../errors/batch.error.js';
import { NonRetriableError } from '../errors/non-retriable.error.js';
import { batchFailure, recordError } from './batch-failure.js';

describe('batchFailure', () => {
  it('reads BatchError(index, cause) as the failure of that record, keeping its cause', () => {
    const cause = new NonRetriableError('bad amount');
    const failure = batchFailure(new BatchError(2, cause), 5);
    expect(failure).toEqual({ kind: 'record', index: 2, cause });
    expect(recordError(failure)).toBe(cause);
  });

  it('reads a plain error as the failure of the whole batch', () => {
    const error = new Error('database down');
    expect(batchFailure(error, 5)).toEqual({ kind: 'batch', error });
    expect(recordError(batchFailure(error, 5))).toBe(error);
  });

  it('reads a BatchError whose index is outside the batch as the failure of the whole batch', () => {
    for (const index of [-1, 5, 1.5, Number.NaN]) {
      const error = new BatchError(index, new Error('x'));
      expect(batchFailure(error, 5)).toEqual({ kind: 'batch', error });
    }
  });

  it('takes the first and the last record as valid indexes', () => {
    expect(batchFailure(new BatchError(0, 'a'), 3)).toMatchObject({ kind: 'record', index: 0 });
    expect(batchFailure(new BatchError(2, 'b'), 3)).toMatchObject({ kind: 'record', index: 2 });
  });
});

import { describe, expect, it } from 'vitest';
import { committedOrNull, partitionLag } from './consumer-lag.js';

const base = { topic: 't', partition: 0, low: '0', high: '10', assigned: true };

describe('partitionLag', () => {
  it('is the end offset minus the committed offset', () => {
    expect(partitionLag({ ...base, committed: '4' })).toMatchObject({ committedOffset: '4', endOffset: '10', lag: 6 });
  });

  it('is 0 when the group committed the end offset', () => {
    expect(partitionLag({ ...base, committed: '10' }).lag).toBe(0);
  });

  it('counts from the log start offset when nothing is committed', () => {
    expect(partitionLag({ ...base, low: '3', committed: null })).toMatchObject({ committedOffset: null, lag: 7 });
  });

  it('does not count records deleted below the log start offset', () => {
    expect(partitionLag({ ...base, low: '8', committed: '2' }).lag).toBe(2);
  });

  it('is null when the committed offset is unknown here', () => {
    expect(partitionLag({ ...base, assigned: false, committed: undefined })).toMatchObject({
      committedOffset: null,
      lag: null,
      assigned: false,
    });
  });
});

describe('committedOrNull', () => {
  it.each([
    ['-1', null],
    ['', null],
    [undefined, null],
    ['0', '0'],
    ['42', '42'],
  ])('%s -> %s', (input, expected) => {
    expect(committedOrNull(input)).toBe(expected);
  });
});

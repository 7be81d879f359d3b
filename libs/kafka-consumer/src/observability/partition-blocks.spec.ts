import { describe, expect, it } from 'vitest';
import { PartitionBlocks } from './partition-blocks.js';

const failure = { topic: 't', partition: 0, offset: '5', reason: 'exhausted' as const, error: new Error('boom') };

describe('PartitionBlocks', () => {
  it('announces a block once and keeps the time of the first failure across redeliveries', () => {
    const blocks = new PartitionBlocks('g');
    expect(blocks.block(failure, 1000)).toMatchObject({ groupId: 'g', offset: '5', since: 1000, redeliveries: 0 });
    expect(blocks.block(failure, 5000)).toBeNull();
    expect(blocks.list()).toEqual([expect.objectContaining({ since: 1000, redeliveries: 1 })]);
  });

  it('starts a new block when the partition fails on a later record', () => {
    const blocks = new PartitionBlocks('g');
    blocks.block(failure, 1000);
    expect(blocks.block({ ...failure, offset: '6' }, 3000)).toMatchObject({ offset: '6', since: 3000 });
  });

  it('announces a changed reason on the same record but keeps its since', () => {
    const blocks = new PartitionBlocks('g');
    blocks.block(failure, 1000);
    expect(blocks.block({ ...failure, reason: 'dead-letter-failed' }, 2000)).toMatchObject({
      reason: 'dead-letter-failed',
      since: 1000,
    });
  });

  it('records the next attempt of the blocked record only', () => {
    const blocks = new PartitionBlocks('g');
    blocks.block(failure, 1000);
    blocks.retryAt('t', 0, '4', 9999);
    expect(blocks.list()[0].retryAt).toBeUndefined();
    blocks.retryAt('t', 0, '5', 2500);
    expect(blocks.list()[0].retryAt).toBe(2500);
  });

  it('unblocks a partition and forgets those no longer kept', () => {
    const blocks = new PartitionBlocks('g');
    blocks.block(failure, 1000);
    blocks.block({ ...failure, partition: 1 }, 1000);
    expect(blocks.unblock('t', 0)).toMatchObject({ partition: 0 });
    expect(blocks.unblock('t', 0)).toBeNull();
    expect(blocks.retain(new Set())).toEqual([expect.objectContaining({ partition: 1 })]);
    expect(blocks.size).toBe(0);
  });
});

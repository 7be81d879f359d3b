import { describe, expect, it } from 'vitest';
import { PartitionTracker } from './partition-tracker.js';
import { trackerWith } from './partition-tracker.spec-helpers.js';

describe('PartitionTracker', () => {
  describe('auto mode', () => {
    it('offers nothing before any offset is done', () => {
      const tracker = trackerWith([0, 1, 2]);
      expect(tracker.committableOffset()).toBeNull();
      expect(new PartitionTracker().committableOffset()).toBeNull();
    });

    it('commits the highest contiguous done offset + 1', () => {
      const tracker = trackerWith([10, 11, 12]);
      tracker.finish(10);
      expect(tracker.committableOffset()).toBe(11);
      tracker.finish(11);
      tracker.finish(12);
      expect(tracker.committableOffset()).toBe(13);
    });

    it('holds the committable offset back while an earlier offset is still in flight', () => {
      const tracker = trackerWith([0, 1, 2, 3]);
      tracker.finish(2);
      tracker.finish(3);
      expect(tracker.committableOffset()).toBeNull();
      tracker.finish(1);
      expect(tracker.committableOffset()).toBeNull();
      tracker.finish(0);
      expect(tracker.committableOffset()).toBe(4);
    });

    it('advances only up to the first gap in completion when offsets finish out of order', () => {
      const tracker = trackerWith([0, 1, 2, 3, 4]);
      tracker.finish(0);
      tracker.finish(1);
      tracker.finish(3);
      tracker.finish(4);
      expect(tracker.committableOffset()).toBe(2);
      tracker.finish(2);
      expect(tracker.committableOffset()).toBe(5);
    });

    it('skips offset gaps left by compaction: the committable offset follows registered offsets only', () => {
      const tracker = trackerWith([3, 7, 8, 20]);
      tracker.finish(3);
      expect(tracker.committableOffset()).toBe(4);
      tracker.finish(7);
      tracker.finish(8);
      expect(tracker.committableOffset()).toBe(9);
      expect(tracker.firstPendingOffset).toBe(20);
      tracker.finish(20);
      expect(tracker.committableOffset()).toBe(21);
    });

    it('ignores finishing an offset that was never registered', () => {
      const tracker = trackerWith([5, 6]);
      tracker.finish(4);
      tracker.finish(99);
      expect(tracker.committableOffset()).toBeNull();
      expect(tracker.pendingCount).toBe(2);
    });

    it('ignores finishing the same offset twice', () => {
      const tracker = trackerWith([0, 1, 2]);
      tracker.finish(0);
      tracker.finish(0);
      expect(tracker.committableOffset()).toBe(1);
      expect(tracker.pendingCount).toBe(2);
      expect(tracker.firstPendingOffset).toBe(1);
    });
  });

  describe('register', () => {
    it('accepts increasing offsets, with gaps', () => {
      const tracker = new PartitionTracker();
      expect(tracker.register(0)).toBe(true);
      expect(tracker.register(5)).toBe(true);
      expect(tracker.register(6)).toBe(true);
      expect(tracker.highestOffset).toBe(6);
    });

    it('rejects a duplicate or lower offset (a re-fetch) and changes nothing', () => {
      const tracker = trackerWith([4, 5, 6]);
      expect(tracker.register(6)).toBe(false);
      expect(tracker.register(5)).toBe(false);
      expect(tracker.register(0)).toBe(false);
      expect(tracker.pendingCount).toBe(3);
      expect(tracker.highestOffset).toBe(6);
      expect(tracker.firstPendingOffset).toBe(4);
    });

    it('rejects a re-fetch of an offset that is already done and settled', () => {
      const tracker = trackerWith([0, 1]);
      tracker.finish(0);
      tracker.finish(1);
      expect(tracker.register(1)).toBe(false);
      expect(tracker.pendingCount).toBe(0);
      expect(tracker.committableOffset()).toBe(2);
    });

    it('reports -1 as the highest offset before anything is registered', () => {
      expect(new PartitionTracker().highestOffset).toBe(-1);
    });

    it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 1])(
      'throws RangeError for the invalid offset %s',
      (offset) => {
        const tracker = new PartitionTracker();
        expect(() => tracker.register(offset)).toThrow(RangeError);
        expect(() => tracker.register(offset)).toThrow(/non-negative safe integer/);
        expect(tracker.highestOffset).toBe(-1);
      },
    );

    it('accepts offset 0 and Number.MAX_SAFE_INTEGER', () => {
      const tracker = new PartitionTracker();
      expect(tracker.register(0)).toBe(true);
      expect(tracker.register(Number.MAX_SAFE_INTEGER)).toBe(true);
    });
  });

  describe('markCommitted', () => {
    it('suppresses re-offering an offset that was already stored', () => {
      const tracker = trackerWith([0, 1, 2]);
      tracker.finish(0);
      expect(tracker.committableOffset()).toBe(1);
      tracker.markCommitted(1);
      expect(tracker.committableOffset()).toBeNull();
      expect(tracker.lastCommitted).toBe(1);
      tracker.finish(1);
      expect(tracker.committableOffset()).toBe(2);
    });

    it('never moves the recorded commit backwards', () => {
      const tracker = trackerWith([0, 1, 2]);
      tracker.finish(0);
      tracker.finish(1);
      tracker.markCommitted(2);
      tracker.markCommitted(1);
      expect(tracker.lastCommitted).toBe(2);
      expect(tracker.committableOffset()).toBeNull();
    });

    it('offers nothing while a commit recorded ahead (e.g. from an external store) is not yet passed', () => {
      const tracker = trackerWith([0, 1, 2, 3]);
      tracker.markCommitted(3);
      tracker.finish(0);
      tracker.finish(1);
      expect(tracker.committableOffset()).toBeNull();
      tracker.finish(2);
      tracker.finish(3);
      expect(tracker.committableOffset()).toBe(4);
    });

    it('reports null as the last commit before anything was committed', () => {
      expect(new PartitionTracker().lastCommitted).toBeNull();
    });
  });

  describe('pendingCount and firstPendingOffset', () => {
    it('start at 0 and null', () => {
      const tracker = new PartitionTracker();
      expect(tracker.pendingCount).toBe(0);
      expect(tracker.firstPendingOffset).toBeNull();
    });

    it('count registered offsets until they are done', () => {
      const tracker = trackerWith([0, 1, 2]);
      expect(tracker.pendingCount).toBe(3);
      expect(tracker.firstPendingOffset).toBe(0);
      tracker.finish(0);
      expect(tracker.pendingCount).toBe(2);
      expect(tracker.firstPendingOffset).toBe(1);
      tracker.finish(1);
      tracker.finish(2);
      expect(tracker.pendingCount).toBe(0);
      expect(tracker.firstPendingOffset).toBeNull();
    });

    it('do not count offsets finished out of order as pending', () => {
      const tracker = trackerWith([0, 1, 2, 3]);
      tracker.finish(2);
      tracker.finish(3);
      expect(tracker.pendingCount).toBe(2);
      expect(tracker.firstPendingOffset).toBe(0);
      tracker.finish(0);
      expect(tracker.pendingCount).toBe(1);
      expect(tracker.firstPendingOffset).toBe(1);
    });

    it('report the lowest offset not yet done, across compaction gaps', () => {
      const tracker = trackerWith([2, 9, 15]);
      tracker.finish(9);
      expect(tracker.firstPendingOffset).toBe(2);
      tracker.finish(2);
      expect(tracker.firstPendingOffset).toBe(15);
    });
  });

  it('offers the committable offset again after forgetCommitted() (a new group generation)', () => {
    const tracker = new PartitionTracker('auto');
    tracker.register(0);
    tracker.finish(0);
    tracker.markCommitted(1);
    expect(tracker.committableOffset()).toBeNull();
    tracker.forgetCommitted();
    expect(tracker.committableOffset()).toBe(1);
  });

  it('skipThrough: trailing offsets without records (commit markers) are covered once everything before is done', () => {
    const tracker = new PartitionTracker('auto');
    tracker.register(0);
    tracker.register(1);
    tracker.skipThrough(2);
    expect(tracker.highestOffset).toBe(2);
    expect(tracker.pendingCount).toBe(2);
    tracker.finish(1);
    expect(tracker.committableOffset()).toBeNull();
    tracker.finish(0);
    expect(tracker.committableOffset()).toBe(3);
    // At or below the highest registered offset: nothing changes.
    tracker.skipThrough(2);
    tracker.register(3);
    expect(tracker.committableOffset()).toBe(3);
    tracker.finish(3);
    expect(tracker.committableOffset()).toBe(4);
  });

  it('skipThrough in manual mode: the markers follow the ctx.commit() of the records before them', () => {
    const tracker = new PartitionTracker('manual');
    tracker.register(0);
    tracker.skipThrough(1);
    tracker.finish(0);
    expect(tracker.committableOffset()).toBeNull();
    tracker.acknowledge(0);
    expect(tracker.committableOffset()).toBe(2);
  });
});

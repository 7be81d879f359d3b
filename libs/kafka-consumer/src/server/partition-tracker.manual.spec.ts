import { describe, expect, it } from 'vitest';
import { trackerWith } from './partition-tracker.spec-helpers.js';

describe('PartitionTracker', () => {
  describe('manual mode', () => {
    it('counts a record settled without ctx.commit() (dead-lettered, passed over) as acknowledged, covering nothing earlier (M2)', () => {
      const tracker = trackerWith([0, 1, 2], 'manual');
      tracker.acknowledge(0);
      tracker.finish(0);
      tracker.markSettled(1);
      tracker.finish(1);
      expect(tracker.committableOffset()).toBe(2);
      expect(tracker.pendingCount).toBe(1);
      // An earlier record that returned without ctx.commit() still holds the offset back.
      const batch = trackerWith([0, 1, 2], 'manual');
      batch.finish(0);
      batch.markSettled(1);
      expect(batch.committableOffset()).toBeNull();
      batch.acknowledge(0);
      expect(batch.committableOffset()).toBe(2);
    });

    it('does not make a finished offset committable without an acknowledgement', () => {
      const tracker = trackerWith([0, 1], 'manual');
      tracker.finish(0);
      tracker.finish(1);
      expect(tracker.committableOffset()).toBeNull();
      expect(tracker.pendingCount).toBe(2);
    });

    it('commits the acknowledged offset itself, even before its handler finishes', () => {
      const tracker = trackerWith([0, 1], 'manual');
      tracker.acknowledge(0);
      expect(tracker.committableOffset()).toBe(1);
      tracker.finish(0);
      expect(tracker.committableOffset()).toBe(1);
    });

    it('covers earlier finished offsets with an acknowledgement', () => {
      const tracker = trackerWith([0, 1, 2, 3], 'manual');
      tracker.finish(0);
      tracker.finish(1);
      tracker.acknowledge(2);
      expect(tracker.committableOffset()).toBe(3);
      expect(tracker.firstPendingOffset).toBe(3);
    });

    it('never passes an earlier offset that is still unfinished', () => {
      const tracker = trackerWith([0, 1, 2, 3], 'manual');
      tracker.finish(0);
      tracker.acknowledge(2);
      expect(tracker.committableOffset()).toBe(1);
      expect(tracker.firstPendingOffset).toBe(1);
    });

    it('makes an earlier offset done when it finishes after a later acknowledgement', () => {
      const tracker = trackerWith([0, 1, 2, 3], 'manual');
      tracker.acknowledge(2);
      expect(tracker.committableOffset()).toBeNull();
      tracker.finish(1);
      expect(tracker.committableOffset()).toBeNull();
      tracker.finish(0);
      expect(tracker.committableOffset()).toBe(3);
    });

    it('does not cover an offset after the acknowledged one', () => {
      const tracker = trackerWith([0, 1, 2], 'manual');
      tracker.finish(1);
      tracker.finish(2);
      tracker.acknowledge(0);
      expect(tracker.committableOffset()).toBe(1);
      tracker.finish(0);
      expect(tracker.committableOffset()).toBe(1);
    });

    it('does not pre-acknowledge offsets registered after an acknowledgement beyond the highest offset', () => {
      const tracker = trackerWith([0], 'manual');
      tracker.acknowledge(5);
      expect(tracker.committableOffset()).toBeNull();
      tracker.finish(0);
      expect(tracker.committableOffset()).toBe(1);
      tracker.register(3);
      tracker.finish(3);
      expect(tracker.committableOffset()).toBe(1);
    });

    it('keeps the highest acknowledgement when an older one arrives late', () => {
      const tracker = trackerWith([0, 1, 2], 'manual');
      tracker.acknowledge(1);
      tracker.acknowledge(0);
      tracker.finish(0);
      expect(tracker.committableOffset()).toBe(2);
    });

    it('acknowledges across compaction gaps', () => {
      const tracker = trackerWith([4, 10, 11], 'manual');
      tracker.finish(4);
      tracker.acknowledge(10);
      expect(tracker.committableOffset()).toBe(11);
    });
  });
});

import { describe, expect, it } from 'vitest';
import { PartitionTracker } from './partition-tracker.js';

function trackerWith(offsets: number[], mode: 'auto' | 'manual' = 'auto'): PartitionTracker {
  const tracker = new PartitionTracker(mode);
  for (const offset of offsets) expect(tracker.register(offset)).toBe(true);
  return tracker;
}

/** Deterministic PRNG (mulberry32) so a failing random case can be replayed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const result = [...items];
  for (let i = result.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [result[i], result[j]] = [result[j], result[i]];
  }
  return result;
}

/** The obvious, slow definition the tracker must agree with. */
class ReferenceModel {
  private readonly registered: number[] = [];
  private readonly done = new Set<number>();
  committed: number | null = null;

  register(offset: number): void {
    this.registered.push(offset);
  }

  markDone(offset: number): void {
    this.done.add(offset);
  }

  /** Next offset after the longest prefix of registered offsets that are all done. */
  doneUpTo(): number | null {
    let next: number | null = null;
    for (const offset of this.registered) {
      if (!this.done.has(offset)) break;
      next = offset + 1;
    }
    return next;
  }

  committableOffset(): number | null {
    const next = this.doneUpTo();
    if (next === null || (this.committed !== null && next <= this.committed)) return null;
    return next;
  }

  pendingCount(): number {
    return this.registered.filter((offset) => !this.done.has(offset)).length;
  }

  firstPendingOffset(): number | null {
    return this.registered.find((offset) => !this.done.has(offset)) ?? null;
  }
}

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

  describe('manual mode', () => {
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

  describe('compaction of settled entries', () => {
    it('stays correct past the 1024-entry compaction threshold with in-order completion', () => {
      const tracker = new PartitionTracker();
      for (let offset = 0; offset < 3000; offset++) tracker.register(offset);
      for (let offset = 0; offset < 2500; offset++) tracker.finish(offset);
      expect(tracker.committableOffset()).toBe(2500);
      expect(tracker.pendingCount).toBe(500);
      expect(tracker.firstPendingOffset).toBe(2500);
      tracker.finish(2501);
      expect(tracker.committableOffset()).toBe(2500);
      tracker.finish(2500);
      expect(tracker.committableOffset()).toBe(2502);
      expect(tracker.register(2999)).toBe(false);
      expect(tracker.register(3000)).toBe(true);
    });

    it.each([1, 2, 3])(
      'agrees with a reference model for 10k offsets with gaps, completed in random order (seed %i)',
      (seed) => {
        const random = seededRandom(seed);
        const offsets: number[] = [];
        for (let offset = 0, i = 0; i < 10_000; i++) {
          offsets.push(offset);
          offset += random() < 0.1 ? 2 + Math.floor(random() * 5) : 1;
        }
        const tracker = new PartitionTracker();
        const model = new ReferenceModel();
        // Register in windows and complete each window in random order, as a fetch loop would.
        const window = 700;
        for (let start = 0; start < offsets.length; start += window) {
          const batch = offsets.slice(start, start + window);
          for (const offset of batch) {
            expect(tracker.register(offset)).toBe(true);
            model.register(offset);
          }
          for (const [i, offset] of shuffle(batch, random).entries()) {
            tracker.finish(offset);
            model.markDone(offset);
            if (i % 97 === 0) {
              expect(tracker.committableOffset()).toBe(model.committableOffset());
              expect(tracker.pendingCount).toBe(model.pendingCount());
              expect(tracker.firstPendingOffset).toBe(model.firstPendingOffset());
            }
            if (i % 301 === 0) {
              const committable = tracker.committableOffset();
              if (committable !== null) {
                tracker.markCommitted(committable);
                model.committed = committable;
              }
            }
          }
          expect(tracker.committableOffset()).toBe(model.committableOffset());
        }
        expect(tracker.committableOffset()).toBe(offsets[offsets.length - 1] + 1);
        expect(tracker.pendingCount).toBe(0);
        expect(tracker.firstPendingOffset).toBeNull();
      },
    );

    it('agrees with a reference model in manual mode with random finishes and acknowledgements', () => {
      const random = seededRandom(42);
      const tracker = new PartitionTracker('manual');
      const model = new ReferenceModel();
      const registered: number[] = [];
      const finished = new Set<number>();
      let ackedUpTo = -1;
      for (let offset = 0; offset < 5000; offset++) {
        tracker.register(offset);
        model.register(offset);
        registered.push(offset);
      }
      for (const [i, offset] of shuffle(registered, random).entries()) {
        tracker.finish(offset);
        finished.add(offset);
        if (offset <= ackedUpTo) model.markDone(offset);
        if (random() < 0.05) {
          tracker.acknowledge(offset);
          ackedUpTo = Math.max(ackedUpTo, offset);
          model.markDone(offset);
          for (const earlier of registered) {
            if (earlier > offset) break;
            if (finished.has(earlier)) model.markDone(earlier);
          }
        }
        if (i % 7 === 0) expect(tracker.committableOffset()).toBe(model.committableOffset());
      }
      expect(tracker.committableOffset()).toBe(model.committableOffset());
      expect(tracker.pendingCount).toBe(model.pendingCount());
      expect(tracker.firstPendingOffset).toBe(model.firstPendingOffset());
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
});

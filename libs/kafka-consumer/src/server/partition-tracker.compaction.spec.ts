import { describe, expect, it } from 'vitest';
import { PartitionTracker } from './partition-tracker.js';

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
});

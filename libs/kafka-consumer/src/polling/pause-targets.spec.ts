import { describe, expect, it } from 'vitest';
import { PauseTargets } from './pause-targets.js';

describe('PauseTargets', () => {
  it('pauses whole topics (also partitions assigned later) and single partitions', () => {
    const paused = new PauseTargets();
    paused.pause(['a', { topic: 'b', partition: 1 }]);
    expect(paused.has('a', 0)).toBe(true);
    expect(paused.has('a', 7)).toBe(true);
    expect(paused.has('b', 1)).toBe(true);
    expect(paused.has('b', 0)).toBe(false);
  });

  it('resumes one partition of a paused topic and keeps the others paused', () => {
    const paused = new PauseTargets();
    paused.pause(['a']);
    paused.resume(
      [{ topic: 'a', partition: 1 }],
      [0, 1, 2].map((partition) => ({ topic: 'a', partition })),
    );
    expect([0, 1, 2].map((p) => paused.has('a', p))).toEqual([true, false, true]);
    paused.resume(['a'], []);
    expect([0, 1, 2].map((p) => paused.has('a', p))).toEqual([false, false, false]);
  });
});

import { expect } from 'vitest';
import { PartitionTracker } from './partition-tracker.js';

export function trackerWith(offsets: number[], mode: 'auto' | 'manual' = 'auto'): PartitionTracker {
  const tracker = new PartitionTracker(mode);
  for (const offset of offsets) expect(tracker.register(offset)).toBe(true);
  return tracker;
}

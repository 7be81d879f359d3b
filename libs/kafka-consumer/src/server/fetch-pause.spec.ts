import { describe, expect, it } from 'vitest';
import { BufferBudget } from './buffer-budget.js';
import { FetchPause } from './fetch-pause.js';
import type { PartitionState } from './partition-worker.types.js';

function fetchPause(maxQueued = 10, maxPendingRecords = Number.POSITIVE_INFINITY) {
  const subject = { state: 'ready' as PartitionState, queued: 0, tracker: { uncommittedCount: 0 } };
  const applied: boolean[] = [];
  let limitReports = 0;
  const budget = new BufferBudget(100);
  const pause = new FetchPause(subject, budget, maxQueued, maxPendingRecords, {
    setFetchPaused: (paused) => applied.push(paused),
    onPendingLimit: () => limitReports++,
  });
  return { pause, subject, applied, budget, limitReports: () => limitReports };
}

describe('FetchPause', () => {
  it('pauses at maxQueued and resumes only once the queue is at most half full', () => {
    const { pause, subject, applied } = fetchPause(10);
    subject.queued = 10;
    pause.update();
    expect(applied).toEqual([true]);
    subject.queued = 6;
    pause.update();
    expect(applied).toEqual([true]);
    subject.queued = 5;
    pause.update();
    expect(applied).toEqual([true, false]);
  });

  it('pauses during a redelivery wait and, after it, also resumes only at half the queue or less', () => {
    const { pause, subject, applied } = fetchPause(10);
    pause.setWaiting(true);
    subject.queued = 8;
    pause.update();
    pause.setWaiting(false);
    expect(applied).toEqual([true]);
    subject.queued = 5;
    pause.update();
    expect(applied).toEqual([true, false]);
  });

  it('stays paused until every source that paused it resumed', () => {
    const { pause, applied } = fetchPause();
    pause.pause('registry');
    pause.pause('context');
    expect(pause.resume('context')).toBe(true);
    expect(pause.userPaused).toBe(true);
    expect(pause.resume('context')).toBe(false);
    expect(applied).toEqual([true]);
    pause.resume('registry');
    expect(applied).toEqual([true, false]);
  });

  it('pauses at maxPendingRecords and tells it once', () => {
    const { pause, subject, applied, limitReports } = fetchPause(10, 2);
    subject.tracker.uncommittedCount = 2;
    pause.update();
    pause.sync();
    expect(applied).toEqual([true, true]);
    expect(limitReports()).toBe(1);
  });

  it("pauses while the group's buffer is full and resumes once it has room again", () => {
    const { pause, applied, budget } = fetchPause();
    budget.reserve(100);
    pause.bufferRefused();
    pause.update();
    expect(applied).toEqual([true]);
    budget.release(100);
    expect(applied).toEqual([true, false]);
  });

  it('changes nothing once stopped or revoked, and re-applies the decision on sync', () => {
    const { pause, subject, applied } = fetchPause();
    subject.state = 'loading';
    pause.stop();
    pause.update();
    expect(applied).toEqual([]);
    pause.sync();
    expect(applied).toEqual([true]);
    const revoked = fetchPause();
    revoked.subject.state = 'revoked';
    revoked.pause.pause('context');
    expect(revoked.applied).toEqual([]);
  });

  it('pauses while a loading partition waits for its stored offset', () => {
    const { pause, subject, applied } = fetchPause();
    subject.state = 'loading';
    pause.update();
    subject.state = 'ready';
    pause.update();
    expect(applied).toEqual([true, false]);
  });
});

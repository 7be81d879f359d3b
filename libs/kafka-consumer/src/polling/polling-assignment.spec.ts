import { describe, expect, it } from 'vitest';
import { PollingAssignment } from './polling-assignment.js';

const keys = (owners: { key: string }[]) => owners.map((o) => o.key).toSorted();

describe('PollingAssignment', () => {
  it('acquires, keeps and revokes partitions across joins of the same member', () => {
    const state = new PollingAssignment(false);
    const first = state.onJoin('m1', { t: [0, 1] });
    expect(keys(first.acquired)).toEqual(['t:0', 't:1']);
    expect(first.acquired.every((o) => o.generation === 1 && o.status === 'ready')).toBe(true);

    const second = state.onJoin('m1', { t: [1, 2] });
    expect(keys(second.revoked)).toEqual(['t:0']);
    expect(keys(second.kept)).toEqual(['t:1']);
    expect(keys(second.acquired)).toEqual(['t:2']);
    expect(state.get('t', 1)!.generation).toBe(1);
    expect(state.get('t', 2)!.generation).toBe(2);
    expect(second.rejoined).toBe(false);
  });

  it('treats every partition as newly acquired when the member id changes (it may have had another owner)', () => {
    const state = new PollingAssignment(false);
    const [owner] = state.onJoin('m1', { t: [0] }).acquired;
    const next = state.onJoin('m2', { t: [0] });
    expect(next.rejoined).toBe(true);
    expect(next.revoked).toEqual([owner]);
    expect(next.acquired[0]).not.toBe(owner);
    expect(state.isCurrent(owner)).toBe(false);
  });

  it('claims newly acquired partitions of an external store before they are ready, positioned at the stored offset', () => {
    const state = new PollingAssignment(true);
    const [owner] = state.onJoin('m1', { t: [0] }).acquired;
    expect(owner.status).toBe('claiming');
    expect(state.pendingCommits([{ topic: 't', partition: 0, offset: '3' }])).toEqual([]);
    expect(state.markClaimed(owner, { offset: '42', epoch: 7 })).toBe(true);
    expect(owner).toMatchObject({ status: 'ready', epoch: 7, fetchedUpTo: 41 });
  });

  it('knows the position of a partition claimed at stored offset 0, and leaves an unclaimed one to kafkajs', () => {
    const state = new PollingAssignment(true);
    const [zero, none] = state.onJoin('m1', { t: [0, 1] }).acquired;
    state.markClaimed(zero, { offset: '0', epoch: 1 });
    state.markClaimed(none, { epoch: 1 });
    expect(zero.fetchedUpTo).toBe(-1);
    expect(Number.isFinite(none.fetchedUpTo)).toBe(false);
  });

  it('ignores a claim that completes after its partition was revoked', () => {
    const state = new PollingAssignment(true);
    const [owner] = state.onJoin('m1', { t: [0] }).acquired;
    state.onJoin('m1', {});
    expect(state.markClaimed(owner, { offset: '5', epoch: 1 })).toBe(false);
    expect(owner.status).toBe('lost');
    expect(owner.fetchedUpTo).toBe(Number.NEGATIVE_INFINITY);
  });

  it('commits the highest given offset + 1 per partition, ignoring records of an earlier acquisition (D3)', () => {
    const state = new PollingAssignment(false);
    state.onJoin('m1', { t: [0, 1] });
    state.onJoin('m1', { t: [1] }); // t:0 moved away
    state.onJoin('m1', { t: [0, 1] }); // and came back: a new acquisition (generation 2)
    const pending = state.pendingCommits([
      { topic: 't', partition: 0, offset: '99', generation: 1 },
      { topic: 't', partition: 1, offset: '5', generation: 1 },
      { topic: 't', partition: 1, offset: '9', generation: 1 },
      { topic: 't', partition: 2, offset: '1' },
    ]);
    expect(pending.map(({ owner, next }) => [owner.key, next])).toEqual([['t:1', 10]]);
  });

  it('never commits an offset at or below what this acquisition stored', () => {
    const state = new PollingAssignment(false);
    const [owner] = state.onJoin('m1', { t: [0] }).acquired;
    owner.position = 50;
    state.markCommitted(state.pendingCommits());
    expect(owner.committed).toBe(50);
    owner.position = 20; // a seek back
    expect(state.pendingCommits()).toEqual([]);
    expect(state.pendingCommits([{ topic: 't', partition: 0, offset: '49' }])).toEqual([]);
    expect(state.pendingCommits([{ topic: 't', partition: 0, offset: '50' }]).map((c) => c.next)).toEqual([51]);
  });

  it('claims a fenced partition again once per join (a new acquisition), then leaves it lost until the next join', () => {
    const state = new PollingAssignment(true);
    const [owner] = state.onJoin('m1', { t: [0] }).acquired;
    state.markClaimed(owner, { offset: '3', epoch: 1 });
    owner.position = 3;
    const [again] = state.fenced([owner]);
    expect(state.isCurrent(owner)).toBe(false);
    expect(again).toMatchObject({ key: 't:0', status: 'claiming' });
    expect(again.generation).toBeGreaterThan(owner.generation);
    // Records polled under the fenced acquisition are never committed under the new one.
    expect(state.pendingCommits([{ topic: 't', partition: 0, offset: '7', generation: owner.generation }])).toEqual([]);
    expect(state.markClaimed(owner, { offset: '9', epoch: 3 })).toBe(false);
    expect(state.markClaimed(again, { offset: '9', epoch: 3 })).toBe(true);
    expect(state.fenced([again])).toEqual([]);
    expect(again.status).toBe('lost');
    expect(state.pendingCommits()).toEqual([]);
    const next = state.onJoin('m1', { t: [0] });
    expect(next.revoked).toEqual([again]);
    expect(next.acquired[0].status).toBe('claiming');
  });

  it('owns nothing after a crash; the next join acquires every partition afresh', () => {
    const state = new PollingAssignment(false);
    const [owner] = state.onJoin('m1', { t: [0] }).acquired;
    owner.position = 5;
    state.crashed();
    expect(owner.status).toBe('lost');
    expect(state.pendingCommits()).toEqual([]);
    const next = state.onJoin('m1', { t: [0] });
    expect(next.rejoined).toBe(true);
    expect(next.revoked).toEqual([owner]);
    expect(next.acquired[0]).not.toBe(owner);
    expect(next.acquired[0].status).toBe('ready');
  });

  it('restarts a partition claimed again with nothing stored at what the fenced acquisition did not commit', () => {
    const state = new PollingAssignment(true);
    const [owner] = state.onJoin('m1', { t: [0, 1] }).acquired;
    state.markClaimed(owner, { epoch: 1 });
    owner.firstTaken = 12; // records 12.. were taken into the buffer, none committed
    owner.fetchedUpTo = 20;
    const [again] = state.fenced([owner]);
    expect(state.markClaimed(again, { epoch: 2 })).toBe(true);
    expect(again.fetchedUpTo).toBe(11);
    const other = state.get('t', 1)!;
    state.markClaimed(other, { epoch: 1 });
    other.committed = 30;
    const [otherAgain] = state.fenced([other]);
    state.markClaimed(otherAgain, undefined);
    expect(otherAgain.fetchedUpTo).toBe(29);
  });

  it('ignores a claim that settles after a newer claim of the same partition started', () => {
    const state = new PollingAssignment(true);
    const [owner] = state.onJoin('m1', { t: [0] }).acquired;
    const [again] = state.fenced([owner]);
    expect(state.markClaimed(owner, { offset: '1', epoch: 1 })).toBe(false);
    expect(again.status).toBe('claiming');
  });
});

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
    expect(owner.status).toBe('claiming');
  });

  it('commits the highest given offset + 1 per partition, ignoring records of an earlier acquisition (D3)', () => {
    const state = new PollingAssignment(false);
    state.onJoin('m1', { t: [0, 1] });
    state.onJoin('m1', { t: [1] }); // t:0 moved away
    state.onJoin('m1', { t: [0, 1] }); // and came back: a new acquisition (generation 3)
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

  it('commits nothing of lost partitions, and acquires them again at the next join', () => {
    const state = new PollingAssignment(true);
    const [owner] = state.onJoin('m1', { t: [0] }).acquired;
    state.markClaimed(owner, undefined);
    owner.position = 3;
    state.markLost([owner]);
    expect(state.isCurrent(owner)).toBe(false);
    expect(state.pendingCommits()).toEqual([]);
    const next = state.onJoin('m1', { t: [0] });
    expect(next.revoked).toEqual([owner]);
    expect(next.acquired[0].status).toBe('claiming');
  });
});

import { describe, expect, it } from 'vitest';
import { PartitionLifecycle, type PartitionLifecycleOptions } from './partition-lifecycle.js';

const SESSION_MS = 2000;

function lifecycle(options: Partial<PartitionLifecycleOptions> = {}): PartitionLifecycle {
  return new PartitionLifecycle({ claims: true, sessionTimeoutMs: SESSION_MS, ...options });
}

/** Joins with `member` owning `partitions` of topic `t` at time `now`. */
function join(l: PartitionLifecycle, member: string, partitions: number[], now = 0) {
  return l.join(member, { t: partitions }, now);
}

/** Starts the claim of `key` and returns its token. */
function claimOf(l: PartitionLifecycle, key: string): number {
  const start = l.start(key);
  if (start?.kind !== 'claim') throw new Error(`expected a claim of ${key}, got ${JSON.stringify(start)}`);
  return start.claim;
}

describe('PartitionLifecycle', () => {
  describe('joins', () => {
    it('adopts every partition of the first join', () => {
      const l = lifecycle();
      const plan = join(l, 'm1', [0, 1]);
      expect(plan).toEqual({
        generation: 1,
        rejoined: false,
        retire: [],
        keep: [],
        adopt: [
          { topic: 't', partition: 0 },
          { topic: 't', partition: 1 },
        ],
      });
      expect(l.phaseOf('t:0')).toBe('assigned');
      expect(l.assigned()).toHaveLength(2);
    });

    it('keeps what the same member still owns, retires what moved, adopts what is new', () => {
      const l = lifecycle();
      join(l, 'm1', [0, 1]);
      const plan = join(l, 'm1', [1, 2]);
      expect(plan.rejoined).toBe(false);
      expect(plan.retire).toEqual(['t:0']);
      expect(plan.keep).toEqual(['t:1']);
      expect(plan.adopt).toEqual([{ topic: 't', partition: 2 }]);
      expect(l.phaseOf('t:0')).toBeUndefined();
    });

    it('D1: a rejoin under a new member id retires every worker and adopts every partition afresh', () => {
      const l = lifecycle({ claims: false });
      join(l, 'm1', [0, 1]);
      l.start('t:0');
      l.start('t:1');
      const plan = join(l, 'm2', [0]);
      expect(plan.rejoined).toBe(true);
      expect(plan.retire.toSorted()).toEqual(['t:0', 't:1']);
      expect(plan.keep).toEqual([]);
      expect(plan.adopt).toEqual([{ topic: 't', partition: 0 }]);
      expect(l.phaseOf('t:0')).toBe('assigned');
    });

    it('counts generations', () => {
      const l = lifecycle();
      join(l, 'm1', [0]);
      join(l, 'm1', [0]);
      expect(l.generation).toBe(2);
    });
  });

  describe('claims (S1)', () => {
    it('a Kafka-store partition is ready at once; an external-store one is claimed first', () => {
      const kafka = lifecycle({ claims: false });
      join(kafka, 'm1', [0]);
      expect(kafka.start('t:0')).toEqual({ kind: 'ready' });
      expect(kafka.phaseOf('t:0')).toBe('ready');

      const external = lifecycle();
      join(external, 'm1', [0]);
      const claim = claimOf(external, 't:0');
      expect(external.phaseOf('t:0')).toBe('claiming');
      expect(external.claimPending('t:0', claim)).toBe(true);
      expect(external.claimSettled('t:0', claim)).toBe(true);
      expect(external.phaseOf('t:0')).toBe('ready');
    });

    it('a claim answered after its partition was revoked is ignored (no seek, no ready)', () => {
      const l = lifecycle();
      join(l, 'm1', [0, 1]);
      const claim = claimOf(l, 't:0');
      join(l, 'm1', [1]);
      expect(l.claimPending('t:0', claim)).toBe(false);
      expect(l.claimSettled('t:0', claim)).toBe(false);
    });

    it('trigger 2: the first claim of a partition adopted again after a rejoin is stale, the second applies', () => {
      const l = lifecycle();
      join(l, 'm1', [0]);
      const first = claimOf(l, 't:0');
      join(l, 'm2', [0]);
      const second = claimOf(l, 't:0');
      expect(second).not.toBe(first);
      expect(l.claimSettled('t:0', first)).toBe(false);
      expect(l.claimSettled('t:0', second)).toBe(true);
    });

    it('trigger 4: a crash stops every claim in flight and claims nothing until the next join', () => {
      const l = lifecycle();
      join(l, 'm1', [0, 1]);
      const claim = claimOf(l, 't:0');
      expect(l.crashed().toSorted()).toEqual(['t:0', 't:1']);
      expect(l.claimPending('t:0', claim)).toBe(false);
      expect(l.claimSettled('t:0', claim)).toBe(false);
      expect(l.start('t:1')).toBeNull();
      expect(l.assigned()).toEqual([]);
      const plan = join(l, 'm1', [0]);
      expect(plan.rejoined).toBe(true);
      expect(plan.adopt).toEqual([{ topic: 't', partition: 0 }]);
      expect(l.claimSettled('t:0', claimOf(l, 't:0'))).toBe(true);
    });

    it('trigger 3: nothing is claimed or applied once closing', () => {
      const l = lifecycle();
      join(l, 'm1', [0, 1]);
      const claim = claimOf(l, 't:0');
      l.close();
      expect(l.claimSettled('t:0', claim)).toBe(false);
      expect(l.start('t:1')).toBeNull();
    });

    it('trigger 1: a fenced partition that is still assigned is claimed again, once per generation', () => {
      const l = lifecycle();
      join(l, 'm1', [0], 0);
      l.claimSettled('t:0', claimOf(l, 't:0'));
      const first = l.fenced(['t:0'], 100);
      expect(first).toEqual({ retire: ['t:0'], reclaim: [{ topic: 't', partition: 0 }] });
      expect(l.phaseOf('t:0')).toBe('assigned');
      l.claimSettled('t:0', claimOf(l, 't:0'));
      const second = l.fenced(['t:0'], 200);
      expect(second).toEqual({ retire: ['t:0'], reclaim: [] });
      expect(l.phaseOf('t:0')).toBe('lost');
      // A lost partition waits for the next join, which adopts it (its worker is already retired).
      const plan = join(l, 'm1', [0], 300);
      expect(plan.retire).toEqual([]);
      expect(plan.adopt).toEqual([{ topic: 't', partition: 0 }]);
      expect(l.fenced(['t:0'], 400).reclaim).toHaveLength(1);
    });

    it('a member whose membership is unconfirmed (a possible zombie) does not claim again when fenced', () => {
      const l = lifecycle();
      join(l, 'm1', [0], 0);
      l.claimSettled('t:0', claimOf(l, 't:0'));
      expect(l.fenced(['t:0'], SESSION_MS + 1)).toEqual({ retire: ['t:0'], reclaim: [] });
      expect(l.phaseOf('t:0')).toBe('lost');
    });

    it('a fence of a partition no longer ours changes nothing', () => {
      const l = lifecycle();
      join(l, 'm1', [0]);
      join(l, 'm1', [1]);
      expect(l.fenced(['t:0'], 0)).toEqual({ retire: [], reclaim: [] });
    });
  });

  describe('L3: seeks', () => {
    it('a revoked partition is never among the kept ones (no seek of a partition kafkajs no longer fetches)', () => {
      const l = lifecycle();
      join(l, 'm1', [0, 1]);
      l.claimSettled('t:0', claimOf(l, 't:0'));
      l.claimSettled('t:1', claimOf(l, 't:1'));
      const plan = join(l, 'm1', [1]);
      expect(plan.keep).toEqual(['t:1']);
      expect(plan.retire).toEqual(['t:0']);
      // Back again: adopted as new, so it is claimed (and sought only from its claim).
      expect(join(l, 'm1', [0, 1]).adopt).toEqual([{ topic: 't', partition: 0 }]);
    });
  });

  describe('S9: draining', () => {
    it('remembers a revoked worker that still runs until it drained', () => {
      const l = lifecycle();
      join(l, 'm1', [0]);
      join(l, 'm1', []);
      l.drainStarted('t:0');
      expect(l.isDraining('t:0')).toBe(true);
      l.drained('t:0');
      expect(l.isDraining('t:0')).toBe(false);
    });
  });

  describe('membership (zombie guard)', () => {
    it('dispatches only while a join or heartbeat confirmed the membership within the session timeout', () => {
      const l = lifecycle();
      expect(l.mayDispatch(0)).toBe(false);
      join(l, 'm1', [0], 1000);
      expect(l.mayDispatch(1000 + SESSION_MS)).toBe(true);
      expect(l.mayDispatch(1001 + SESSION_MS)).toBe(false);
      l.heartbeat(5000);
      expect(l.mayDispatch(5000 + SESSION_MS)).toBe(true);
    });

    it('a heartbeat answered late counts from when it was sent, and never moves the confirmation back', () => {
      const l = lifecycle();
      join(l, 'm1', [0], 10_000);
      l.heartbeat(9000);
      expect(l.mayDispatch(10_000 + SESSION_MS)).toBe(true);
      l.heartbeat(11_000);
      expect(l.mayDispatch(11_000 + SESSION_MS + 1)).toBe(false);
    });

    it('nothing is dispatched after a crash until the next join', () => {
      const l = lifecycle();
      join(l, 'm1', [0], 0);
      l.crashed();
      expect(l.mayDispatch(1)).toBe(false);
      join(l, 'm2', [0], 2);
      expect(l.mayDispatch(3)).toBe(true);
    });
  });
});

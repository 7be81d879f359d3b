import { describe, expect, it } from 'vitest';
import { ChurnPlan, seededRandom, type ChurnStep, type GroupCensus } from '../support/churn-plan.js';

const groups = { handlers: 2, polling: 1 };

function steps(plan: ChurnPlan, census: Record<string, GroupCensus>, count: number): ChurnStep[] {
  return Array.from({ length: count }, () => plan.next(census)!);
}

describe('ChurnPlan', () => {
  it('gives the same steps and delays for the same seed, different ones for another seed', () => {
    const census = { handlers: { ready: 2, starting: 1 }, polling: { ready: 2, starting: 0 } };
    const run = (seed: number) => {
      const plan = new ChurnPlan(seed, { groups });
      return Array.from({ length: 50 }, () => ({ step: plan.next(census), delay: plan.nextDelayMs() }));
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });

  it('chooses every kind of step once before it repeats one', () => {
    const census = { handlers: { ready: 2, starting: 0 }, polling: { ready: 2, starting: 0 } };
    for (const seed of [1, 2, 3, 4, 5]) {
      const plan = new ChurnPlan(seed, { groups });
      expect(new Set(steps(plan, census, 4).map((s) => s.kind))).toEqual(
        new Set(['start', 'term', 'term-starting', 'kill-joining']),
      );
    }
  });

  it('chooses a kind that missed its moment first again', () => {
    const census = { handlers: { ready: 2, starting: 0 }, polling: { ready: 2, starting: 0 } };
    for (const seed of [1, 2, 3, 4, 5]) {
      const plan = new ChurnPlan(seed, { groups });
      steps(plan, census, 4);
      plan.missed('kill-joining');
      expect(plan.next(census)!.kind).toBe('kill-joining');
    }
  });

  it('never SIGTERMs the last ready member of a group', () => {
    const plan = new ChurnPlan(1, { groups, minReady: 1 });
    const census = { handlers: { ready: 1, starting: 0 }, polling: { ready: 1, starting: 2 } };
    const all = steps(plan, census, 500);
    expect(all.filter((s) => s.kind === 'term')).toEqual([]);
    expect(new Set(all.map((s) => s.kind))).toEqual(new Set(['start', 'term-starting', 'kill-joining']));
  });

  it('starts nothing in a group at maxMembers: it SIGTERMs one of its ready members instead', () => {
    const plan = new ChurnPlan(2, { groups: { handlers: 1 }, maxMembers: 4 });
    const all = steps(plan, { handlers: { ready: 3, starting: 1 } }, 200);
    expect(new Set(all.map((s) => s.kind))).toEqual(new Set(['term']));
    for (const step of all) expect(step.victim).toBeGreaterThanOrEqual(0);
    for (const step of all) expect(step.victim).toBeLessThan(3);
    expect(new Set(all.map((s) => s.victim)).size).toBe(3);
  });

  it('uses every action and every group, in proportion to the group weights', () => {
    const plan = new ChurnPlan(3, { groups });
    const census = { handlers: { ready: 2, starting: 0 }, polling: { ready: 2, starting: 0 } };
    const all = steps(plan, census, 3000);
    const handlerShare = all.filter((s) => s.group === 'handlers').length / all.length;
    expect(handlerShare).toBeGreaterThan(0.6);
    expect(handlerShare).toBeLessThan(0.73);
    expect(new Set(all.map((s) => s.kind))).toEqual(new Set(['start', 'term', 'term-starting', 'kill-joining']));
  });

  it('signals a starting member either while it boots, after a bounded delay, or once it joins', () => {
    const plan = new ChurnPlan(4, { groups, bootDelayMs: [100, 1500] });
    const census = { handlers: { ready: 1, starting: 0 }, polling: { ready: 1, starting: 0 } };
    const starting = steps(plan, census, 1000).filter((s) => s.kind === 'term-starting');
    expect(new Set(starting.map((s) => s.phase))).toEqual(new Set(['booting', 'joining']));
    for (const s of starting) {
      if (s.phase === 'joining') expect(s.bootDelayMs).toBeUndefined();
      else expect(s.bootDelayMs).toBeGreaterThanOrEqual(100);
      if (s.phase === 'booting') expect(s.bootDelayMs).toBeLessThanOrEqual(1500);
    }
  });

  it('draws delays between the bounds', () => {
    const plan = new ChurnPlan(5, { groups, intervalMs: [2000, 5000] });
    const delays = Array.from({ length: 1000 }, () => plan.nextDelayMs());
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(2000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(5000);
    expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(2500);
  });

  it('waits (no step) while every group is full of starters at its minimum of ready members', () => {
    const plan = new ChurnPlan(6, { groups, minReady: 1, maxMembers: 3 });
    const full = { handlers: { ready: 1, starting: 2 }, polling: { ready: 1, starting: 2 } };
    expect(plan.next(full)).toBeUndefined();
    expect(plan.next({ ...full, polling: { ready: 2, starting: 1 } })).toMatchObject({
      group: 'polling',
      kind: 'term',
    });
  });

  it('refuses options that leave no group or no room to churn', () => {
    expect(() => new ChurnPlan(1, { groups: {} })).toThrow(/no groups/);
    expect(() => new ChurnPlan(1, { groups, minReady: 2, maxMembers: 2 })).toThrow(/maxMembers/);
  });

  it('seededRandom draws in [0, 1)', () => {
    const random = seededRandom(42);
    const draws = Array.from({ length: 10_000 }, random);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
    expect(draws.reduce((a, b) => a + b, 0) / draws.length).toBeCloseTo(0.5, 1);
  });
});

/**
 * The seeded plan of a membership churn storm (test/reliability/churn-storm.e2e-spec.ts): which
 * group acts next, what it does and when. Pure (no Kafka, no processes), unit-tested in
 * test/unit/churn-plan.spec.ts. The same seed gives the same sequence of decisions for the same
 * census; the storm's timing still varies with the machine, so a seed replays the plan, not the run.
 */

/**
 * What one step does to a group:
 * - `start`: a new member joins;
 * - `term`: a running (ready) member gets SIGTERM, never the last one;
 * - `term-starting`: a new member gets SIGTERM before it is ready, while it boots (before it
 *   contacts the group) or while it joins (once the broker lists it in the group);
 * - `kill-joining`: a new member gets SIGKILL as soon as the broker lists it in the group.
 */
export type ChurnActionKind = 'start' | 'term' | 'term-starting' | 'kill-joining';

/** Members of a group that count for the plan (members already being stopped do not). */
export interface GroupCensus {
  /** Running members that reported `ready`. */
  readonly ready: number;
  /** Members started that are not ready yet. */
  readonly starting: number;
}

export interface ChurnStep {
  readonly group: string;
  readonly kind: ChurnActionKind;
  /** `term`: index of the victim among the group's ready members. */
  readonly victim?: number;
  /** `term-starting`: signal while booting (after `bootDelayMs`) or once the broker lists it. */
  readonly phase?: 'booting' | 'joining';
  readonly bootDelayMs?: number;
}

export interface ChurnPlanOptions {
  /** Groups and how often each is picked (relative weights). */
  readonly groups: Readonly<Record<string, number>>;
  /** Ready members a group keeps at least (a `term` is never chosen below it). Default 1. */
  readonly minReady?: number;
  /** Members (ready and starting) a group has at most (no new member above it). Default 4. */
  readonly maxMembers?: number;
  /** Pause between two steps, drawn uniformly. Default 2000-5000 ms. */
  readonly intervalMs?: readonly [number, number];
  /** Delay before a `term-starting` of the `booting` phase, drawn uniformly. Default 100-1500 ms. */
  readonly bootDelayMs?: readonly [number, number];
}

/** mulberry32: a small, well-mixed 32-bit generator; enough for test plans. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Weights of the actions open to a group with this census. */
function actionWeights(census: GroupCensus, minReady: number, maxMembers: number): Array<[ChurnActionKind, number]> {
  const weights: Array<[ChurnActionKind, number]> = [];
  if (census.ready + census.starting < maxMembers) {
    weights.push(['start', 2], ['term-starting', 1], ['kill-joining', 1]);
  }
  if (census.ready > minReady) weights.push(['term', 2]);
  return weights;
}

export class ChurnPlan {
  private readonly random: () => number;
  private readonly minReady: number;
  private readonly maxMembers: number;
  private readonly intervalMs: readonly [number, number];
  private readonly bootDelayMs: readonly [number, number];
  private readonly chosen = new Set<ChurnActionKind>();

  constructor(
    readonly seed: number,
    private readonly options: ChurnPlanOptions,
  ) {
    if (Object.keys(options.groups).length === 0) throw new Error('ChurnPlan: no groups');
    this.random = seededRandom(seed);
    this.minReady = options.minReady ?? 1;
    this.maxMembers = options.maxMembers ?? 4;
    if (this.maxMembers <= this.minReady) throw new Error('ChurnPlan: maxMembers must exceed minReady');
    this.intervalMs = options.intervalMs ?? [2000, 5000];
    this.bootDelayMs = options.bootDelayMs ?? [100, 1500];
  }

  /**
   * A step of this kind missed its moment (the member was ready before the signal): the kind goes
   * first again, so a storm still signals a member before it is ready.
   */
  missed(kind: ChurnActionKind): void {
    this.chosen.delete(kind);
  }

  /** Milliseconds to wait before the next step. */
  nextDelayMs(): number {
    return this.between(this.intervalMs);
  }

  /**
   * The next step, given each group's census; `undefined` when no group can act (every group at
   * `maxMembers` with no more than `minReady` ready: its starters must get ready first). The plan
   * never stops a group's last `minReady` ready members. Kinds not chosen yet go first, so a
   * short storm still has every kind of step.
   */
  next(census: Readonly<Record<string, GroupCensus>>): ChurnStep | undefined {
    const choices = Object.entries(this.options.groups).flatMap(([group, weight]) => {
      const actions = actionWeights(census[group] ?? { ready: 0, starting: 0 }, this.minReady, this.maxMembers);
      const total = actions.reduce((sum, [, w]) => sum + w, 0);
      // Each group keeps its weight; its actions share it.
      return actions.map(([kind, w]) => ({ group, kind, weight: (weight * w) / total }));
    });
    if (choices.length === 0) return undefined;
    const unseen = choices.filter((c) => !this.chosen.has(c.kind));
    const { group, kind } = this.weighted(unseen.length > 0 ? unseen : choices);
    this.chosen.add(kind);
    switch (kind) {
      case 'term':
        return { group, kind, victim: Math.floor(this.random() * census[group].ready) };
      case 'term-starting': {
        const phase = this.random() < 0.5 ? 'booting' : 'joining';
        return phase === 'booting'
          ? { group, kind, phase, bootDelayMs: this.between(this.bootDelayMs) }
          : { group, kind, phase };
      }
      default:
        return { group, kind };
    }
  }

  private between([low, high]: readonly [number, number]): number {
    return Math.round(low + this.random() * (high - low));
  }

  private weighted<T extends { weight: number }>(choices: T[]): T {
    const total = choices.reduce((sum, c) => sum + c.weight, 0);
    let draw = this.random() * total;
    for (const choice of choices) {
      draw -= choice.weight;
      if (draw < 0) return choice;
    }
    return choices[choices.length - 1];
  }
}

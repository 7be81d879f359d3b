/**
 * The members of a churn storm (test/reliability/churn-storm.e2e-spec.ts): child-process members
 * of one or more groups, started and signalled by the steps of a `ChurnPlan` (./churn-plan.ts),
 * every one watched by the delivery checker. What the broker says about each group (which client
 * ids it lists, in which state) comes from admin `describeGroups`, so "joining" and "left" are the
 * broker's view, not the member's.
 *
 * Each SIGTERM is checked: the process exits within `exitTimeoutMs`, cleanly (code 0, or killed by
 * the re-raised SIGTERM), and the broker no longer lists it once it has exited (it left the group
 * rather than waiting to expire). What went wrong is collected in `problems` (hung or failed
 * exits, steps that could not run) and `stillListed` (members listed after a SIGTERM exit).
 */
import type { Admin } from 'kafkajs';
import {
  spawnConsumerApp,
  type ChildConsumerApp,
  type ChildExit,
  type ConsumerAppOptions,
} from './child-app/spawn-consumer-app.js';
import type { ChurnActionKind, ChurnStep, GroupCensus } from './churn-plan.js';
import type { DeliveryChecker } from './delivery-checker.js';

export interface FleetMember {
  readonly app: ChildConsumerApp;
  readonly group: string;
  /** Its rank among the members the group started (0 for the first). */
  readonly index: number;
  readonly clientId: string;
  /** Set for members the plan stops before they are ready (`term-starting`, `kill-joining`). */
  readonly doomed: boolean;
  stopping: boolean;
}

/** One signal the storm sent, and how the member took it. */
export interface SignalRecord {
  readonly member: string;
  readonly kind: ChurnActionKind;
  /** `term-starting`: while it booted or while it joined. */
  readonly phase?: 'booting' | 'joining';
  readonly signal: 'SIGTERM' | 'SIGKILL';
  /** The member had not reported `ready` when signalled. */
  readonly beforeReady: boolean;
  /** The group was rebalancing (PreparingRebalance / CompletingRebalance) when the member was signalled. */
  readonly duringRebalance: boolean;
  readonly exit: ChildExit;
}

/** Options of the `index`-th member of a group (its name, client id and worker settings are the fleet's). */
export type MemberOptions = (index: number) => Omit<ConsumerAppOptions, 'groupId' | 'name' | 'waitUntilReady'>;

const REBALANCING = new Set(['PreparingRebalance', 'CompletingRebalance']);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class ChurnFleet {
  readonly members: FleetMember[] = [];
  readonly signals: SignalRecord[] = [];
  readonly problems: string[] = [];
  readonly stillListed: string[] = [];
  private readonly started = new Map<string, number>();
  private stopped = false;

  constructor(
    private readonly admin: Admin,
    private readonly checker: DeliveryChecker,
    private readonly options: Readonly<Record<string, MemberOptions>>,
    private readonly exitTimeoutMs = 40_000,
  ) {}

  /** Starts the group's next member (not waiting for `ready`). */
  async start(group: string, doomed = false): Promise<FleetMember> {
    const index = this.started.get(group) ?? 0;
    this.started.set(group, index + 1);
    const clientId = `${group}-m${index}`;
    const options = this.options[group](index);
    const app = await spawnConsumerApp({
      ...options,
      groupId: group,
      name: `${options.kind ?? 'handler'}-m${index}${doomed ? '-doomed' : ''}`,
      waitUntilReady: false,
      env: { ...options.env, WORKER_CLIENT_ID: clientId },
    });
    const member: FleetMember = { app, group, index, clientId, doomed, stopping: doomed };
    this.members.push(member);
    this.checker.watch(app, group);
    return member;
  }

  /** Members of `group` still running that the storm is not stopping. */
  live(group: string): FleetMember[] {
    return this.members.filter((m) => m.group === group && !m.stopping && !m.app.exit);
  }

  ready(member: FleetMember): boolean {
    return member.app.events.some((e) => e.type === 'ready');
  }

  census(): Record<string, GroupCensus> {
    return Object.fromEntries(
      Object.keys(this.options).map((group) => {
        const live = this.live(group);
        const ready = live.filter((m) => this.ready(m)).length;
        return [group, { ready, starting: live.length - ready }];
      }),
    );
  }

  /** Runs one step of the plan to its end (the signalled member has exited); the signal it sent, if any. */
  async run(step: ChurnStep): Promise<SignalRecord | undefined> {
    if (this.stopped) return;
    if (step.kind === 'start') {
      await this.start(step.group);
      return;
    }
    if (step.kind === 'term') {
      const victim = this.live(step.group).filter((m) => this.ready(m))[step.victim ?? 0];
      if (!victim) return;
      victim.stopping = true;
      return this.signal(victim, step, 'SIGTERM');
    }
    const member = await this.start(step.group, true);
    let state: string | undefined;
    if (step.kind === 'term-starting' && step.phase === 'booting') await sleep(step.bootDelayMs ?? 0);
    else state = await this.waitListed(member);
    return this.signal(member, step, step.kind === 'kill-joining' ? 'SIGKILL' : 'SIGTERM', state);
  }

  /** Client ids the broker lists in `group`, and its state. */
  async describe(group: string): Promise<{ state: string; clientIds: string[] }> {
    const { groups } = await this.admin.describeGroups([group]);
    return { state: groups[0]?.state ?? 'Dead', clientIds: (groups[0]?.members ?? []).map((m) => m.clientId) };
  }

  /**
   * Leaves `keep` members in `group` (ready ones first): SIGTERMs the others and waits for them;
   * starts one if none runs.
   */
  async trim(group: string, keep: number): Promise<void> {
    if (this.live(group).length === 0) await this.start(group);
    const live = this.live(group).toSorted((a, b) => Number(this.ready(b)) - Number(this.ready(a)));
    const extra = live.slice(keep);
    for (const m of extra) m.stopping = true;
    await Promise.all(extra.map((m) => this.signal(m, { kind: 'term' }, 'SIGTERM')));
  }

  /** SIGTERMs every member still running and waits for each to exit (checked like any SIGTERM). */
  async stopAll(): Promise<void> {
    this.stopped = true;
    const running = this.members.filter((m) => !m.app.exit);
    for (const m of running) m.stopping = true;
    await Promise.all(running.map((m) => this.signal(m, { kind: 'term' }, 'SIGTERM')));
  }

  /** Members that exited although nobody signalled them (a crash): their output. */
  unexpectedExits(): string[] {
    return this.members
      .filter((m) => !m.stopping && m.app.exit)
      .map((m) => `${m.clientId} exited on its own (${JSON.stringify(m.app.exit)}): ${m.app.output(2000)}`);
  }

  /**
   * Waits until the broker lists the member in its group (it sent JoinGroup with its member id);
   * returns the group's state then.
   */
  private async waitListed(member: FleetMember, timeoutMs = 90_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (member.app.exit) throw new Error(`${member.clientId} exited before joining: ${member.app.output(3000)}`);
      const listed = await this.describe(member.group).catch(() => undefined);
      if (listed?.clientIds.includes(member.clientId)) return listed.state;
      if (Date.now() > deadline) throw new Error(`${member.clientId} never listed in ${member.group}`);
      await sleep(100);
    }
  }

  private async signal(
    member: FleetMember,
    { kind, phase }: Pick<ChurnStep, 'kind' | 'phase'>,
    signal: 'SIGTERM' | 'SIGKILL',
    groupState?: string,
  ): Promise<SignalRecord | undefined> {
    const state =
      groupState ??
      (await this.describe(member.group).then(
        (d) => d.state,
        () => 'unknown',
      ));
    const beforeReady = !this.ready(member);
    member.app.kill(signal);
    const exit = await member.app.waitForExit(this.exitTimeoutMs).catch((error: unknown) => {
      this.problems.push(`${member.clientId} did not exit after ${signal}: ${String(error)}`);
      return undefined;
    });
    if (!exit) return;
    const record: SignalRecord = {
      member: member.clientId,
      kind,
      phase,
      signal,
      beforeReady,
      duringRebalance: REBALANCING.has(state),
      exit,
    };
    this.signals.push(record);
    if (signal === 'SIGKILL') return record;
    if (exit.code !== 0 && exit.signal !== 'SIGTERM') {
      this.problems.push(
        `${member.clientId} exited ${JSON.stringify(exit)} after SIGTERM${beforeReady ? ' before ready' : ''}: ${member.app.output(3000)}`,
      );
    }
    const { clientIds } = await this.describe(member.group);
    if (clientIds.includes(member.clientId)) {
      const when = kind === 'term-starting' ? `while ${phase}` : beforeReady ? 'before ready' : 'once ready';
      this.stillListed.push(
        `${member.clientId} (${member.app.name}, ${kind}) SIGTERMed ${when}, exited ${JSON.stringify(exit)}`,
      );
    }
    return record;
  }
}

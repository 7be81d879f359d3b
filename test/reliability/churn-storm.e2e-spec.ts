/**
 * Reliability scenario 5: a membership churn storm. While records flow, members join and leave
 * every 2-5 s (a seeded plan, test/support/churn-plan.ts): a new member starts, a running one gets
 * SIGTERM, a new one gets SIGTERM while it boots or joins (before `ready`), or SIGKILL as soon as
 * the broker lists it in the group (mid-join: the group waits for its session to expire). Two
 * groups consume the same topic:
 * - handler members (child processes, one `@ConsumeTopic` handler each) whose concurrency mode
 *   rotates by member: `'partition'`, `'key'`, `'unordered'` (mixing modes in one group is
 *   legitimate; so the group promises no order, since `'unordered'` members keep none);
 * - polling members (`PollingConsumer` loops that process what they poll, then commit it) in a
 *   group of their own: a group of polling consumers is the common setup, and it keeps the
 *   per-partition order assertion.
 * Then the storm stops, each group keeps two members, and the test waits for lag 0: nothing lost,
 * a duplicate only inside the uncommitted window, every partition committed to its end, every
 * SIGTERMed member left its group on exit, killed members expired, and once all stop no member is
 * left in either group. CHURN_SEED=<n> replays a plan (not its timing); the default seed is fixed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { stopAllConsumerApps } from '../support/child-app/spawn-consumer-app.js';
import { ChurnFleet, type SignalRecord } from '../support/churn-fleet.js';
import { ChurnPlan, type ChurnStep } from '../support/churn-plan.js';
import { DeliveryChecker } from '../support/delivery-checker.js';
import { formatReport } from '../support/delivery-ledger.js';
import { brokers, KafkaTestKit, unique, waitFor } from '../support/kafka.js';
import { assertDelivery, full, scaled } from './scale.js';

const PARTITIONS = 6;
const SESSION_TIMEOUT_MS = 6000;
const MODES = ['partition', 'key', 'unordered'] as const;
const RECORDS = scaled(3000, 50_000);
const STORM_MS = scaled(30_000, 150_000);
// A fixed plan by default (CI); CHURN_SEED=<n> replays another, CHURN_SEED=random draws one.
const SEED =
  process.env.CHURN_SEED === 'random'
    ? Math.floor(Math.random() * 2 ** 31)
    : Number(process.env.CHURN_SEED ?? 20_261_202);
const KINDS = ['start', 'term', 'term-starting', 'kill-joining'] as const;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('reliability: membership churn storm', () => {
  const kit = new KafkaTestKit();
  let checker: DeliveryChecker | undefined;
  afterEach(async () => {
    await checker?.close();
    checker = undefined;
    await stopAllConsumerApps();
    await kit.close();
  });

  it(`members join and leave every 2-5 s (seed ${SEED}): 0 lost, every partition consumed, no member left`, async () => {
    const topic = await kit.createTopic(unique('rel-churn'), PARTITIONS);
    const handlers = unique('rel-churn-handlers');
    const polling = unique('rel-churn-polling');
    const admin = await kit.getAdmin();
    checker = new DeliveryChecker(brokers());
    const member = { topic, sessionTimeoutMs: SESSION_TIMEOUT_MS, heartbeatIntervalMs: 500, handlerDelayMs: 1 };
    const modeOf = (index: number) => MODES[index % MODES.length];
    const fleet = new ChurnFleet(admin, checker, {
      [handlers]: (index) => ({
        ...member,
        commitIntervalMs: 200,
        shutdownTimeoutMs: 5000,
        moduleOptions: { concurrency: { mode: modeOf(index) } },
      }),
      [polling]: () => ({ ...member, kind: 'polling' }),
    });
    const groups = [handlers, polling];

    // One handler member per mode, one polling member; all processing before the storm starts.
    const initial = await Promise.all([...MODES.map(() => fleet.start(handlers)), fleet.start(polling)]);
    for (const group of groups) checker.startSampling(group, [topic]);
    const producing = checker.startProducing(topic, {
      total: RECORDS,
      batchSize: full ? 25 : 10,
      intervalMs: full ? 50 : 100,
    });
    await waitFor(
      'every initial member to process records',
      () => initial.every((m) => m.app.processed().length >= 10),
      120_000,
    );

    // The storm: a step every 2-5 s (fault pacing, not synchronisation) for STORM_MS; the plan takes
    // every kind of step once first. Each step runs on its own while the next ones come.
    const plan = new ChurnPlan(SEED, { groups: { [handlers]: 2, [polling]: 1 }, maxMembers: 4 });
    const steps: ChurnStep[] = [];
    const running: Array<Promise<void>> = [];
    const stormStart = Date.now();
    while (Date.now() - stormStart < STORM_MS) {
      await sleep(plan.nextDelayMs());
      const step = plan.next(fleet.census());
      if (!step) continue;
      steps.push(step);
      running.push(
        fleet.run(step).then(
          (signalled) => {
            if (signalled && signalled.kind !== 'term' && !signalled.beforeReady) plan.missed(signalled.kind);
          },
          (error: unknown) => {
            fleet.problems.push(`step ${JSON.stringify(step)}: ${String(error)}`);
          },
        ),
      );
    }
    await Promise.all(running);
    const stormMs = Date.now() - stormStart;

    // Calm: two members per group, every one of them ready.
    for (const group of groups) await fleet.trim(group, 2);
    await waitFor(
      'the remaining members to be ready',
      () => groups.every((g) => fleet.live(g).every((m) => fleet.ready(m))),
      120_000,
    );
    await waitFor('the producer to finish', () => producing.acknowledged() >= RECORDS, 300_000, 200);
    await producing.stop();
    const listedLive = async (group: string) => {
      const { clientIds } = await fleet.describe(group);
      const live = fleet.live(group).map((m) => m.clientId);
      return clientIds.length === live.length && live.every((id) => clientIds.includes(id));
    };
    // Killed members stay listed until their session expires: then only the live ones remain.
    await waitFor(
      'each group to list exactly its live members (the killed ones expired)',
      async () => (await listedLive(handlers)) && (await listedLive(polling)),
      SESSION_TIMEOUT_MS * 5 + 30_000,
      250,
    );
    const covered = (group: string) => {
      const owned = fleet.live(group).flatMap((m) => m.app.assignment().map((tp) => tp.partition));
      return owned.length === PARTITIONS && new Set(owned).size === PARTITIONS;
    };
    await waitFor('every partition assigned to exactly one live member of each group', () => groups.every(covered));
    const settleStart = Date.now();
    const reports = {
      handlers: await checker.settle(handlers, [topic], { timeoutMs: 180_000 }),
      polling: await checker.settle(polling, [topic], { timeoutMs: 180_000 }),
    };
    const settleMs = Date.now() - settleStart;
    const ends = await admin.fetchTopicOffsets(topic);
    const unconsumed: string[] = [];
    for (const group of groups) {
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      for (const end of ends) {
        const at = committed.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
        // An empty partition (no key of the run hashed to it) has nothing to commit.
        if (at !== end.high && !(at === '-1' && end.high === end.low))
          unconsumed.push(`${group}[${end.partition}] committed ${at} of ${end.high}`);
      }
    }

    await fleet.stopAll();
    const leftover = await Promise.all(groups.map((g) => fleet.describe(g)));

    const count = (predicate: (s: SignalRecord) => boolean) => fleet.signals.filter(predicate).length;
    const processedIn = (mode: (typeof MODES)[number]) =>
      fleet.members
        .filter((m) => m.group === handlers && modeOf(m.index) === mode)
        .reduce((sum, m) => sum + m.app.processed().length, 0);
    const figures = {
      seed: SEED,
      'storm s': (stormMs / 1000).toFixed(0),
      steps: KINDS.map((k) => `${k} ${steps.filter((s) => s.kind === k).length}`).join(' / '),
      'members started': fleet.members.length,
      'SIGTERM while booting': count((s) => s.phase === 'booting' && s.beforeReady),
      'SIGTERM while joining': count((s) => s.phase === 'joining' && s.beforeReady),
      'SIGKILL while joining': count((s) => s.kind === 'kill-joining' && s.beforeReady),
      'signalled during a rebalance': count((s) => s.duringRebalance),
      'lag 0 after ms': settleMs,
    };
    const processed = MODES.map((mode) => `${mode} ${processedIn(mode)}`).join(' / ');
    console.log(formatReport('5 churn storm, handler group', reports.handlers, { ...figures, processed }));
    console.log(formatReport('5 churn storm, polling group', reports.polling, figures));

    expect(fleet.problems, 'steps that failed, SIGTERMs that hung or failed').toEqual([]);
    expect(fleet.unexpectedExits(), 'members that exited on their own').toEqual([]);
    expect(
      count((s) => s.kind === 'term-starting' && s.beforeReady),
      'SIGTERMs during startup',
    ).toBeGreaterThan(0);
    expect(
      count((s) => s.kind === 'kill-joining' && s.beforeReady),
      'SIGKILLs during a join',
    ).toBeGreaterThan(0);
    for (const mode of MODES) expect(processedIn(mode), `records processed by ${mode}-mode members`).toBeGreaterThan(0);
    expect(unconsumed, 'partitions not committed to their end').toEqual([]);
    for (const [i, group] of groups.entries()) {
      expect(leftover[i].clientIds, `members left in ${group}`).toEqual([]);
      expect(['Empty', 'Dead']).toContain(leftover[i].state);
    }
    assertDelivery(reports.handlers, { order: 'none' });
    assertDelivery(reports.polling);
    // A member SIGTERMed while joining leaves too: close() lets the join finish, then leaves
    // (handlers: consumer-group.runner.ts, S8; polling: polling-consumer.ts, polling-close-while-joining).
    expect(fleet.stillListed, 'SIGTERMed members still listed in their group after they exited').toEqual([]);
  }, 600_000);
});

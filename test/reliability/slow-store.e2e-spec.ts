/**
 * Reliability scenario 4: the external offset store (PostgreSQL, Redis) turns slow, then
 * black-holed, while the group goes through a rolling restart and a crash. Every member reaches
 * its store through one TCP proxy (test/support/tcp-proxy.ts) that first adds latency to every
 * round trip, then forwards nothing for several seconds (longer than the store timeouts), then
 * heals. Meanwhile:
 *   - slow store: a replacement joins and, while its claims (store loads) are in flight, the
 *     member it replaces gets SIGTERM;
 *   - black-holed store: the next member gets SIGTERM (its final commit cannot be stored) right
 *     after its replacement joined, and another member is SIGKILLed;
 *   - healed: a replacement for the killed member joins.
 * Afterwards the group is stable and every partition's stored offset is at its log end (lag 0),
 * nothing was lost, nothing committed was delivered again, no order violation, no stored offset
 * went down; every SIGTERMed member exited within its shutdownTimeoutMs plus a margin.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  spawnConsumerApp,
  stopAllConsumerApps,
  type ChildConsumerApp,
  type ChildExit,
} from '../support/child-app/spawn-consumer-app.js';
import { DeliveryChecker, type CommittedOffset, type Producing } from '../support/delivery-checker.js';
import { formatReport } from '../support/delivery-ledger.js';
import { brokers, KafkaTestKit, unique, waitFor } from '../support/kafka.js';
import { storeFixture, type StoreFixture } from '../support/offset-stores.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { assertDelivery, full, scaled } from './scale.js';

const storeSetup = fileURLToPath(new URL('../support/crash/store-setup.ts', import.meta.url));
const PARTITIONS = 6;
const SHUTDOWN_TIMEOUT_MS = 5000;
/**
 * Leaving the group, disconnecting and exiting follow the shutdown budget: under a second when the
 * store answers and the machine is idle (1.9 to 2.6 s from SIGTERM with the slow store, final
 * commit included), several seconds on a loaded machine.
 */
const EXIT_MARGIN_MS = 8000;
/** Store calls give up after this; the black-hole lasts longer. */
const STORE_TIMEOUT_MS = 4000;
/**
 * The drivers' own timeouts (pg's query_timeout, ioredis' commandTimeout), raised past the exit
 * bound: a member whose exit waited for its hung store connection (pg's pool.end() for the hung
 * save, ioredis' QUIT for its reply) instead of the shutdown budget would exit after about this long.
 */
const DRIVER_TIMEOUT_MS = 20_000;
/** Each way: a round trip takes 0.8 s, a PostgreSQL save (BEGIN, UPDATE, COMMIT) 2.4 s. */
const LATENCY_MS = 400;
const BLACK_HOLE_MS = scaled(8000, 15_000);
const upstreamPorts = { postgres: 5432, redis: 6379 } as const;

interface Termination {
  name: string;
  exit: ChildExit;
  exitMs: number;
  /** Records the replacement had processed when the signal was sent (0: its claims still in flight). */
  replacementProcessed: number;
}

function processedSince(app: ChildConsumerApp, since: number): number {
  return app.processed().filter((e) => e.at >= since).length;
}

describe.each(['postgres', 'redis'] as const)('reliability: a slow, then black-holed %s offset store', (kind) => {
  const kit = new KafkaTestKit();
  const proxy = new TcpProxy('127.0.0.1', upstreamPorts[kind]);
  let checker: DeliveryChecker | undefined;
  let producing: Producing | undefined;
  let store: StoreFixture | undefined;
  afterEach(async () => {
    await producing?.stop();
    producing = undefined;
    await checker?.close();
    checker = undefined;
    await stopAllConsumerApps();
    await proxy.stop();
    await store?.cleanup();
    store = undefined;
    await kit.close();
  });

  it('rolling restart and a crash: lag 0 on every partition of the stable group, SIGTERMed members exit within shutdownTimeoutMs', async () => {
    const started = Date.now();
    const phase = (what: string) => {
      if (process.env.TEST_LOGS) console.log(`[slow-store ${kind}] +${Date.now() - started} ms ${what}`);
    };
    const topic = await kit.createTopic(unique(`rel-slow-store-${kind}`), PARTITIONS);
    const groupId = unique(`rel-slow-store-${kind}`);
    const fixture = storeFixture(kind);
    store = fixture;
    const port = await proxy.start();
    const read = async (): Promise<CommittedOffset[]> =>
      Object.entries(await fixture.read(groupId, topic)).map(([partition, offset]) => ({
        topic,
        partition: Number(partition),
        offset: Number(offset),
      }));
    checker = new DeliveryChecker(brokers());
    const spawn = async (name: string) =>
      checker!.watch(
        await spawnConsumerApp({
          topic,
          groupId,
          name,
          sessionTimeoutMs: 10_000,
          heartbeatIntervalMs: 1000,
          commitIntervalMs: 200,
          shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS,
          handlerDelayMs: 2,
          setupModule: storeSetup,
          moduleOptions: { offsetStoreLoadTimeoutMs: STORE_TIMEOUT_MS, offsetStoreSaveTimeoutMs: STORE_TIMEOUT_MS },
          env: {
            CRASH_STORE: kind,
            CRASH_STORE_OPTIONS: JSON.stringify({ ...fixture.options, driverTimeoutMs: String(DRIVER_TIMEOUT_MS) }),
            POSTGRES_URL: `postgres://postgres@127.0.0.1:${port}/test`,
            REDIS_URL: `redis://127.0.0.1:${port}`,
          },
          readyTimeoutMs: 90_000,
        }),
        groupId,
      );
    const terminations: Termination[] = [];
    /** SIGTERMs `app`; `meanwhile` runs while it shuts down (e.g. heals the store at a deadline). */
    const terminate = async (app: ChildConsumerApp, replacement: ChildConsumerApp, meanwhile?: () => Promise<void>) => {
      const replacementProcessed = replacement.processed().length;
      const signalledAt = Date.now();
      app.kill('SIGTERM');
      const exitedAt = app.waitForExit(120_000).then((exit) => ({ exit, at: Date.now() }));
      exitedAt.catch(() => undefined); // awaited below, after `meanwhile`
      await meanwhile?.();
      const { exit, at } = await exitedAt;
      terminations.push({ name: app.name, exit, exitMs: at - signalledAt, replacementProcessed });
      phase(`${app.name} exited after ${at - signalledAt} ms`);
    };

    const [a, b] = await Promise.all([spawn('a'), spawn('b')]);
    checker.startSampling(groupId, [topic], 250, read);
    producing = checker.startProducing(topic, { intervalMs: full ? 20 : 40 });
    await waitFor(
      'both members to process records',
      () => a.processed().length >= 50 && b.processed().length >= 50,
      60_000,
    );
    phase('records flow');

    // Slow store: a's replacement claims its partitions at 0.8 s a round trip while a shuts down.
    const slowAt = Date.now();
    proxy.delay(LATENCY_MS);
    const a2 = await spawn('a2');
    await terminate(a, a2);
    const a2Ready = a2.events.find((e) => e.type === 'ready')!.at;
    const a2FirstRecordMs =
      (await a2.waitForEvent('a2 to process a record', (e) => e.type === 'processed', 90_000)).at - a2Ready;
    await waitFor('a2 to process records with the slow store', () => processedSince(a2, slowAt) >= 50, 90_000);
    const slowProcessed = checker.deliveredCount([groupId]);
    phase('slow phase done');

    // Black-holed store: b2 joins first (a store unreachable at startup fails bootstrap), then b is
    // SIGTERMed and a2 SIGKILLed; the store stays black-holed for BLACK_HOLE_MS and until b exited.
    const b2 = await spawn('b2');
    const holeAt = Date.now();
    proxy.blackHole();
    phase('black-holed');
    const healAt = { at: 0 };
    await terminate(b, b2, async () => {
      a2.kill('SIGKILL');
      await waitFor(
        `the black-hole to last ${BLACK_HOLE_MS} ms and b to exit`,
        () => Date.now() - holeAt >= BLACK_HOLE_MS && b.exit !== null,
        SHUTDOWN_TIMEOUT_MS + EXIT_MARGIN_MS + BLACK_HOLE_MS,
      ).catch(() => undefined); // b's exit is judged below; the store heals either way
      proxy.heal();
      proxy.delay(0);
      healAt.at = Date.now();
      phase('healed');
    });
    await a2.waitForExit();

    // Healed: a replacement for the killed member; the group settles with b2 and a3.
    const a3 = await spawn('a3');
    await waitFor(
      'b2 and a3 to process records after the heal',
      () => processedSince(b2, healAt.at) >= 50 && processedSince(a3, healAt.at) >= 20,
      120_000,
    );
    await producing.stop();
    const producedUntil = Date.now();
    const report = await checker.settle(groupId, [topic], { read, timeoutMs: 180_000 });
    const settledMs = Date.now() - producedUntil;
    phase('lag 0');

    const admin = await checker.admin();
    const group = await waitFor(
      'the group to be stable with b2 and a3',
      async () => {
        const [described] = (await admin.describeGroups([groupId])).groups;
        return described.state === 'Stable' && described.members.length === 2 ? described : undefined;
      },
      60_000,
    );
    const stored = await read();
    const lagByPartition = (await admin.fetchTopicOffsets(topic))
      .map((end) => ({
        partition: end.partition,
        lag: Number(end.high) - (stored.find((s) => s.partition === end.partition)?.offset ?? Number(end.low)),
      }))
      .toSorted((x, y) => x.partition - y.partition);

    console.log(
      formatReport(`4 slow then black-holed ${kind} store, rolling restart and a SIGKILL`, report, {
        'processed by the end of the slow phase': slowProcessed,
        'slow phase: replacement first record after join ms': a2FirstRecordMs,
        'black-holed for ms': healAt.at - holeAt,
        'exit after SIGTERM ms': terminations.map((t) => `${t.name} ${t.exitMs}`).join(' / '),
        'replacement records at SIGTERM': terminations.map((t) => `${t.name} ${t.replacementProcessed}`).join(' / '),
        'a3 first record after heal ms': (a3.processed()[0]?.at ?? NaN) - healAt.at,
        'lag 0 after the producer stopped ms': settledMs,
      }),
    );
    expect(group?.members.length).toBe(2);
    expect(lagByPartition).toEqual([...Array(PARTITIONS).keys()].map((partition) => ({ partition, lag: 0 })));
    expect(b2.exit).toBeNull();
    expect(a3.exit).toBeNull();
    assertDelivery(report);
    for (const t of terminations) {
      expect.soft(t.exit, `${t.name} left through its shutdown hook`).toEqual({ code: null, signal: 'SIGTERM' });
      expect
        .soft(t.exitMs, `${t.name} exit after SIGTERM, ms`)
        .toBeLessThanOrEqual(SHUTDOWN_TIMEOUT_MS + EXIT_MARGIN_MS);
    }
  }, 420_000);
});

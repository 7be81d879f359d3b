import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { spawnConsumerApp, stopAllConsumerApps, type AssignedEvent } from './support/child-app/spawn-consumer-app.js';
import { KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { POSTGRES_URL } from './support/offset-stores.js';
import { startSteadyProducer, type SteadyProducer } from './support/steady-producer.js';

const setupModule = fileURLToPath(new URL('./support/late-claim/gated-store-setup.ts', import.meta.url));

type StoredRows = Map<number, { offset: string | null; epoch: number }>;

/** Every partition of `since` has a higher stored offset in `now`. */
function advanced(since: StoredRows, now: StoredRows): boolean {
  return [...since].every(([partition, { offset }]) => Number(now.get(partition)?.offset ?? -1) > Number(offset ?? -1));
}

// S1 (engine review): a claim (`load`) that lands after the partition's new owner claimed it fences
// that owner off. The owner must claim it again instead of dropping it until the next join.
describe('a late offset-store claim', () => {
  const kit = new KafkaTestKit();
  const database = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  const directory = mkdtempSync(join(tmpdir(), 'late-claim-'));
  let producer: SteadyProducer | undefined;
  let table: string | undefined;
  afterEach(async () => {
    await producer?.stop().catch(() => undefined);
    await stopAllConsumerApps();
    await kit.close();
    if (table) await database.query(`DROP TABLE IF EXISTS ${table}`);
  });
  afterAll(async () => {
    await database.end();
    rmSync(directory, { recursive: true, force: true });
  });

  async function rows(groupId: string, topic: string): Promise<StoredRows> {
    const { rows: found } = await database.query<{ partition: number; next_offset: string | null; epoch: string }>(
      `SELECT partition, next_offset, epoch FROM ${table} WHERE group_id = $1 AND topic = $2`,
      [groupId, topic],
    );
    return new Map(found.map((r) => [r.partition, { offset: r.next_offset, epoch: Number(r.epoch) }]));
  }

  async function expectEverythingStored(groupId: string, topic: string): Promise<void> {
    await producer!.stop();
    const ends = (await (await kit.getAdmin()).fetchTopicOffsets(topic)).map((p) => [p.partition, p.high] as const);
    await waitFor(
      'every partition’s stored offset to reach its log end',
      async () => {
        const stored = await rows(groupId, topic);
        return ends.every(([partition, high]) => stored.get(partition)?.offset === high);
      },
      30_000,
    );
  }

  it('trigger 1: a claim of the previous owner that lands after the new owner’s does not stop the new owner', async () => {
    const topic = await kit.createTopic(unique('late-claim'), 2);
    const groupId = unique('late-claim');
    table = unique('kc_late').replace(/-/g, '_');
    const gate = join(directory, `${groupId}.gate`);
    writeFileSync(gate, '');
    const member = {
      topic,
      groupId,
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 500,
      commitIntervalMs: 100,
      setupModule,
    };
    producer = startSteadyProducer(kit, topic, { batchSize: 10, intervalMs: 50 });
    // A's claims wait at the gate (stuck in the pool queue, say) while the group moves one partition to B.
    const a = await spawnConsumerApp({ ...member, name: 'A', env: { GATED_STORE_TABLE: table, LOAD_GATE_FILE: gate } });
    const b = await spawnConsumerApp({ ...member, name: 'B', env: { GATED_STORE_TABLE: table } });
    await waitFor('B to own one partition', () => b.assignment().length === 1 && a.assignment().length === 1, 60_000);
    const moved = b.assignment()[0].partition;
    await waitFor('B to process records of its partition', () => b.processed().some((e) => e.partition === moved));

    // A's claim of the moved partition lands now, after B's: B's next save is fenced.
    rmSync(gate);
    const landedAt = Date.now();
    await waitFor('B’s save to be fenced', () => /stale offset write/.test(b.output()), 30_000);
    await waitFor(
      'B to go on processing the partition after the fence',
      () => b.processed().filter((e) => e.partition === moved && e.at > landedAt + 1000).length >= 20,
      20_000,
    );
    await expectEverythingStored(groupId, topic);
  }, 240_000);

  it('trigger 4: a member whose consumer crashed (no restart) while claiming stops claiming', async () => {
    const topic = await kit.createTopic(unique('late-claim-crash'), 2);
    const groupId = unique('late-claim-crash');
    table = unique('kc_late').replace(/-/g, '_');
    const gate = join(directory, `${groupId}.gate`);
    const crash = join(directory, `${groupId}.crash`);
    writeFileSync(gate, '');
    const member = {
      topic,
      groupId,
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 500,
      commitIntervalMs: 100,
      setupModule,
    };
    producer = startSteadyProducer(kit, topic, { batchSize: 10, intervalMs: 50 });
    const a = await spawnConsumerApp({
      ...member,
      name: 'A',
      env: { GATED_STORE_TABLE: table, LOAD_GATE_FILE: gate, CRASH_MARKER_FILE: crash },
    });
    // A's kafkajs consumer crashes and stays down while both its claims wait at the gate.
    writeFileSync(crash, '');
    await waitFor('A’s consumer to crash', () => /stopped on a non-retriable error/.test(a.output()), 30_000);
    const b = await spawnConsumerApp({ ...member, name: 'B', env: { GATED_STORE_TABLE: table } });
    await waitFor('B to own both partitions', () => b.assignment().length === 2, 60_000);
    await waitFor(
      'B to process records of both partitions',
      () => new Set(b.processed().map((e) => e.partition)).size === 2,
    );

    // A's stale claims land once; B claims again; from then on nobody claims any more.
    rmSync(gate);
    const atLanding = (await waitFor('A’s late claims to land', async () => {
      const stored = await rows(groupId, topic);
      return stored.size === 2 && [...stored.values()].every(({ epoch }) => epoch >= 2) ? stored : undefined;
    }))!;
    const landedAt = Date.now();
    await waitFor(
      'B to go on processing both partitions after A’s claims landed',
      () =>
        new Set(
          b
            .processed()
            .filter((e) => e.at > landedAt + 2000)
            .map((e) => e.partition),
        ).size === 2,
      30_000,
    );
    // A save with a stale epoch writes nothing: offsets stored past those at the landing were saved
    // after B claimed again.
    const settled = (await waitFor('B to store offsets of both partitions again', async () => {
      const stored = await rows(groupId, topic);
      return advanced(atLanding, stored) ? stored : undefined;
    }))!;
    const settledAt = Date.now();
    // Watched for 12 s of B storing offsets: an epoch grows only by a rebalance's claims, at most one
    // per assignment of its partition a member reported since the landing; a claim loop grows it on.
    const later = (await waitFor(
      '12 s of B storing offsets of both partitions',
      async () => {
        if (Date.now() < settledAt + 12_000) return undefined;
        const stored = await rows(groupId, topic);
        return advanced(settled, stored) ? stored : undefined;
      },
      60_000,
      250,
    ))!;
    const assignmentsOf = (partition: number) =>
      [a, b]
        .flatMap((app) => app.events)
        .filter(
          (e): e is AssignedEvent =>
            e.type === 'assigned' &&
            e.at >= landedAt &&
            e.assignment.some((tp) => tp.topic === topic && tp.partition === partition),
        ).length;
    for (const [partition, { epoch }] of settled) {
      const grown = later.get(partition)!.epoch - epoch;
      expect(grown, `claims of partition ${partition} after B settled`).toBeLessThanOrEqual(assignmentsOf(partition));
    }
    await expectEverythingStored(groupId, topic);
  }, 240_000);
});

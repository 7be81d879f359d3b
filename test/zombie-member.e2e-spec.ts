import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnConsumerApp, stopAllConsumerApps } from './support/child-app/spawn-consumer-app.js';
import { KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { POSTGRES_URL, storeFixture, type StoreFixture } from './support/offset-stores.js';
import { startSteadyProducer, type SteadyProducer } from './support/steady-producer.js';

const setupModule = fileURLToPath(new URL('./support/crash/store-setup.ts', import.meta.url));

// The file store is left out: one process per file (its lock), so it has no second member to fence.
describe.each(['postgres', 'redis'] as const)('a zombie member with the %s store', (kind) => {
  const kit = new KafkaTestKit();
  const database = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  let producer: SteadyProducer | undefined;
  let store: StoreFixture | undefined;
  let effectsTable: string | undefined;
  let watching: NodeJS.Timeout | undefined;
  afterEach(async () => {
    clearInterval(watching);
    await producer?.stop().catch(() => undefined);
    await stopAllConsumerApps();
    await kit.close();
    await store?.cleanup();
    if (effectsTable) await database.query(`DROP TABLE IF EXISTS ${effectsTable}`);
    await database.end();
  });

  it('has its stale offset writes rejected after SIGSTOP/SIGCONT, and corrupts nothing', async () => {
    const topic = await kit.createTopic(unique(`zombie-${kind}`), 2);
    const groupId = unique(`zombie-${kind}`);
    store = storeFixture(kind);
    effectsTable = kind === 'postgres' ? unique('kc_effects').replace(/-/g, '_') : undefined;
    if (effectsTable) await database.query(`CREATE TABLE ${effectsTable} (id text NOT NULL)`);
    const member = {
      topic,
      groupId,
      sessionTimeoutMs: 2000,
      heartbeatIntervalMs: 300,
      commitIntervalMs: 100,
      handlerDelayMs: 5,
      setupModule,
      env: {
        CRASH_STORE: kind,
        // A member frozen inside a transaction holds its row lock until PostgreSQL ends the session.
        CRASH_STORE_OPTIONS: JSON.stringify({ ...store.options, idleInTransactionMs: '3000' }),
        ...(effectsTable ? { CRASH_EFFECTS_TABLE: effectsTable } : {}),
      },
    };
    // Stored offsets must only move forward, whoever writes them.
    const regressions: string[] = [];
    const highest: Record<number, bigint> = {};
    watching = setInterval(() => {
      store!
        .read(groupId, topic)
        .then((stored) => {
          for (const [partition, offset] of Object.entries(stored)) {
            const p = Number(partition);
            if (highest[p] !== undefined && BigInt(offset) < highest[p])
              regressions.push(`${p}: ${highest[p]} -> ${offset}`);
            if (highest[p] === undefined || BigInt(offset) > highest[p]) highest[p] = BigInt(offset);
          }
        })
        .catch(() => undefined);
    }, 50);

    producer = startSteadyProducer(kit, topic, { batchSize: 10, intervalMs: 50 });
    const zombie = await spawnConsumerApp({ ...member, name: 'zombie' });
    await waitFor('the zombie to process records', () => zombie.processed().length >= 100);
    zombie.kill('SIGSTOP');
    const frozenAt = Date.now();

    const successor = await spawnConsumerApp({ ...member, name: 'successor' });
    await waitFor('the successor to own both partitions', () => successor.assignment().length === 2);
    await waitFor(
      'the successor to process and store records',
      () => successor.processed().filter((e) => e.at > frozenAt).length >= 100,
    );
    const storedBeforeResume = await store.read(groupId, topic);
    expect(Object.keys(storedBeforeResume)).toHaveLength(2);

    zombie.kill('SIGCONT');
    await waitFor('the zombie’s stale write to be rejected', () =>
      /StaleOffsetWriteError|stale offset write/.test(zombie.output()),
    );
    await waitFor('the zombie to rejoin and share the partitions', () => zombie.assignment().length === 1, 30_000);
    await producer.stop();
    const produced = new Set(producer.produced);
    const processedIds = () => new Set([...zombie.processed(), ...successor.processed()].map((e) => e.id));
    // Generous: after SIGCONT both members rejoin and claim again (a loaded CI run needed over 30 s).
    await waitFor('every id to be processed', () => [...produced].every((id) => processedIds().has(id)), 90_000);
    const ends = Object.fromEntries(
      (await (await kit.getAdmin()).fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]),
    );
    await waitFor('the final offsets to be stored', async () => {
      const stored = await store!.read(groupId, topic);
      return Object.entries(ends).every(([partition, high]) => stored[Number(partition)] === high);
    });
    clearInterval(watching);

    expect(regressions).toEqual([]);
    for (const [partition, offset] of Object.entries(storedBeforeResume)) {
      expect(BigInt(offset)).toBeLessThanOrEqual(BigInt(ends[Number(partition)]));
    }
    if (effectsTable) {
      const { rows } = await database.query<{ total: string; distinct: string }>(
        `SELECT count(*) AS total, count(DISTINCT id) AS distinct FROM ${effectsTable}`,
      );
      expect(Number(rows[0].distinct)).toBe(produced.size);
      expect(Number(rows[0].total)).toBe(produced.size);
    }
  });
});

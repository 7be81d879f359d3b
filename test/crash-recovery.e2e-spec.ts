import { randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import {
  spawnConsumerApp,
  stopAllConsumerApps,
  type ChildConsumerApp,
} from './support/child-app/spawn-consumer-app.js';
import { KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { POSTGRES_URL, storeFixture, type StoreFixture, type StoreKind } from './support/offset-stores.js';
import { startSteadyProducer, type SteadyProducer } from './support/steady-producer.js';
import { scaled } from './reliability/scale.js';

// CI size by default; RELIABILITY_SCALE=full runs 20,000 ids through 10 kills per store.
const TOTAL = scaled(8000, 20_000);
const KILLS = scaled(6, 10);
const setupModule = fileURLToPath(new URL('./support/crash/store-setup.ts', import.meta.url));

describe.each<'kafka' | StoreKind>(['kafka', 'postgres', 'redis', 'file'])(
  'crash recovery with the %s store',
  (kind) => {
    const kit = new KafkaTestKit();
    const database = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
    let producer: SteadyProducer | undefined;
    let store: StoreFixture | undefined;
    let effectsTable: string | undefined;
    afterEach(async () => {
      await producer?.stop().catch(() => undefined);
      await stopAllConsumerApps();
      await kit.close();
      await store?.cleanup();
      if (effectsTable) await database.query(`DROP TABLE IF EXISTS ${effectsTable}`);
      await database.end();
    });

    it(`processes every one of ${TOTAL} ids while the app is SIGKILLed ${KILLS} times`, async () => {
      const topic = await kit.createTopic(unique(`crash-${kind}`), 6);
      const groupId = unique(`crash-${kind}`);
      store = kind === 'kafka' ? undefined : storeFixture(kind);
      effectsTable = kind === 'postgres' ? unique('kc_effects').replace(/-/g, '_') : undefined;
      if (effectsTable) await database.query(`CREATE TABLE ${effectsTable} (id text NOT NULL)`);
      const member = {
        topic,
        groupId,
        sessionTimeoutMs: 2000,
        heartbeatIntervalMs: 300,
        commitIntervalMs: 200,
        setupModule,
        env: {
          CRASH_STORE: kind,
          CRASH_STORE_OPTIONS: JSON.stringify(store?.options ?? {}),
          ...(effectsTable ? { CRASH_EFFECTS_TABLE: effectsTable } : {}),
        },
      };

      const started = Date.now();
      producer = startSteadyProducer(kit, topic, { batchSize: 500, intervalMs: 400 });
      const stopProducing = waitFor(
        'the producer to write every id',
        () => producer!.produced.length >= TOTAL,
        120_000,
      ).then(() => producer!.stop());
      stopProducing.catch(() => undefined);
      const apps: ChildConsumerApp[] = [];
      // Kafka, PostgreSQL and Redis: the next member starts while the current one runs (its start-up is
      // off the critical path, and the kill lands during or after a rebalance); the file store
      // serves one process, so its members run one after another.
      const overlap = kind !== 'file';
      const spawnMember = (name: string) => {
        const app = spawnConsumerApp({ ...member, name });
        void app.then((a) => apps.push(a)).catch(() => undefined);
        return app;
      };
      const processedIds = () => new Set(apps.flatMap((a) => a.processed().map((e) => e.id)));
      const caughtUp = () => producer!.produced.length >= TOTAL && processedIds().size >= producer!.produced.length;
      let current = await spawnMember(`${kind}-0`);
      for (let kill = 0; kill < KILLS; kill++) {
        const next = overlap ? spawnMember(`${kind}-${kill + 1}`) : undefined;
        next?.catch(() => undefined);
        // A random moment: right after joining, or after a random number of records.
        const target = kill % 4 === 3 ? 0 : randomInt(100, 1500);
        await waitFor(
          `${current.name} to process ${target} records`,
          () => current.processed().length >= target || caughtUp(),
          60_000,
        );
        current.kill('SIGKILL');
        expect(await current.waitForExit()).toMatchObject({ signal: 'SIGKILL' });
        current = await (next ?? spawnMember(`${kind}-${kill + 1}`));
      }
      await stopProducing;
      const produced = new Set(producer.produced);
      expect(produced.size).toBeGreaterThanOrEqual(TOTAL);
      await waitFor('every id to be processed', () => processedIds().size >= produced.size, 90_000);
      const ends = Object.fromEntries(
        (await (await kit.getAdmin()).fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]),
      );
      await waitFor('the final offsets to be stored', async () => {
        const stored = store ? await store.read(groupId, topic) : await kit.committed(groupId, topic);
        return Object.entries(ends).every(([partition, high]) => stored[Number(partition)] === high);
      });

      const reports = apps.flatMap((a) => a.processed());
      const ids = processedIds();
      const lost = [...produced].filter((id) => !ids.has(id)).length;
      const duplicates = reports.length - ids.size;
      let duplicateEffects: number | undefined;
      if (effectsTable) {
        const { rows } = await database.query<{ total: string; distinct: string }>(
          `SELECT count(*) AS total, count(DISTINCT id) AS distinct FROM ${effectsTable}`,
        );
        duplicateEffects = Number(rows[0].total) - Number(rows[0].distinct);
        expect(Number(rows[0].distinct)).toBe(produced.size);
        expect(duplicateEffects).toBe(0);
      }
      console.info(
        `[crash-suite] store=${kind} produced=${produced.size} kills=${KILLS} lost=${lost} duplicates=${duplicates}` +
          (duplicateEffects === undefined ? '' : ` duplicateEffects=${duplicateEffects}`) +
          ` seconds=${Math.round((Date.now() - started) / 1000)}`,
      );
      expect(lost).toBe(0);
    }, 240_000);
  },
);

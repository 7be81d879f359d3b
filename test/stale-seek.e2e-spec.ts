import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { spawnConsumerApp, stopAllConsumerApps } from './support/child-app/spawn-consumer-app.js';
import { KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { POSTGRES_URL } from './support/offset-stores.js';

const setupModule = fileURLToPath(new URL('./support/late-claim/gated-store-setup.ts', import.meta.url));
const RECORDS = 1000;

// L3 (engine review): with an external store, the seek of a partition that a join revokes stayed in
// kafkajs and moved the partition's fetch past unprocessed records when it came back.
describe('a partition that moves away and comes back before any record of it was processed', () => {
  const kit = new KafkaTestKit();
  const database = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  const directory = mkdtempSync(join(tmpdir(), 'stale-seek-'));
  let table: string | undefined;
  afterEach(async () => {
    await stopAllConsumerApps();
    await kit.close();
    if (table) await database.query(`DROP TABLE IF EXISTS ${table}`);
  });
  afterAll(async () => {
    await database.end();
    rmSync(directory, { recursive: true, force: true });
  });

  it('is read again from its first record, skipping nothing (external store)', async () => {
    const topic = await kit.createTopic(unique('stale-seek'), 2);
    const groupId = unique('stale-seek');
    table = unique('kc_seek').replace(/-/g, '_');
    const marker = join(directory, `${groupId}.poison`);
    writeFileSync(marker, '');
    for (const partition of [0, 1]) {
      await kit.produce(
        topic,
        Array.from({ length: RECORDS }, (_, i) => ({ partition, value: JSON.stringify({ id: `${partition}-${i}` }) })),
      );
    }
    const member = {
      topic,
      groupId,
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 500,
      commitIntervalMs: 100,
      shutdownTimeoutMs: 2000,
      setupModule,
      // The first record of each partition fails while the marker exists: nothing is stored past the
      // start offset the first claim stores (0).
      env: { GATED_STORE_TABLE: table, FAIL_IDS: '0-0,1-0', FAIL_WHILE_FILE: marker },
      moduleOptions: { retry: false as const, redelivery: { delayMs: 200, maxDelayMs: 500 } },
    };
    const a = await spawnConsumerApp({ ...member, name: 'A' });
    await waitFor('A to try the first record of both partitions', () =>
      ['0-0', '1-0'].every((id) => a.output().includes(`poisoned ${id}`)),
    );
    const b = await spawnConsumerApp({ ...member, name: 'B' });
    await waitFor('one partition to move to B', () => b.assignment().length === 1, 60_000);
    const moved = b.assignment()[0].partition;
    await waitFor('B to try the moved partition’s first record', () => b.output().includes(`poisoned ${moved}-0`));
    b.kill('SIGTERM');
    await b.waitForExit(30_000);
    await waitFor('A to own both partitions again', () => a.assignment().length === 2, 60_000);
    const stored = await database.query(`SELECT next_offset FROM ${table} WHERE partition = $1`, [moved]);
    expect(stored.rows.map((r: { next_offset: string | null }) => r.next_offset)).toEqual(['0']);

    rmSync(marker);
    const processed = () =>
      new Set(
        a
          .processed()
          .filter((e) => e.partition === moved)
          .map((e) => e.id),
      );
    await waitFor(`A to process every record of partition ${moved}`, () => processed().size === RECORDS, 60_000);
    expect(processed().has(`${moved}-0`)).toBe(true);
  }, 240_000);
});

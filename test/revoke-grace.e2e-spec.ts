import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, afterEach, describe, it } from 'vitest';
import { spawnConsumerApp, stopAllConsumerApps } from './support/child-app/spawn-consumer-app.js';
import { KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { POSTGRES_URL } from './support/offset-stores.js';

const setupModule = fileURLToPath(new URL('./support/late-claim/gated-store-setup.ts', import.meta.url));

// S9 (engine review): a partition that comes back waits for the handler still running from when it
// was revoked ("never two records of one partition at once"), but at most revokeGraceMs.
describe('a partition that comes back while its revoked handler hangs', () => {
  const kit = new KafkaTestKit();
  const database = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  const directory = mkdtempSync(join(tmpdir(), 'revoke-grace-'));
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

  it('goes on after revokeGraceMs, logging an error', async () => {
    const topic = await kit.createTopic(unique('revoke-grace'), 2);
    const groupId = unique('revoke-grace');
    table = unique('kc_grace').replace(/-/g, '_');
    const marker = join(directory, `${groupId}.hang`);
    writeFileSync(marker, '');
    const produce = (partition: number, from: number, count: number) =>
      kit.produce(
        topic,
        Array.from({ length: count }, (_, i) => ({
          partition,
          value: JSON.stringify({ id: `${partition}-${from + i}` }),
        })),
      );
    await produce(0, 0, 20);
    await produce(1, 0, 20);
    const member = {
      topic,
      groupId,
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 500,
      commitIntervalMs: 100,
      shutdownTimeoutMs: 1000,
      setupModule,
      moduleOptions: { revokeGraceMs: 3000 },
    };
    // A's handler hangs on the first record of both partitions (and ignores ctx.signal).
    const a = await spawnConsumerApp({
      ...member,
      name: 'A',
      env: { GATED_STORE_TABLE: table, FAIL_IDS: '0-0,1-0', FAIL_WHILE_FILE: marker, FAIL_MODE: 'hang' },
    });
    await waitFor('A to hang on both partitions', () =>
      ['0-0', '1-0'].every((id) => a.output().includes(`poisoned ${id}`)),
    );
    const b = await spawnConsumerApp({ ...member, name: 'B', env: { GATED_STORE_TABLE: table } });
    await waitFor('one partition to move to B', () => b.assignment().length === 1, 60_000);
    const moved = b.assignment()[0].partition;
    await waitFor(
      'B to process the moved partition',
      () => b.processed().filter((e) => e.partition === moved).length === 20,
    );
    b.kill('SIGTERM');
    await b.waitForExit(30_000);
    await waitFor('A to own both partitions again', () => a.assignment().length === 2, 60_000);

    // The moved partition is A's again while its revoked handler still hangs there.
    await produce(moved, 20, 10);
    await waitFor(
      'A to process the new records of the partition that came back',
      () => a.processed().filter((e) => e.partition === moved).length >= 10,
      30_000,
    );
    await waitFor('A to log that the grace period ran out', () => /revokeGraceMs/.test(a.output()), 5000);
  }, 240_000);
});

import {
  OffsetStore,
  OffsetStoreUnavailableError,
  PostgresOffsetStore,
  RedisOffsetStore,
  type OffsetStoreScope,
} from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { unique, waitFor } from './support/kafka.js';
import { storeFixture, type StoreFixture } from './support/offset-stores.js';
import { TcpProxy } from './support/tcp-proxy.js';

/** Settles `promise`, or reports that it was still pending after `deadlineMs`. */
async function settle(promise: Promise<unknown>, deadlineMs: number): Promise<{ error?: unknown; pending?: true }> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<{ pending: true }>((resolve) => {
    timer = setTimeout(() => resolve({ pending: true }), deadlineMs);
  });
  try {
    return await Promise.race([
      promise.then(
        () => ({}),
        (error: unknown) => ({ error }),
      ),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe.each([
  ['postgres', 5432, 'query_timeout 10000 ms'],
  ['redis', 6379, 'commandTimeout 5000 ms'],
] as const)('%s store behind a black-holed network, default timeouts', (kind, upstreamPort, defaultTimeout) => {
  const proxy = new TcpProxy('127.0.0.1', upstreamPort);
  let fixture: StoreFixture | undefined;
  let store: OffsetStore | undefined;
  afterEach(async () => {
    await proxy.stop();
    await store?.disconnect().catch(() => undefined);
    await fixture?.cleanup();
  });

  it(`rejects load() and save() with OffsetStoreUnavailableError (${defaultTimeout}) instead of hanging, and works again once the network heals`, async () => {
    const port = await proxy.start();
    fixture = storeFixture(kind);
    store =
      kind === 'postgres'
        ? new PostgresOffsetStore({
            connection: { connectionString: `postgres://postgres@127.0.0.1:${port}/test` },
            table: fixture.options.table,
          })
        : new RedisOffsetStore({ connection: `redis://127.0.0.1:${port}`, keyPrefix: fixture.options.keyPrefix });
    const scope = { groupId: unique('blackhole') } as OffsetStoreScope;
    const topic = unique('blackhole');
    await store.connect();
    const [claimed] = await store.load(scope, [{ topic, partition: 0 }]);
    await store.save(scope, [{ topic, partition: 0, offset: '5', epoch: claimed.epoch }]);

    proxy.blackHole();
    // Without timeouts these stay pending for the kernel's TCP retransmission timeout (~15 min).
    const save = await settle(store.save(scope, [{ topic, partition: 0, offset: '6', epoch: claimed.epoch }]), 30_000);
    expect(save.pending).toBeUndefined();
    expect(save.error).toBeInstanceOf(OffsetStoreUnavailableError);
    expect((save.error as Error).message).toMatch(/(PostgresOffsetStore|RedisOffsetStore): save against .* failed/);
    const load = await settle(store.load(scope, [{ topic, partition: 0 }]), 30_000);
    expect(load.pending).toBeUndefined();
    expect(load.error).toBeInstanceOf(OffsetStoreUnavailableError);

    proxy.heal();
    const [reclaimed] = await waitFor('a load after the network healed', () =>
      store!.load(scope, [{ topic, partition: 0 }]),
    );
    await store.save(scope, [{ topic, partition: 0, offset: '7', epoch: reclaimed.epoch }]);
    expect(await fixture.read(scope.groupId, topic)).toEqual({ 0: '7' });
  });
});

import { CommitFailedError, StaleOffsetWriteError } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { storeFixture, type StoreFixture, type StoreKind } from './support/offset-stores.js';
import { PollingFixture, pollUntil, toGreatestLabel, waitForAssignment } from './support/polling.js';

/** First polled offset of each partition. */
function firstOffsets(records: { partition: number; offset: string }[]): Record<number, string> {
  const first: Record<number, string> = {};
  for (const r of records) first[r.partition] ??= r.offset;
  return first;
}

describe.each<StoreKind>(['postgres', 'redis', 'file'])('PollingConsumer with the %s offset store', (kind) => {
  const kit = new KafkaTestKit();
  let current: { store: StoreFixture; fixture: PollingFixture } | undefined;
  afterEach(async () => {
    await current?.fixture.close();
    await current?.store.cleanup();
    current = undefined;
    await kit.close();
  });

  function setUp(): { store: StoreFixture; fixture: PollingFixture } {
    const store = storeFixture(kind);
    current = { store, fixture: new PollingFixture({ offsetStore: store.storeClass }, [store.module()]) };
    return current;
  }

  it('commits to the store, a new consumer resumes from it, and a joining member gets its partitions from it', async () => {
    const { store, fixture } = setUp();
    const topic = await kit.createTopic(unique(`poll-store-${kind}`), 2);
    const groupId = unique(`poll-store-${kind}`);
    const produce = (from: number, to: number) =>
      kit.produce(
        topic,
        [0, 1].flatMap((partition) =>
          Array.from({ length: to - from }, (_, n) => ({ partition, value: `${partition}-${from + n}` })),
        ),
      );
    await produce(0, 10);
    const options = (label: string) => ({
      groupId,
      topics: [topic],
      fromBeginning: true,
      deserializer: 'string' as const,
      consumer: { partitionAssigners: [toGreatestLabel(label)] },
    });

    const first = await fixture.create(options('a'));
    const polled = await pollUntil(first, '20 records', (records) => records.length === 20);
    await first.commit(polled.filter((r) => Number(r.offset) < 6));
    expect(await store.read(groupId, topic)).toEqual({ 0: '6', 1: '6' });
    expect(await kit.committed(groupId, topic)).toEqual({ 0: '-1', 1: '-1' });
    await first.close();

    // A new consumer of the group starts at the stored offsets, not at the beginning.
    const second = await fixture.create(options('a'));
    const resumed = await pollUntil(second, 'the 8 uncommitted records', (records) => records.length === 8);
    expect(firstOffsets(resumed)).toEqual({ 0: '6', 1: '6' });
    await second.commit();
    expect(await store.read(groupId, topic)).toEqual({ 0: '10', 1: '10' });

    // A member that joins takes both partitions (test assigner) from the stored offsets.
    await produce(10, 15);
    const joining = await fixture.create(options('b'));
    await waitForAssignment(joining, 2);
    const taken = await pollUntil(joining, 'the 10 new records', (records) => records.length === 10);
    expect(firstOffsets(taken)).toEqual({ 0: '10', 1: '10' });
    await joining.commit();
    expect(await store.read(groupId, topic)).toEqual({ 0: '15', 1: '15' });
  });

  it('rejects a commit the store fenced off (another member claimed the partitions) with CommitFailedError', async () => {
    const { store, fixture } = setUp();
    const topic = await kit.createTopic(unique(`poll-fence-${kind}`), 2);
    const groupId = unique(`poll-fence-${kind}`);
    await kit.produce(
      topic,
      [0, 1].flatMap((partition) => Array.from({ length: 5 }, (_, n) => ({ partition, value: `${n}` }))),
    );
    // A heartbeats rarely: the group moves its partitions to B without A noticing (a zombie).
    const a = await fixture.create({
      groupId,
      topics: [topic],
      fromBeginning: true,
      deserializer: 'string',
      consumer: {
        partitionAssigners: [toGreatestLabel('a')],
        sessionTimeout: 60_000,
        heartbeatInterval: 25_000,
        rebalanceTimeout: 3000,
      },
    });
    const polled = await pollUntil(a, '10 records', (records) => records.length === 10);
    const b = await fixture.create({
      groupId,
      topics: [topic],
      fromBeginning: true,
      deserializer: 'string',
      consumer: { partitionAssigners: [toGreatestLabel('b')], rebalanceTimeout: 3000, heartbeatInterval: 500 },
    });
    await waitForAssignment(b, 2);
    // B's claims are done once it returns records.
    await pollUntil(b, "B's records", (records) => records.length === 10);

    const error = await a.commit(polled).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CommitFailedError);
    expect((error as CommitFailedError).cause).toBeInstanceOf(StaleOffsetWriteError);
    expect((error as CommitFailedError).partitions.map((p) => p.partition).toSorted()).toEqual([0, 1]);
    expect(await store.read(groupId, topic)).toEqual({});

    // A, still assigned in its own view, claims them again once (as handlers do, so that a late
    // claim of an ex-owner never stalls the rightful owner). B's next save is fenced in turn; B
    // claims them again, polls from the stored offsets, and its commits go through: no stall.
    const fencedCommits: CommitFailedError[] = [];
    await waitFor(
      "B's offsets stored",
      async () => {
        await b.poll({ timeoutMs: 300 });
        await b.commit().catch((e: unknown) => {
          if (!(e instanceof CommitFailedError)) throw e;
          fencedCommits.push(e);
        });
        const stored = await store.read(groupId, topic);
        return stored[0] === '5' && stored[1] === '5';
      },
      30_000,
    );
    expect(fencedCommits.length).toBeLessThanOrEqual(1);
    // A was fenced again: it owns nothing any more until a join, and its commits store nothing.
    await a.poll({ timeoutMs: 300 });
    await a.commit(polled).catch(() => undefined);
    expect(await store.read(groupId, topic)).toEqual({ 0: '5', 1: '5' });
  });
});

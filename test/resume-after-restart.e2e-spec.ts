import { afterEach, describe, expect, it } from 'vitest';
import { spawnConsumerApp, stopAllConsumerApps } from './support/child-app/spawn-consumer-app.js';
import { startGroupMember, type GroupMember } from './support/group-member.js';
import { KafkaTestKit, unique, waitFor } from './support/kafka.js';

const PARTITIONS = 3;

/** JSON records `{ id: 'r<n>' }` for n in [from, to), keyed so they spread over partitions. */
const records = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => ({
    key: `k${from + i}`,
    value: JSON.stringify({ id: `r${from + i}` }),
  }));
const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `r${from + i}`);

describe('restart', () => {
  const kit = new KafkaTestKit();
  const members: GroupMember[] = [];
  afterEach(async () => {
    await Promise.all(members.splice(0).map((m) => m.close().catch(() => undefined)));
    await stopAllConsumerApps();
    await kit.close();
  });

  const ends = async (topic: string) =>
    Object.fromEntries((await (await kit.getAdmin()).fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]));

  it('a restarted app resumes from the committed offsets and does not reprocess committed records', async () => {
    const topic = await kit.createTopic(unique('restart'), PARTITIONS);
    const groupId = unique('restart-group');
    const first = await startGroupMember('first-run', topic, groupId);
    members.push(first);
    await kit.produce(topic, records(0, 150));
    await waitFor('the first run to process 150 records', () => first.processed().length >= 150);
    await first.close();
    const committed = await kit.committed(groupId, topic);
    expect(committed).toEqual(await ends(topic));

    await kit.produce(topic, records(150, 250));
    // fromBeginning is set: only the committed offsets keep the restarted app from reading offset 0.
    const second = await startGroupMember('second-run', topic, groupId);
    members.push(second);
    await waitFor('the second run to process the 100 new records', () => second.processed().length >= 100);

    expect(
      second
        .processed()
        .map((r) => r.id)
        .toSorted(),
    ).toEqual(ids(150, 250).toSorted());
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const offsets = second
        .processed()
        .filter((r) => r.partition === partition)
        .map((r) => r.offset);
      if (offsets.length > 0)
        expect(Math.min(...offsets), `first offset of partition ${partition}`).toBe(Number(committed[partition]));
    }
    const endsNow = await ends(topic);
    await waitFor(
      'the second run to commit every partition to its end',
      async () => JSON.stringify(await kit.committed(groupId, topic)) === JSON.stringify(endsNow),
    );
    // Everything a partition held before the restart precedes the new records: had any been read
    // again, it would have been handled by now.
    expect(second.handled.map((r) => r.id).toSorted()).toEqual(ids(150, 250).toSorted());
  });

  it('a worker process restarted after SIGKILL resumes from the committed offsets', async () => {
    const topic = await kit.createTopic(unique('restart-kill'), PARTITIONS);
    const groupId = unique('restart-kill-group');
    const worker = { topic, groupId, sessionTimeoutMs: 6000, heartbeatIntervalMs: 500 };
    const first = await spawnConsumerApp({ ...worker, name: 'first-run' });
    await kit.produce(topic, records(0, 150));
    await waitFor('the first run to process 150 records', () => first.processed().length >= 150);
    // Wait for the commit, then crash: a restart must not reprocess anything committed.
    const endsBefore = await ends(topic);
    await waitFor(
      'the first run to commit every partition',
      async () => JSON.stringify(await kit.committed(groupId, topic)) === JSON.stringify(endsBefore),
    );
    first.kill('SIGKILL');
    await first.waitForExit();

    await kit.produce(topic, records(150, 250));
    const second = await spawnConsumerApp({ ...worker, name: 'second-run' });
    await waitFor('the second run to process the 100 new records', () => second.processed().length >= 100);
    const endsAfter = await ends(topic);
    await waitFor(
      'the second run to commit every partition to its end',
      async () => JSON.stringify(await kit.committed(groupId, topic)) === JSON.stringify(endsAfter),
    );
    expect(
      second
        .processed()
        .map((e) => e.id)
        .toSorted(),
    ).toEqual(ids(150, 250).toSorted());
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import {
  spawnConsumerApp,
  stopAllConsumerApps,
  type AssignedEvent,
  type ChildConsumerApp,
  type ProcessedEvent,
} from './support/child-app/spawn-consumer-app.js';
import { KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { startSteadyProducer, type SteadyProducer } from './support/steady-producer.js';

const PARTITIONS = 6;
const SESSION_TIMEOUT_MS = 6000;

/** Partitions each member reports owning, once the two members split all partitions. */
async function waitForSplit(a: ChildConsumerApp, b: ChildConsumerApp): Promise<void> {
  await waitFor('both members to split the partitions', () => {
    const mine = a.assignment().map((tp) => tp.partition);
    const theirs = b.assignment().map((tp) => tp.partition);
    return (
      mine.length > 0 &&
      theirs.length > 0 &&
      new Set([...mine, ...theirs]).size === PARTITIONS &&
      mine.length + theirs.length === PARTITIONS
    );
  });
}

describe('failover', () => {
  const kit = new KafkaTestKit();
  let producer: SteadyProducer | undefined;
  afterEach(async () => {
    await producer?.stop().catch(() => undefined);
    producer = undefined;
    await stopAllConsumerApps();
    await kit.close();
  });

  it('moves a SIGKILLed member’s partitions to the survivor, losing nothing and duplicating only the uncommitted range', async () => {
    const topic = await kit.createTopic(unique('failover'), PARTITIONS);
    const groupId = unique('failover-group');
    const member = {
      topic,
      groupId,
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      heartbeatIntervalMs: 500,
      handlerDelayMs: 2,
    };
    const [victim, survivor] = await Promise.all([
      spawnConsumerApp({ ...member, name: 'victim' }),
      spawnConsumerApp({ ...member, name: 'survivor' }),
    ]);
    await waitForSplit(victim, survivor);
    const victimPartitions = new Set(victim.assignment().map((tp) => tp.partition));

    producer = startSteadyProducer(kit, topic, { batchSize: 10, intervalMs: 20 });
    await waitFor('the victim to process records', () => victim.processed().length >= 200);
    const committedBeforeKill = await kit.committed(groupId, topic);
    const killedAt = Date.now();
    victim.kill('SIGKILL');
    expect(await victim.waitForExit()).toEqual({ code: null, signal: 'SIGKILL' });

    const takeover = (await survivor.waitForEvent(
      'the survivor to be assigned every partition',
      (e): e is AssignedEvent => e.type === 'assigned' && e.at >= killedAt && e.assignment.length === PARTITIONS,
    )) as AssignedEvent;
    const firstTakenOver = await survivor.waitForEvent(
      'the survivor to process a record of a partition the victim had',
      (e): e is ProcessedEvent => e.type === 'processed' && e.at >= killedAt && victimPartitions.has(e.partition),
    );
    const failoverMs = firstTakenOver.at - killedAt;
    console.info(
      `failover after SIGKILL: survivor assigned in ${takeover.at - killedAt} ms, first record of a taken-over partition processed in ${failoverMs} ms (sessionTimeout ${SESSION_TIMEOUT_MS} ms)`,
    );
    // The survivor keeps consuming the taken-over partitions while records still flow.
    await waitFor(
      'the survivor to keep consuming taken-over partitions',
      () =>
        survivor.processed().filter((e) => e.at >= firstTakenOver.at && victimPartitions.has(e.partition)).length >=
        100,
    );
    await producer.stop();
    const produced = new Set(producer.produced);
    const seen = () => new Set([...victim.processed(), ...survivor.processed()].map((e) => e.id));
    await waitFor('every produced record to be processed', () => [...produced].every((id) => seen().has(id)));

    // None lost.
    expect([...produced].filter((id) => !seen().has(id))).toEqual([]);
    // Neither member processed a record twice itself.
    for (const app of [victim, survivor]) {
      const ids = app.processed().map((e) => e.id);
      expect(new Set(ids).size, `${app.name} processed a record twice`).toBe(ids.length);
    }

    // The survivor resumed each taken-over partition at the offset the group had committed when the
    // victim died: never before the commit seen just before the kill, never past what the victim processed.
    const survivorIds = new Set(survivor.processed().map((e) => e.id));
    const duplicates = victim.processed().filter((e) => survivorIds.has(e.id));
    let uncommittedAtKill = 0;
    let expectedDuplicates = 0;
    for (const partition of victimPartitions) {
      const byVictim = victim.processed().filter((e) => e.partition === partition);
      const resumedAt = Math.min(
        ...survivor
          .processed()
          .filter((e) => e.partition === partition)
          .map((e) => Number(e.offset)),
      );
      const committed = Number(committedBeforeKill[partition] ?? -1);
      const highestProcessed = Math.max(-1, ...byVictim.map((e) => Number(e.offset)));
      expect(resumedAt, `resume offset of partition ${partition}`).toBeGreaterThanOrEqual(Math.max(committed, 0));
      expect(resumedAt, `resume offset of partition ${partition}`).toBeLessThanOrEqual(highestProcessed + 1);
      uncommittedAtKill += byVictim.filter((e) => Number(e.offset) >= committed).length;
      expectedDuplicates += byVictim.filter((e) => Number(e.offset) >= resumedAt).length;
    }
    for (const duplicate of duplicates) {
      expect(
        victimPartitions.has(duplicate.partition),
        `duplicate ${duplicate.id} of a partition the victim owned`,
      ).toBe(true);
    }
    console.info(
      `failover duplicates: ${duplicates.length} of ${produced.size} records (victim processed ${victim.processed().length}, ${uncommittedAtKill} of them above the offsets committed just before the kill)`,
    );
    expect(duplicates.length).toBe(expectedDuplicates);
    expect(duplicates.length).toBeLessThanOrEqual(uncommittedAtKill);
    // The coordinator notices the dead member after the session timeout; the rebalance, the
    // survivor's rejoin and its first fetch take seconds more on a loaded machine.
    expect(failoverMs).toBeLessThan(SESSION_TIMEOUT_MS + 20_000);

    // The survivor commits everything in the end (last processed + 1 = end of each partition).
    const ends = Object.fromEntries(
      (await (await kit.getAdmin()).fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]),
    );
    await waitFor(
      'the survivor to commit every partition to its end',
      async () => JSON.stringify(await kit.committed(groupId, topic)) === JSON.stringify(ends),
    );
  });
});

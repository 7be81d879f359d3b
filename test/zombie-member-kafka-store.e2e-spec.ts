import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnConsumerApp, stopAllConsumerApps, type StartedEvent } from './support/child-app/spawn-consumer-app.js';
import { KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { startSteadyProducer, type SteadyProducer } from './support/steady-producer.js';

const setupModule = fileURLToPath(new URL('./support/crash/store-setup.ts', import.meta.url));

// D1 (engine review): with the Kafka store nothing fences a zombie's writes, so the member itself
// must drop everything it held once it learns it was replaced (it rejoins under a new member id).
describe('a zombie member with the Kafka store', () => {
  const kit = new KafkaTestKit();
  let producer: SteadyProducer | undefined;
  let watching: NodeJS.Timeout | undefined;
  afterEach(async () => {
    clearInterval(watching);
    await producer?.stop().catch(() => undefined);
    await stopAllConsumerApps();
    await kit.close();
  });

  it('after SIGSTOP/SIGCONT processes nothing below the successor’s committed offsets, and the committed offsets never decrease', async () => {
    const topic = await kit.createTopic(unique('zombie-kafka'), 2);
    const groupId = unique('zombie-kafka');
    const member = {
      topic,
      groupId,
      sessionTimeoutMs: 2000,
      heartbeatIntervalMs: 300,
      commitIntervalMs: 100,
      handlerDelayMs: 5,
      setupModule,
      env: { CRASH_STORE: 'kafka' },
    };
    // Committed offsets must only move forward, whoever commits them.
    const regressions: string[] = [];
    const highest: Record<number, bigint> = {};
    watching = setInterval(() => {
      kit
        .committed(groupId, topic)
        .then((committed) => {
          for (const [partition, offset] of Object.entries(committed)) {
            const p = Number(partition);
            if (offset === '-1') continue;
            if (highest[p] !== undefined && BigInt(offset) < highest[p])
              regressions.push(`${p}: ${highest[p]} -> ${offset}`);
            if (highest[p] === undefined || BigInt(offset) > highest[p]) highest[p] = BigInt(offset);
          }
        })
        .catch(() => undefined);
    }, 50);

    producer = startSteadyProducer(kit, topic, { batchSize: 10, intervalMs: 50 });
    // A large backlog first, so the zombie holds many fetched, unprocessed records when frozen.
    const zombie = await spawnConsumerApp({ ...member, name: 'zombie' });
    await waitFor('the zombie to process records', () => zombie.processed().length >= 100);
    zombie.kill('SIGSTOP');
    const frozenAt = Date.now();

    const successor = await spawnConsumerApp({ ...member, name: 'successor' });
    await waitFor('the successor to own both partitions', () => successor.assignment().length === 2);
    await waitFor(
      'the successor to process and commit records',
      () => successor.processed().filter((e) => e.at > frozenAt).length >= 150,
    );
    const committedAtResume: Record<number, string> = await waitFor(
      'committed offsets of both partitions',
      async () => {
        const committed = await kit.committed(groupId, topic);
        return Object.values(committed).filter((o) => o !== '-1').length === 2 ? committed : null;
      },
    ).then((committed) => committed!);
    const resumedAt = Date.now();
    zombie.kill('SIGCONT');

    await waitFor('the zombie to rejoin and share the partitions', () => zombie.assignment().length === 1, 30_000);
    await producer.stop();
    const produced = new Set(producer.produced);
    const processedIds = () => new Set([...zombie.processed(), ...successor.processed()].map((e) => e.id));
    await waitFor('every id to be processed', () => [...produced].every((id) => processedIds().has(id)), 30_000);
    const ends = Object.fromEntries(
      (await (await kit.getAdmin()).fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]),
    );
    await waitFor('the final offsets to be committed', async () => {
      const committed = await kit.committed(groupId, topic);
      return Object.entries(ends).every(([partition, high]) => committed[Number(partition)] === high);
    });
    clearInterval(watching);

    // Records the zombie started after SIGCONT (the one running at SIGSTOP may finish: it started before).
    const staleStarts = zombie.events
      .filter((e): e is StartedEvent => e.type === 'started' && e.at >= resumedAt)
      .filter((e) => BigInt(e.offset) < BigInt(committedAtResume[e.partition]))
      .map((e) => `${e.partition}:${e.offset}`);
    expect.soft(staleStarts, `committed at SIGCONT: ${JSON.stringify(committedAtResume)}`).toEqual([]);
    expect(regressions).toEqual([]);
  }, 240_000);
});

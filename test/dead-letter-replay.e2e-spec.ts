import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  ConsumeTopic,
  DEAD_LETTER_HEADERS,
  KafkaConsumerContext,
  KafkaConsumerModule,
  KafkaConsumerRegistry,
  REPLAYED_FROM_HEADER,
} from 'nestjs-kafka-consumer';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DeadLetterReplay } from '../libs/kafka-consumer/src/dead-letter/dead-letter.replay.js';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { TopicReader, type ReadRecord } from './support/topic-reader.js';

const H = DEAD_LETTER_HEADERS;

class DeclinedError extends Error {}
class GatewayTimeoutError extends Error {}

const sorted = (ids: number[]) => ids.toSorted((a, b) => a - b);
const idOf = (record: ReadRecord) => (JSON.parse(record.value!.toString()) as { id: number }).id;
const replayedCopies = (reader: TopicReader, topic: string) =>
  reader.of(topic).filter((r) => r.headers[REPLAYED_FROM_HEADER] !== undefined);

describe('replaying dead-lettered records', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  const readers: TopicReader[] = [];
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await Promise.all(readers.splice(0).map((r) => r.close()));
    await kit.close();
  });

  it('re-publishes exactly the matching records once, with the replay header; a failing replay is dead-lettered again normally', async () => {
    const topic = await kit.createTopic(unique('orders'), 2);
    const dlt = `${topic}-dlt`;
    const groupId = unique('billing');

    @Controller()
    class FailingController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true })
      handle(@Payload() record: { id: number }, @Ctx() _ctx: KafkaConsumerContext) {
        // Ids 0-4 and 15-19 are declined; the others time out.
        if (record.id < 5 || record.id >= 15) throw new DeclinedError(`declined ${record.id}`);
        throw new GatewayTimeoutError(`timeout ${record.id}`);
      }
    }

    const app = await startConsumerApp({
      imports: [
        KafkaConsumerModule.forRoot({
          client: { clientId: 'replay-test', brokers: brokers() },
          retry: { attempts: 1 },
          deadLetter: { enabled: true, createTopics: true },
        }),
      ],
      controllers: [FailingController],
    });
    apps.push(app);
    const registry = app.app.get(KafkaConsumerRegistry);
    const produce = (ids: number[], partition: number) =>
      kit.produce(
        topic,
        ids.map((id) => ({ key: `k${id}`, value: JSON.stringify({ id }), partition, headers: { trace: `t${id}` } })),
      );
    await produce([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 0);
    await produce([10, 11, 12, 13, 14, 15, 16, 17, 18, 19], 1);
    await waitFor('every record dead-lettered and committed', async () => {
      const committed = await kit.committed(groupId, topic);
      return committed[0] === '10' && committed[1] === '10';
    });
    // Stopped, so the replayed copies stay in the topic for the reader below.
    await registry.stopGroup(groupId);

    const first = await registry.replayDeadLetters({
      topic: dlt,
      originalPartitions: [0],
      originalOffsets: { from: 2, to: 6 },
    });
    expect(first).toMatchObject({ replayed: 5, alreadyReplayed: 0, scanned: 20 });
    const again = await registry.replayDeadLetters({
      topic: dlt,
      originalPartitions: [0],
      originalOffsets: { from: 2, to: 6 },
    });
    expect(again).toMatchObject({ replayed: 0, alreadyReplayed: 5 });
    const declined = await registry.replayDeadLetters({ topic: dlt, exceptionClasses: ['DeclinedError'] });
    expect(declined).toMatchObject({ replayed: 7, alreadyReplayed: 3 });
    expect(await registry.replayDeadLetters({ topic: dlt, deadLetteredFrom: Date.now() + 60_000 })).toMatchObject({
      replayed: 0,
    });
    expect(await registry.replayDeadLetters({ topic: dlt, limit: 2 })).toMatchObject({ replayed: 2 });
    expect(await registry.replayDeadLetters({ topic: dlt, deadLetteredTo: new Date() })).toMatchObject({
      replayed: 6,
      alreadyReplayed: 14,
    });
    expect(await registry.replayDeadLetters({ topic: dlt })).toMatchObject({ replayed: 0, alreadyReplayed: 20 });

    const reader = await new TopicReader().start([topic]);
    readers.push(reader);
    await waitFor('20 replayed copies read', () => replayedCopies(reader, topic).length >= 20);
    const copies = replayedCopies(reader, topic);
    expect(copies).toHaveLength(20);
    expect(copies.map(idOf).toSorted((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    // In each partition, in offset order: the first run took ids 2..6 (back in partition 0), the second the declined ones.
    const inPartition = (partition: number) => copies.filter((c) => c.partition === partition).map(idOf);
    expect(sorted(inPartition(0).slice(0, 5))).toEqual([2, 3, 4, 5, 6]);
    expect(sorted(inPartition(0).slice(5, 7))).toEqual([0, 1]);
    expect(sorted(inPartition(1).slice(0, 5))).toEqual([15, 16, 17, 18, 19]);
    for (const copy of copies) {
      const id = idOf(copy);
      expect(copy.partition).toBe(id < 10 ? 0 : 1);
      expect(copy.key).toBe(`k${id}`);
      expect(copy.headers.trace).toBe(`t${id}`);
      expect(copy.headers[REPLAYED_FROM_HEADER]).toMatch(new RegExp(`^${dlt}:\\d+:\\d+$`));
      expect(Object.keys(copy.headers).filter((name) => name.startsWith('kafka_dlt-'))).toEqual([]);
    }

    // Processed again, they fail again and are dead-lettered again as fresh records, once each.
    const dltReader = await new TopicReader().start([dlt]);
    readers.push(dltReader);
    await registry.startGroup(groupId);
    await waitFor('the replayed copies dead-lettered again', () => dltReader.of(dlt).length === 40, 60_000);
    await waitFor('the group committed past the copies', async () => {
      const committed = await kit.committed(groupId, topic);
      // 20 copies; each replay transaction adds a commit marker, hence at least the copies.
      return Number(committed[0]) + Number(committed[1]) >= 40;
    });
    const redeadLettered = dltReader.of(dlt).filter((r) => r.headers[REPLAYED_FROM_HEADER] !== undefined);
    expect(redeadLettered).toHaveLength(20);
    for (const record of redeadLettered) {
      expect(Number(record.headers[H.originalOffset])).toBeGreaterThanOrEqual(10);
      expect(record.headers[H.originalConsumerGroup]).toBe(groupId);
    }
    expect(dltReader.of(dlt)).toHaveLength(40);
  });

  it('re-publishes each record once when a run is killed midway (its open transaction is aborted) and run again', async () => {
    const topic = await kit.createTopic(unique('orders'), 1);
    const dlt = await kit.createTopic(`${topic}-dlt`, 2);
    // REPLAY_E2E_RECORDS scales the run (default 60); the kill comes after a third of them.
    const total = Number(process.env.REPLAY_E2E_RECORDS ?? 60);
    const killAfter = Math.floor(total / 30) * 10;
    await kit.produce(
      dlt,
      Array.from({ length: total }, (_, id) => ({
        partition: id % 2,
        value: JSON.stringify({ id }),
        headers: {
          [H.originalTopic]: topic,
          [H.originalPartition]: '0',
          [H.originalOffset]: String(id),
          [H.exceptionFqcn]: 'Error',
        },
      })),
    );

    const child = spawn(
      process.execPath,
      [
        '--import',
        fileURLToPath(new URL('./support/child-app/register.mjs', import.meta.url)),
        fileURLToPath(new URL('./support/replay/replay-child.ts', import.meta.url)),
      ],
      {
        env: {
          ...process.env,
          KAFKA_BROKERS: brokers().join(','),
          REPLAY_TOPIC: dlt,
          REPLAY_KILL_AFTER: String(killAfter),
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    children.push(child);
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor('the child to hold an open transaction', () => output.includes('PENDING'), 60_000);
    const committedBeforeKill = Number(/PENDING (\d+)/.exec(output)![1]);
    expect(committedBeforeKill).toBe(killAfter);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const started = Date.now();

    const kafka = kit.kafka;
    const result = await new DeadLetterReplay(kafka).run({ topic: dlt });
    expect(result).toMatchObject({ replayed: total - committedBeforeKill, alreadyReplayed: committedBeforeKill });
    expect(await new DeadLetterReplay(kafka).run({ topic: dlt })).toMatchObject({
      replayed: 0,
      alreadyReplayed: total,
    });

    const reader = await new TopicReader().start([topic]);
    readers.push(reader);
    await waitFor('every record replayed', () => replayedCopies(reader, topic).length >= total);
    const copies = replayedCopies(reader, topic);
    expect(copies).toHaveLength(total);
    expect(new Set(copies.map((c) => c.headers[REPLAYED_FROM_HEADER])).size).toBe(total);
    expect(new Set(copies.map(idOf)).size).toBe(total);
    console.log(
      `replay after a kill: ${committedBeforeKill} committed before the kill, ${result.replayed} by the re-run ` +
        `(${Date.now() - started} ms incl. a second run and the read-back), ${copies.length - total} duplicates`,
    );
  });
});

import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { randomInt } from 'node:crypto';
import { ConsumeTopic, KafkaConsumerContext, KafkaConsumerModule } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import {
  spawnConsumerApp,
  stopAllConsumerApps,
  type ChildConsumerApp,
} from './support/child-app/spawn-consumer-app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';

const PARTITIONS = 3;
const KEYS = 30;
const PER_KEY = 20;
const MAX_IN_FLIGHT = 20;

/** `count` records per key, keyed `k<n>`, values `{ key, seq }` with seq 0.. in produce order. */
async function produceKeyed(kit: KafkaTestKit, topic: string, keys: number, perKey: number, extra = {}) {
  for (let seq = 0; seq < perKey; seq++) {
    await kit.produce(
      topic,
      Array.from({ length: keys }, (_, k) => ({
        key: `k${k}`,
        value: JSON.stringify({ id: `k${k}:${seq}`, key: `k${k}`, seq, ...extra }),
      })),
    );
  }
}

describe("concurrency mode 'key'", () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await stopAllConsumerApps();
    await kit.close();
  });

  it('keeps each key in order under random handler latency, runs keys in parallel, and never commits past an unfinished record', async () => {
    const topic = await kit.createTopic(unique('key-mode'), PARTITIONS);
    const groupId = unique('key-mode');
    await produceKeyed(kit, topic, KEYS, PER_KEY);
    const seqs = new Map<string, number[]>();
    const runningKeys = new Set<string>();
    const finished = new Map<number, Set<number>>();
    let running = 0;
    let maxRunning = 0;
    const violations: string[] = [];

    @Controller()
    class KeyedController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true, concurrency: { mode: 'key', maxInFlight: MAX_IN_FLIGHT } })
      async handle(@Payload() body: { key: string; seq: number }, @Ctx() ctx: KafkaConsumerContext) {
        if (runningKeys.has(body.key)) violations.push(`${body.key} ran twice at once`);
        runningKeys.add(body.key);
        maxRunning = Math.max(maxRunning, ++running);
        seqs.set(body.key, [...(seqs.get(body.key) ?? []), body.seq]);
        await new Promise((resolve) => setTimeout(resolve, randomInt(0, 15)));
        running--;
        runningKeys.delete(body.key);
        const done = finished.get(ctx.partition) ?? new Set<number>();
        done.add(Number(ctx.offset));
        finished.set(ctx.partition, done);
      }
    }

    apps.push(
      await startConsumerApp({
        imports: [
          KafkaConsumerModule.forRoot({ client: { clientId: 'key-mode', brokers: brokers() }, commitIntervalMs: 100 }),
        ],
        controllers: [KeyedController],
      }),
    );
    const total = KEYS * PER_KEY;
    // While records run: every offset below a committed offset has finished (commits are read after they happen).
    await waitFor(
      'every record processed',
      async () => {
        const committed = await kit.committed(groupId, topic);
        for (const [partition, offset] of Object.entries(committed)) {
          const done = finished.get(Number(partition)) ?? new Set<number>();
          for (let o = 0; o < Number(offset); o++) {
            if (!done.has(o)) violations.push(`partition ${partition} committed ${offset} before ${o} finished`);
          }
        }
        return [...seqs.values()].reduce((n, list) => n + list.length, 0) >= total;
      },
      60_000,
      100,
    );
    expect(violations).toEqual([]);
    for (let k = 0; k < KEYS; k++) {
      expect(seqs.get(`k${k}`)).toEqual(Array.from({ length: PER_KEY }, (_, n) => n));
    }
    console.info(`key mode: at most ${maxRunning} records ran at once (maxInFlight ${MAX_IN_FLIGHT})`);
    expect(maxRunning).toBeGreaterThan(1);
    expect(maxRunning).toBeLessThanOrEqual(MAX_IN_FLIGHT);
    const ends = await (await kit.getAdmin()).fetchTopicOffsets(topic);
    await waitFor('the log end offsets committed', async () => {
      const committed = await kit.committed(groupId, topic);
      return ends.every((p) => committed[p.partition] === p.high);
    });
  });

  it('a failing record holds back only the later records of its own key', async () => {
    const topic = await kit.createTopic(unique('key-fail'), 1);
    const groupId = unique('key-fail');
    await produceKeyed(kit, topic, 5, 4);
    const seen: string[] = [];
    /** k2:1 fails until the test has checked what it holds back. */
    let k2Ready = false;
    let k2Failures = 0;

    @Controller()
    class FailingController {
      @ConsumeTopic(topic, {
        groupId,
        fromBeginning: true,
        retry: false,
        concurrency: { mode: 'key', maxInFlight: 10 },
      })
      async handle(@Payload() body: { id: string; key: string; seq: number }) {
        if (body.key === 'k2' && body.seq === 1 && !k2Ready) {
          k2Failures++;
          throw new Error('k2:1 is not ready yet');
        }
        seen.push(body.id);
      }
    }

    apps.push(
      await startConsumerApp({
        imports: [
          KafkaConsumerModule.forRoot({
            client: { clientId: 'key-fail', brokers: brokers() },
            redelivery: { type: 'fixed', delayMs: 1500 },
          }),
        ],
        controllers: [FailingController],
      }),
    );
    // Every other key finishes while k2:1 waits to be delivered again.
    await waitFor('the other keys to finish', () => seen.filter((id) => !id.startsWith('k2:')).length === 16, 30_000);
    expect(seen.filter((id) => id.startsWith('k2:'))).toEqual(['k2:0']);
    expect(k2Failures).toBeGreaterThanOrEqual(1);
    // Held back: the committed offset stops at k2:1 (offset 7, after k0..k4 seq 0, then k0:1, k1:1).
    const committed = await kit.committed(groupId, topic);
    expect(Number(committed[0])).toBeLessThanOrEqual(7);
    k2Ready = true;
    await waitFor('k2 to finish in order', () => seen.filter((id) => id.startsWith('k2:')).length === 4, 30_000);
    expect(seen.filter((id) => id.startsWith('k2:'))).toEqual(['k2:0', 'k2:1', 'k2:2', 'k2:3']);
    await waitFor('everything committed', async () => (await kit.committed(groupId, topic))[0] === '20');
  });

  it('loses nothing when a member is SIGKILLed mid-stream, and keeps each key in order within each member', async () => {
    const topic = await kit.createTopic(unique('key-crash'), PARTITIONS);
    const groupId = unique('key-crash');
    const keys = 50;
    const perKey = 40;
    await produceKeyed(kit, topic, keys, perKey, { delayMs: 3 });
    const member = {
      topic,
      groupId,
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 500,
      commitIntervalMs: 200,
      moduleOptions: { concurrency: { mode: 'key' as const, maxInFlight: 50 } },
    };
    const members: ChildConsumerApp[] = [];
    const first = await spawnConsumerApp({ ...member, name: 'key-crash-1' });
    members.push(first);
    await waitFor('the first member to process 500 records', () => first.processed().length >= 500, 60_000);
    first.kill('SIGKILL');
    expect(await first.waitForExit()).toMatchObject({ signal: 'SIGKILL' });
    const second = await spawnConsumerApp({ ...member, name: 'key-crash-2' });
    members.push(second);
    const ids = () => new Set(members.flatMap((a) => a.processed().map((e) => e.id)));
    await waitFor('every record processed', () => ids().size === keys * perKey, 60_000);
    for (const app of members) {
      const lastSeq = new Map<string, number>();
      for (const event of app.events) {
        if (event.type !== 'started') continue;
        const [key, seq] = event.id.split(':');
        expect(Number(seq), `${app.name} ${event.id}`).toBeGreaterThan(lastSeq.get(key) ?? -1);
        lastSeq.set(key, Number(seq));
      }
    }
    const ends = await (await kit.getAdmin()).fetchTopicOffsets(topic);
    await waitFor('the log end offsets committed', async () => {
      const committed = await kit.committed(groupId, topic);
      return ends.every((p) => committed[p.partition] === p.high);
    });
    console.info(`key-mode crash: ${members.reduce((n, a) => n + a.processed().length, 0) - keys * perKey} duplicates`);
  });
});

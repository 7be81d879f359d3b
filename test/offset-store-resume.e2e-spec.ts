import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { ConsumeTopic, KafkaConsumerContext, KafkaConsumerModule } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { storeFixture, type StoreFixture, type StoreKind } from './support/offset-stores.js';

interface Seen {
  id: number;
  partition: number;
  offset: number;
}

describe.each<StoreKind>(['postgres', 'redis', 'file'])('%s offset store', (kind) => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  let store: StoreFixture;
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await kit.close();
    await store.cleanup();
  });

  it('resumes a restarted app exactly from the stored offsets, and keeps a second group apart', async () => {
    store = storeFixture(kind);
    const topic = await kit.createTopic(unique(`resume-${kind}`), 2);
    const billing = unique('billing');
    const audit = unique('audit');
    const seen = { billing: [] as Seen[], audit: [] as Seen[] };

    @Controller()
    class BillingController {
      @ConsumeTopic(topic, { groupId: billing, fromBeginning: true })
      bill(@Payload() p: { id: number }, @Ctx() ctx: KafkaConsumerContext) {
        seen.billing.push({ id: p.id, partition: ctx.partition, offset: Number(ctx.offset) });
      }
    }
    @Controller()
    class AuditController {
      @ConsumeTopic(topic, { groupId: audit, fromBeginning: true })
      audit(@Payload() p: { id: number }, @Ctx() ctx: KafkaConsumerContext) {
        seen.audit.push({ id: p.id, partition: ctx.partition, offset: Number(ctx.offset) });
      }
    }
    const start = (controllers: Array<new () => unknown>) =>
      startConsumerApp({
        imports: [
          store.module(),
          KafkaConsumerModule.forRoot({
            client: { clientId: `resume-${kind}`, brokers: brokers() },
            offsetStore: store.storeClass,
            commitIntervalMs: 100,
          }),
        ],
        controllers,
      });
    const produce = (from: number, count: number) =>
      kit.produce(
        topic,
        Array.from({ length: count }, (_, i) => ({ key: `k-${from + i}`, value: JSON.stringify({ id: from + i }) })),
      );
    const ends = async () =>
      Object.fromEntries(
        (await (await kit.getAdmin()).fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]),
      ) as Record<number, string>;

    // First run: billing only, until everything is stored.
    const first = await start([BillingController]);
    apps.push(first);
    await produce(0, 100);
    await waitFor('billing to process 100 records', () => seen.billing.length >= 100);
    const endsAfterFirst = await ends();
    await waitFor('billing offsets stored', async () => sameOffsets(await store.read(billing, topic), endsAfterFirst));
    await first.close();
    // Nothing went to Kafka's group offsets: the restart can only resume from the store.
    expect(Object.values(await kit.committed(billing, topic)).every((o) => o === '-1')).toBe(true);

    // Move partition 0 back by 10 in the store, and produce 50 more.
    const rewoundTo = Number(endsAfterFirst[0]) - 10;
    expect(rewoundTo).toBeGreaterThanOrEqual(0);
    await store.write(billing, topic, 0, String(rewoundTo));
    await produce(100, 50);
    const finalEnds = await ends();
    const expectedSecondRun =
      10 + (Number(finalEnds[0]) - Number(endsAfterFirst[0])) + (Number(finalEnds[1]) - Number(endsAfterFirst[1]));

    seen.billing.length = 0;
    apps.push(await start([BillingController, AuditController]));
    await waitFor('audit to process all 150 records', () => seen.audit.length >= 150);
    await waitFor('billing to process the rewound and new records', () => seen.billing.length >= expectedSecondRun);
    await waitFor('both groups stored', async () => {
      const [b, a] = await Promise.all([store.read(billing, topic), store.read(audit, topic)]);
      return sameOffsets(b, finalEnds) && sameOffsets(a, finalEnds);
    });

    // Billing resumed exactly at the stored offsets: p0 from the rewound offset, p1 from its end.
    expect(seen.billing.length).toBe(expectedSecondRun);
    const firstOffset = (partition: number) =>
      Math.min(...seen.billing.filter((s) => s.partition === partition).map((s) => s.offset));
    expect(firstOffset(0)).toBe(rewoundTo);
    expect(firstOffset(1)).toBe(Number(endsAfterFirst[1]));
    // The audit group had nothing stored: it read the whole topic once, on its own offsets.
    expect(new Set(seen.audit.map((s) => s.id)).size).toBe(150);
    expect(seen.audit.length).toBe(150);
  });
});

function sameOffsets(stored: Record<number, string>, expected: Record<number, string>): boolean {
  return Object.entries(expected).every(([partition, offset]) => stored[Number(partition)] === offset);
}

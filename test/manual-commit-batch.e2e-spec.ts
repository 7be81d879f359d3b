import { Controller, Injectable } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { ConsumeTopic, KafkaConsumerContext, KafkaConsumerModule } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';

interface Payment {
  id: number;
}

/** The README's ledger: `applyAll` throws the first time it is called; records when each id was first applied. */
@Injectable()
class LedgerService {
  calls = 0;
  readonly appliedAt = new Map<number, number>();

  async applyAll(payments: Payment[]): Promise<void> {
    this.calls += 1;
    if (this.calls === 1) throw new Error('ledger unavailable');
    const now = performance.now();
    for (const { id } of payments) if (!this.appliedAt.has(id)) this.appliedAt.set(id, now);
  }
}

const RECORDS = 200;

describe("commit: 'manual', the README's whole-batch example", () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  let sampling = false;
  let sampler: Promise<void> = Promise.resolve();
  afterEach(async () => {
    sampling = false;
    await sampler;
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await kit.close();
  });

  it('applies every record before the committed offset passes it, although applyAll throws once', async () => {
    const topic = await kit.createTopic(unique('payments-batch'), 1);
    const groupId = unique('ledger-batch');

    // The controller exactly as in the README (section "Commit modes", "A whole batch").
    @Controller()
    class PaymentsController {
      /** Records to apply together, by partition. */
      private readonly batches = new Map<number, Array<{ offset: bigint; payment: Payment }>>();

      constructor(private readonly ledger: LedgerService) {}

      @ConsumeTopic(topic, { groupId, fromBeginning: true, commit: 'manual' })
      async pay(@Payload() payment: Payment, @Ctx() ctx: KafkaConsumerContext) {
        let batch = this.batches.get(ctx.partition);
        if (!batch) this.batches.set(ctx.partition, (batch = []));
        const offset = BigInt(ctx.offset);
        // A record delivered again (retried, redelivered) is already in the batch.
        if (batch.length === 0 || offset > batch[batch.length - 1].offset) batch.push({ offset, payment });
        if (batch.length < 100) return; // finished, not committed yet
        await this.ledger.applyAll(batch.map((entry) => entry.payment)); // throws => batch kept, record redelivered
        batch.length = 0; // cleared only once applied
        await ctx.commit(); // commits this record and the 99 before it, in this partition
      }
    }

    const app = await startConsumerApp({
      imports: [
        KafkaConsumerModule.forRoot({
          client: { clientId: 'manual-batch-test', brokers: brokers() },
          retry: { attempts: 2 },
        }),
      ],
      controllers: [PaymentsController],
      providers: [LedgerService],
    });
    apps.push(app);
    const ledger = app.app.get(LedgerService);

    // Committed offsets sampled while it runs, each with the time its answer arrived.
    const samples: Array<{ at: number; offset: bigint }> = [];
    sampling = true;
    sampler = (async () => {
      while (sampling) {
        const committed = (await kit.committed(groupId, topic))[0] ?? '-1';
        samples.push({ at: performance.now(), offset: BigInt(committed) });
      }
    })().catch((error: unknown) => {
      sampling = false;
      throw error;
    });

    // One partition: record id n is at offset n.
    await kit.produce(
      topic,
      Array.from({ length: RECORDS }, (_, id) => ({ key: 'k', value: JSON.stringify({ id }) })),
    );
    // Committed past ids not applied before it: what the example must never do.
    const early = () =>
      samples.flatMap((s) =>
        Array.from({ length: Number(s.offset > 0n ? s.offset : 0n) }, (_, id) => id)
          .filter((id) => (ledger.appliedAt.get(id) ?? Infinity) > s.at)
          .map((id) => ({ id, committed: String(s.offset) })),
      );
    await waitFor(
      'the commit of all records (or a commit past a record not applied)',
      async () => early().length > 0 || (await kit.committed(groupId, topic))[0] === String(RECORDS),
      60_000,
    );
    sampling = false;
    await sampler;

    expect(ledger.calls).toBe(3); // first batch: a failure, then its retry; second batch
    const missing = Array.from({ length: RECORDS }, (_, id) => id).filter((id) => !ledger.appliedAt.has(id));
    expect(missing).toEqual([]);
    // Every sample that saw the committed offset past an id saw it after that id was applied.
    expect(samples.some((s) => s.offset > 0n)).toBe(true);
    expect(early()).toEqual([]);
  });
});

import { Controller, Injectable, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ConsumeTopic, KafkaConsumerContext, KafkaConsumerModule } from 'nestjs-kafka-consumer';
import { createKafkaConsumerTestingApp, type KafkaConsumerTestingApp } from 'nestjs-kafka-consumer/testing';
import { afterEach, describe, expect, it } from 'vitest';

@Injectable()
class TenantGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToRpc().getContext<KafkaConsumerContext>().headers['tenant'] === 'acme';
  }
}

const skippedRecords: Array<{ error: unknown; offset: string }> = [];

@Controller()
@UseGuards(TenantGuard)
class GuardedController {
  @ConsumeTopic('orders', { groupId: 'filtering' })
  filter() {}

  @ConsumeTopic('orders', { groupId: 'auditing', refused: 'dead-letter' })
  audit() {}
}

@Controller()
class LedgerController {
  @ConsumeTopic('payments', {
    groupId: 'ledger',
    retry: { attempts: 2, backoff: { type: 'fixed', delayMs: 1 } },
    exhausted: {
      skipAfterRedeliveries: 2,
      onSkip: (error, ctx) => {
        skippedRecords.push({ error, offset: ctx.offset });
      },
    },
  })
  apply() {
    throw new Error('ledger closed');
  }

  @ConsumeTopic('payments-dlt', { groupId: 'repairs' })
  repair() {}
}

describe('failure policies on the broker-free transport (same path as the real one)', () => {
  let kafka: KafkaConsumerTestingApp | undefined;
  afterEach(async () => {
    await kafka?.close();
    kafka = undefined;
    skippedRecords.length = 0;
  });

  async function start(): Promise<KafkaConsumerTestingApp> {
    const moduleRef = await Test.createTestingModule({
      imports: [KafkaConsumerModule.forRoot({ client: { brokers: ['127.0.0.1:1'] }, deadLetter: { enabled: true } })],
      controllers: [GuardedController, LedgerController],
    }).compile();
    moduleRef.useLogger(false);
    kafka = await createKafkaConsumerTestingApp(moduleRef);
    return kafka;
  }

  it('skips a guard refusal by default: committed, never retried or dead-lettered', async () => {
    const app = await start();
    const result = await app.dispatch('orders', { value: {}, headers: { tenant: 'evil' } }, 'filtering');
    expect(result).toMatchObject({ status: 'skipped', committed: true, attempts: 1 });
    expect(result.outcome).toMatchObject({ kind: 'skipped', reason: 'refused' });
    expect(app.deadLetters).toEqual([]);
    expect((await app.dispatch('orders', { value: {}, headers: { tenant: 'acme' } }, 'filtering')).status).toBe(
      'processed',
    );
  });

  it("dead-letters a guard refusal with refused: 'dead-letter'", async () => {
    const app = await start();
    const result = await app.dispatch('orders', { value: { id: 1 }, headers: { tenant: 'evil' } }, 'auditing');
    expect(result.status).toBe('dead-lettered');
    expect(result.deadLetter).toMatchObject({ topic: 'orders-dlt', kind: 'dead-letter', groupId: 'auditing' });
  });

  it('dead-letters an exhausted record when it has a dead-letter topic; skips an undecodable dead-letter record', async () => {
    const app = await start();
    // Dead-lettering is on, but a DLT record has nowhere to go: the exhausted policy decides.
    const first = await app.dispatch('payments', { value: {}, redeliveries: 0 }, 'ledger');
    expect(first).toMatchObject({ status: 'dead-lettered', attempts: 2 });
    const onDeadLetterTopic = await app.dispatch('payments-dlt', { value: 'not json' }, 'repairs');
    expect(onDeadLetterTopic.outcome).toMatchObject({ kind: 'skipped', reason: 'undeserializable-dead-letter-record' });
    expect(onDeadLetterTopic.committed).toBe(true);
  });
});

@Controller()
class NoDeadLetterController {
  @ConsumeTopic('payments', {
    groupId: 'ledger',
    retry: false,
    exhausted: {
      skipAfterRedeliveries: 2,
      onSkip: (error, ctx) => {
        skippedRecords.push({ error, offset: ctx.offset });
      },
    },
  })
  apply() {
    throw new Error('ledger closed');
  }
}

describe('the exhausted policy without dead-lettering', () => {
  it('keeps the record until it was delivered again skipAfterRedeliveries times, then skips it after onSkip', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [KafkaConsumerModule.forRoot({ client: { brokers: ['127.0.0.1:1'] } })],
      controllers: [NoDeadLetterController],
    }).compile();
    moduleRef.useLogger(false);
    const app = await createKafkaConsumerTestingApp(moduleRef);
    try {
      const kept = await app.dispatch('payments', { value: {}, offset: 7, redeliveries: 1 });
      expect(kept).toMatchObject({ status: 'failed', committed: false });
      expect(kept.outcome).toMatchObject({ kind: 'redeliver', reason: 'exhausted' });
      expect(skippedRecords).toEqual([]);
      const skipped = await app.dispatch('payments', { value: {}, offset: 7, redeliveries: 2 });
      expect(skipped).toMatchObject({ status: 'skipped', committed: true });
      expect(skipped.outcome).toMatchObject({ kind: 'skipped', reason: 'exhausted' });
      expect(skippedRecords).toHaveLength(1);
      expect(skippedRecords[0].offset).toBe('7');
      expect((skippedRecords[0].error as Error).message).toBe('ledger closed');
    } finally {
      await app.close();
      skippedRecords.length = 0;
    }
  });
});

import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AsyncMicroserviceOptions } from '@nestjs/microservices';
import { ConsumeTopic, InvalidOptionsError, KafkaConsumerModule, KafkaConsumerServer } from 'nestjs-kafka-consumer';
import type { KafkaConsumerModuleOptions } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { brokers, unique } from './support/kafka.js';

/** Bootstraps like a user's main.ts and returns the error that stopped it. */
async function bootstrapError(options: unknown, controllers: Array<new () => unknown>): Promise<Error> {
  @Module({
    imports: [KafkaConsumerModule.forRoot(options as KafkaConsumerModuleOptions)],
    controllers,
  })
  class AppModule {}
  let app: Awaited<ReturnType<typeof NestFactory.createMicroservice>> | undefined;
  try {
    app = await NestFactory.createMicroservice<AsyncMicroserviceOptions>(AppModule, {
      inject: [KafkaConsumerServer],
      useFactory: (server: KafkaConsumerServer) => ({ strategy: server }),
      logger: false,
      abortOnError: false,
    });
    await app.listen();
  } catch (error) {
    return error as Error;
  } finally {
    await app?.close().catch(() => undefined);
  }
  throw new Error('bootstrap succeeded but should have failed');
}

describe('wrong options fail bootstrap with a message naming the option, the value and what is allowed', () => {
  const topic = unique('orders');
  @Controller()
  class OrdersController {
    @ConsumeTopic(topic, { groupId: 'billing' })
    bill() {}
  }
  const valid = () => ({ client: { clientId: 'opts-test', brokers: brokers() } });
  afterEach(() => undefined);

  it('rejects missing brokers', async () => {
    const error = await bootstrapError({ client: { clientId: 'x' } }, [OrdersController]);
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toContain('"client.brokers" is required');
  });

  it('rejects an empty broker list', async () => {
    const error = await bootstrapError({ client: { brokers: [] } }, [OrdersController]);
    expect(error.message).toBe(
      `KafkaConsumerModule: option "client.brokers" is []; allowed: a non-empty array of 'host:port' strings, or a function returning one.`,
    );
  });

  it('rejects an unknown commit mode', async () => {
    const error = await bootstrapError({ ...valid(), commit: 'sometimes' }, [OrdersController]);
    expect(error.message).toBe(`KafkaConsumerModule: option "commit" is "sometimes"; allowed: 'auto' | 'manual'.`);
  });

  it('rejects negative timeouts', async () => {
    const error = await bootstrapError({ ...valid(), shutdownTimeoutMs: -1 }, [OrdersController]);
    expect(error.message).toBe(
      'KafkaConsumerModule: option "shutdownTimeoutMs" is -1; allowed: a number of ms from 0 to 2147483647 ' +
        '(about 24.8 days: Node timers fire at once above it).',
    );
  });

  it('rejects a misspelled option, suggesting the right one', async () => {
    const error = await bootstrapError({ ...valid(), commitIntervalMS: 500 }, [OrdersController]);
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toContain('unknown option "commitIntervalMS" (did you mean "commitIntervalMs"?)');
  });

  it('rejects an empty group id', async () => {
    const error = await bootstrapError({ ...valid(), consumer: { groupId: ' ' } }, [OrdersController]);
    expect(error.message).toBe('KafkaConsumerModule: option "consumer.groupId" is " "; allowed: a non-empty string.');
  });

  it('rejects a handler without any group id', async () => {
    @Controller()
    class NoGroupController {
      @ConsumeTopic(topic)
      handle() {}
    }
    const error = await bootstrapError(valid(), [NoGroupController]);
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toContain(`@ConsumeTopic('${topic}') on NoGroupController.handle has no groupId`);
  });

  it('rejects an unknown commit mode on a handler', async () => {
    @Controller()
    class BadHandlerController {
      @ConsumeTopic(topic, { groupId: 'g', commit: 'later' as never })
      handle() {}
    }
    const error = await bootstrapError(valid(), [BadHandlerController]);
    expect(error.message).toContain(`"@ConsumeTopic('${topic}') on BadHandlerController.handle: commit" is "later"`);
    expect(error.message).toContain(`allowed: 'auto' | 'manual'`);
  });

  it('rejects two handlers for the same topic and group', async () => {
    @Controller()
    class First {
      @ConsumeTopic(topic, { groupId: 'billing' })
      a() {}
    }
    @Controller()
    class Second {
      @ConsumeTopic(topic)
      b() {}
    }
    const error = await bootstrapError({ ...valid(), consumer: { groupId: 'billing' } }, [First, Second]);
    expect(error.message).toBe(
      `Two handlers consume topic "${topic}" in group "billing": First.a and Second.b. ` +
        'Each partition is delivered to one handler per group: give one of them another groupId, or merge them.',
    );
  });

  it('rejects an invalid topic name', async () => {
    @Controller()
    class BadTopic {
      @ConsumeTopic('orders with spaces', { groupId: 'g' })
      a() {}
    }
    const error = await bootstrapError(valid(), [BadTopic]);
    expect(error.message).toContain('"BadTopic.a topic" is "orders with spaces"');
  });
});

import { Controller, Get, Injectable, Module, type INestApplication, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload, type AsyncMicroserviceOptions } from '@nestjs/microservices';
import { ConsumeTopic, KafkaConsumerModule, KafkaConsumerRegistry, KafkaConsumerServer } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';

@Injectable()
class OrdersLog {
  readonly ids: number[] = [];
}

@Injectable()
class KafkaConfig {
  readonly brokers = brokers();
}

@Module({ providers: [KafkaConfig], exports: [KafkaConfig] })
class ConfigModule {}

function appModule(topic: string, groupId: string) {
  @Controller()
  class OrdersController {
    constructor(private readonly log: OrdersLog) {}

    @ConsumeTopic(topic, { fromBeginning: true })
    handle(@Payload() order: { id: number }) {
      this.log.ids.push(order.id);
    }

    @Get('processed')
    processed() {
      return { count: this.log.ids.length };
    }
  }

  @Module({
    imports: [
      KafkaConsumerModule.forRootAsync({
        imports: [ConfigModule],
        inject: [KafkaConfig],
        useFactory: (config: KafkaConfig) => ({
          client: { clientId: 'bootstrap-test', brokers: config.brokers },
          consumer: { groupId },
        }),
      }),
    ],
    controllers: [OrdersController],
    providers: [OrdersLog],
  })
  class AppModule {}
  return AppModule;
}

describe('bootstraps from DESIGN.md', () => {
  const kit = new KafkaTestKit();
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close().catch(() => undefined);
    await kit.close();
  });

  it('runs a consumer-only worker built with createMicroservice({ inject, useFactory }) and forRootAsync', async () => {
    const topic = await kit.createTopic(unique('orders'), 2);
    const groupId = unique('worker');
    const app: INestMicroservice = await NestFactory.createMicroservice<AsyncMicroserviceOptions>(
      appModule(topic, groupId),
      {
        inject: [KafkaConsumerServer],
        useFactory: (server: KafkaConsumerServer) => ({ strategy: server }),
        logger: ['error'],
      },
    );
    closers.push(() => app.close());
    await app.listen();

    expect(app.get(KafkaConsumerRegistry).getGroupIds()).toEqual([groupId]);
    await kit.produce(
      topic,
      Array.from({ length: 50 }, (_, id) => ({ value: JSON.stringify({ id }) })),
    );
    const log = app.get(OrdersLog);
    await waitFor('50 orders', () => log.ids.length === 50);
    expect(new Set(log.ids).size).toBe(50);
    await waitFor('all partitions committed', async () => {
      const committed = await kit.committed(groupId, topic);
      return Number(committed[0]) + Number(committed[1]) === 50;
    });
  });

  it('runs a hybrid app: HTTP and the Kafka consumer in one process (connectMicroservice)', async () => {
    const topic = await kit.createTopic(unique('orders'), 1);
    const groupId = unique('hybrid');
    const app: INestApplication = await NestFactory.create(appModule(topic, groupId), { logger: ['error'] });
    app.connectMicroservice({ strategy: app.get(KafkaConsumerServer) });
    app.enableShutdownHooks();
    closers.push(() => app.close());
    await app.startAllMicroservices();
    await app.listen(0, '127.0.0.1');
    const url = `${await app.getUrl()}/processed`;

    await kit.produce(
      topic,
      Array.from({ length: 20 }, (_, id) => ({ value: JSON.stringify({ id }) })),
    );
    await waitFor('HTTP endpoint to report 20 processed', async () => {
      const response = await fetch(url);
      return ((await response.json()) as { count: number }).count === 20;
    });
    await app.close();
    closers.length = 0;
    // Closing the app closed the consumer: the group left, and committed what it processed.
    expect((await kit.committed(groupId, topic))[0]).toBe('20');
    const admin = await kit.getAdmin();
    const { groups } = await admin.describeGroups([groupId]);
    expect(groups[0].members).toHaveLength(0);
  });
});

import { Controller, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ClientProxyFactory,
  Ctx,
  EventPattern,
  MessagePattern,
  Payload,
  Transport,
  type ClientProxy,
} from '@nestjs/microservices';
import { createServer } from 'node:net';
import { ConsumeTopic, KafkaConsumerContext, KafkaConsumerModule, KafkaConsumerServer } from 'nestjs-kafka-consumer';
import { lastValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('hybrid app: a TCP microservice and the Kafka consumer in one app', () => {
  const kit = new KafkaTestKit();
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).toReversed()) await cleanup().catch(() => undefined);
    await kit.close();
  });

  it('leaves @MessagePattern / @EventPattern handlers without a transport to TCP and consumes only @ConsumeTopic topics', async () => {
    const topic = await kit.createTopic(unique('hybrid-orders'));
    // A string pattern that is also a valid topic name: it must not be consumed from Kafka.
    const tcpEvent = await kit.createTopic(unique('hybrid-audit'));
    const groupId = unique('hybrid');
    const consumed: Array<{ id: number; topic: string }> = [];
    const tcpEvents: unknown[] = [];

    @Controller()
    class MathController {
      @MessagePattern({ cmd: 'sum' })
      sum(@Payload() numbers: number[]): number {
        return numbers.reduce((a, b) => a + b, 0);
      }

      @EventPattern(tcpEvent)
      audit(@Payload() event: unknown) {
        tcpEvents.push(event);
      }
    }

    @Controller()
    class OrdersController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true })
      bill(@Payload() order: { id: number }, @Ctx() ctx: KafkaConsumerContext) {
        consumed.push({ id: order.id, topic: ctx.topic });
      }
    }

    @Module({
      imports: [KafkaConsumerModule.forRoot({ client: { clientId: 'hybrid-test', brokers: brokers() } })],
      controllers: [MathController, OrdersController],
    })
    class AppModule {}

    const port = await freePort();
    const app: INestApplication = await NestFactory.create(AppModule, {
      logger: process.env.TEST_LOGS ? undefined : ['error'],
    });
    cleanups.push(() => app.close());
    app.connectMicroservice({ transport: Transport.TCP, options: { host: '127.0.0.1', port } });
    app.connectMicroservice({ strategy: app.get(KafkaConsumerServer) });
    await app.startAllMicroservices();
    await app.init();

    const client: ClientProxy = ClientProxyFactory.create({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port },
    });
    cleanups.push(async () => client.close());
    await client.connect();

    expect(await lastValueFrom(client.send<number, number[]>({ cmd: 'sum' }, [1, 2, 3]))).toBe(6);
    await lastValueFrom(client.emit(tcpEvent, { via: 'tcp' }));
    await waitFor('the TCP event handled by the TCP transport', () => tcpEvents.length === 1);

    await kit.produce(topic, [{ value: JSON.stringify({ id: 7 }) }]);
    await kit.produce(tcpEvent, [{ value: JSON.stringify({ via: 'kafka' }) }]);
    await waitFor('the @ConsumeTopic record consumed', () => consumed.length === 1);
    await waitFor('its offset committed', async () => (await kit.committed(groupId, topic))[0] === '1');

    const server = app.get(KafkaConsumerServer);
    expect([...server.groups.keys()]).toEqual([groupId]);
    expect(server.groups.get(groupId)?.topics).toEqual([topic]);
    expect(consumed).toEqual([{ id: 7, topic }]);
    // The Kafka record on the TCP handler's topic reached nobody: only the TCP event did.
    expect(tcpEvents).toEqual([{ via: 'tcp' }]);
  });
});
